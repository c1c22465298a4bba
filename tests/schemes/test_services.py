"""Syncing: new versions are added, a changed file that keeps its version is refused, old versions stay."""

from __future__ import annotations

import shutil

from sqlalchemy import func, select

from registry.audit.services import Actor
from registry.schemes.models import Scheme, SchemeVersion
from registry.schemes.services import check_schemes, get_version, sync_schemes
from tests.conftest import SCHEMES_DIR


def _versions(session) -> int:
    return session.scalar(select(func.count()).select_from(SchemeVersion))


def test_syncing_the_shipped_schemes_again_changes_nothing(session):
    before = _versions(session)
    report = sync_schemes(session, Actor.system(), SCHEMES_DIR)
    assert report.ok and report.added == [] and len(report.unchanged) == 10
    assert _versions(session) == before


def test_changed_file_with_same_version_is_refused_and_nothing_is_written(session, tmp_path):
    shutil.copytree(SCHEMES_DIR, tmp_path / "schemes")
    cement = tmp_path / "schemes" / "cement" / "1.0.0.toml"
    cement.write_text(
        cement.read_text(encoding="utf-8").replace("validity_months = 36", "validity_months = 24"), encoding="utf-8"
    )
    # Also a brand-new scheme version in the same run: all or nothing, so it must not be added either.
    shutil.copy(tmp_path / "schemes" / "steel" / "1.0.0.toml", tmp_path / "schemes" / "steel" / "1.1.0.toml")
    steel_new = tmp_path / "schemes" / "steel" / "1.1.0.toml"
    steel_new.write_text(
        steel_new.read_text(encoding="utf-8").replace('version = "1.0.0"', 'version = "1.1.0"'), encoding="utf-8"
    )
    before = _versions(session)
    report = sync_schemes(session, Actor.system(), tmp_path / "schemes")
    assert not report.ok
    assert len(report.refused) == 1 and "cement 1.0.0" in report.refused[0] and "new version" in report.refused[0]
    assert _versions(session) == before


def test_new_version_is_added_and_the_old_one_stays(session, tmp_path):
    shutil.copytree(SCHEMES_DIR, tmp_path / "schemes")
    new = tmp_path / "schemes" / "cement" / "1.1.0.toml"
    text = (tmp_path / "schemes" / "cement" / "1.0.0.toml").read_text(encoding="utf-8")
    new.write_text(
        text.replace('version = "1.0.0"', 'version = "1.1.0"').replace("validity_months = 36", "validity_months = 24"),
        encoding="utf-8",
    )
    report = sync_schemes(session, Actor.system(), tmp_path / "schemes")
    assert report.ok and report.added == ["cement 1.1.0"]
    assert get_version(session, "cement").version == "1.1.0"
    assert get_version(session, "cement").validity_months == 24
    assert get_version(session, "cement", "1.0.0").validity_months == 36
    cement = session.scalar(select(Scheme).where(Scheme.code == "cement"))
    assert [v.version for v in cement.versions] == ["1.0.0", "1.1.0"]


def test_check_without_database_validates_files_only(tmp_path):
    shutil.copytree(SCHEMES_DIR / "tyre", tmp_path / "tyre")
    report = check_schemes(None, tmp_path)
    assert report.ok and report.added == ["tyre 1.0.0"]


def test_empty_directory_is_an_error(tmp_path):
    assert not check_schemes(None, tmp_path).ok
