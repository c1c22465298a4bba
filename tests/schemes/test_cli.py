from __future__ import annotations

import shutil

from tests.conftest import SCHEMES_DIR


def test_check_passes_on_the_shipped_schemes(runner):
    result = runner.invoke(args=["schemes", "check"])
    assert result.exit_code == 0, result.output
    assert "Scheme check passed: 0 new, 10 unchanged." in result.output


def test_check_names_file_and_field_and_fails(runner, tmp_path):
    shutil.copytree(SCHEMES_DIR / "cement", tmp_path / "cement")
    path = tmp_path / "cement" / "1.0.0.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("title_en =", "title_english ="), encoding="utf-8")
    result = runner.invoke(args=["schemes", "check", "--files-only", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert str(path) in result.output
    assert "title_en: Missing data for required field." in result.output
    assert "title_english: Unknown field." in result.output


def test_sync_refuses_a_changed_version_and_exits_non_zero(runner, tmp_path):
    shutil.copytree(SCHEMES_DIR, tmp_path / "schemes")
    path = tmp_path / "schemes" / "tyre" / "1.0.0.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("validity_months = 36", "validity_months = 12"), encoding="utf-8"
    )
    result = runner.invoke(args=["schemes", "sync", "--dir", str(tmp_path / "schemes")])
    assert result.exit_code == 1
    assert "REFUSED" in result.output and "nothing was written" in result.output
