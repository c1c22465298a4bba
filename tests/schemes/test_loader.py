"""Scheme files: every shipped file is valid, and a broken one is refused with the file and the field named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from registry.schemes.loader import SchemeFileError, load_scheme_dir, load_scheme_file
from tests.conftest import SCHEMES_DIR

PILOT_CATEGORIES = {
    "li-battery",
    "pv-module",
    "steel",
    "aluminium",
    "textile",
    "electronics",
    "tyre",
    "cement",
    "phosphate",
    "wood-product",
}


def test_every_shipped_scheme_is_valid_and_covers_the_2025_pilot():
    files, errors = load_scheme_dir(SCHEMES_DIR)
    assert errors == []
    assert {f.definition["category"]["code"] for f in files} == PILOT_CATEGORIES
    for scheme_file in files:
        definition = scheme_file.definition
        assert definition["category"]["pilot"] == 2025
        assert definition["standards"][0]["code"] == "GB/T 24067-2024"
        assert definition["provenance"]["registry_set"], f"{scheme_file.path} must say which values the registry set"


def _copy(tmp_path: Path, code: str = "cement") -> Path:
    target = tmp_path / code
    shutil.copytree(SCHEMES_DIR / code, target)
    return target / "1.0.0.toml"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(path: Path) -> list[str]:
    with pytest.raises(SchemeFileError) as caught:
        load_scheme_file(path)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    return caught.value.problems


def test_missing_field_is_named(tmp_path):
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("validity_months")]
    path.write_text("\n".join(lines), encoding="utf-8")
    assert any(p.startswith("certification.validity_months: Missing data") for p in _problems(path))


def test_wrong_value_is_named(tmp_path):
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    import re

    path.write_text(re.sub(r'type = "cradle-to-gate"', 'type = "cradle-to-moon"', text, count=1), encoding="utf-8")
    assert any(p.startswith("boundary.type: Must be one of") for p in _problems(path))


def test_unknown_field_is_refused(tmp_path):
    path = _copy(tmp_path)
    path.write_text('colour = "green"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert any(p.startswith("colour: Unknown field") for p in _problems(path))


def test_grades_must_increase(tmp_path):
    path = _copy(tmp_path)
    _edit(path, "max_kg_co2e = 600", "max_kg_co2e = 400")
    assert any("increase strictly" in p for p in _problems(path))


def test_version_must_match_file_name(tmp_path):
    path = _copy(tmp_path)
    renamed = path.with_name("2.0.0.toml")
    path.rename(renamed)
    assert any(p.startswith("version:") and "2.0.0.toml" in p for p in _problems(renamed))


def test_not_toml_at_all(tmp_path):
    path = _copy(tmp_path)
    path.write_text("this is = = not toml", encoding="utf-8")
    assert _problems(path)[0].startswith("(file): not valid UTF-8 TOML")


def test_reformatting_is_not_a_change_but_editing_a_value_is(tmp_path):
    path = _copy(tmp_path)
    original = load_scheme_file(path).content_sha256
    path.write_text("# a comment\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_scheme_file(path).content_sha256 == original
    _edit(path, "validity_months = 36", "validity_months = 24")
    assert load_scheme_file(path).content_sha256 != original
