"""Syncing scheme files into the database and reading schemes back. Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.services import Actor, record_event
from registry.schemes.definition import SchemeDefinition
from registry.schemes.loader import SchemeFile, SchemeFileError, load_scheme_dir
from registry.schemes.models import Scheme, SchemeVersion


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    invalid: list[SchemeFileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.invalid


def check_schemes(session: Session | None, directory: Path) -> SyncReport:
    """What ``sync`` would do, without writing. Without a session only the files are checked."""
    return _plan(session, directory)[0]


def _plan(session: Session | None, directory: Path) -> tuple[SyncReport, list[SchemeFile]]:
    """The report, and the files whose versions are new (to add when the report is clean)."""
    files, errors = load_scheme_dir(directory)
    new_files: list[SchemeFile] = []
    report = SyncReport(invalid=errors)
    if not files and not errors:
        report.invalid.append(
            SchemeFileError(directory, [f"no scheme files found under {directory}/<id>/<version>.toml"])
        )
    for scheme_file in files:
        label = f"{scheme_file.code} {scheme_file.version}"
        existing = _find_version(session, scheme_file) if session is not None else None
        if existing is None and (too_big := _qr_too_big(scheme_file.spec)):
            report.refused.append(f"{scheme_file.path}: {label}: {too_big}")
        elif existing is None:
            report.added.append(label)
            new_files.append(scheme_file)
        elif existing.content_sha256 == scheme_file.content_sha256:
            report.unchanged.append(label)
        else:
            report.refused.append(
                f"{scheme_file.path}: {label} is already synced with different content; "
                f"a changed scheme needs a new version (copy the file to a new version number and edit that)"
            )
    return report, new_files


def _qr_too_big(spec: SchemeDefinition) -> str | None:
    """Why labels under this scheme could not be printed in a version-13 QR code, or None if they can."""
    from registry.config import public_host
    from registry.labels.tokens import MAX_QR_VERSION, qr_version, worst_case_url

    url = worst_case_url(spec, public_host())
    version = qr_version(url)
    if version <= MAX_QR_VERSION:
        return None
    return (
        f"its largest label would need a version-{version} QR code (at most {MAX_QR_VERSION} is printed) with the "
        f"public host {public_host()!r}; shorten the scheme id, its unit or its grade codes, or the host name"
    )


def sync_schemes(session: Session, actor: Actor, directory: Path) -> SyncReport:
    """Add new scheme versions; all or nothing: any invalid or changed file and nothing is written."""
    report, new_files = _plan(session, directory)
    if not report.ok:
        report.added = []
        return report
    for scheme_file in new_files:
        _add_version(session, actor, scheme_file)
    return report


def _find_version(session: Session, scheme_file: SchemeFile) -> SchemeVersion | None:
    return session.scalar(
        select(SchemeVersion)
        .join(Scheme)
        .where(Scheme.code == scheme_file.code, SchemeVersion.version == scheme_file.version)
    )


def _add_version(session: Session, actor: Actor, scheme_file: SchemeFile) -> SchemeVersion:
    spec = scheme_file.spec
    scheme = session.scalar(select(Scheme).where(Scheme.code == scheme_file.code))
    if scheme is None:
        scheme = Scheme(code=scheme_file.code, category_code=spec.category.code)
        session.add(scheme)
        session.flush()
    scheme.category_code = spec.category.code
    unit = spec.declared_unit
    version = SchemeVersion(
        scheme=scheme,
        version=scheme_file.version,
        title_zh=spec.title_zh,
        title_en=spec.title_en,
        boundary=spec.boundary.type,
        # As the file's number reads when printed as a float ("1", "1000"), as versions synced before were.
        declared_unit=f"{float(unit.amount):g} {unit.unit}",
        validity_months=spec.certification.validity_months,
        definition=scheme_file.definition,
        content_sha256=scheme_file.content_sha256,
        source_path=f"{scheme_file.path.parent.name}/{scheme_file.path.name}",
    )
    session.add(version)
    session.flush()
    record_event(
        session,
        actor,
        "scheme:version:add",
        subject=version,
        payload={"scheme": scheme.code, "version": version.version, "sha256": version.content_sha256},
    )
    return version


def list_schemes(session: Session) -> list[Scheme]:
    return list(session.scalars(select(Scheme).order_by(Scheme.code)))


def get_version(session: Session, code: str, version: str | None = None) -> SchemeVersion | None:
    scheme = session.scalar(select(Scheme).where(Scheme.code == code))
    if scheme is None or not scheme.versions:
        return None
    if version is None:
        return scheme.latest
    return next((v for v in scheme.versions if v.version == version), None)


def category_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Scheme.category_code)))


def category_choices(session: Session, locale: str) -> list[tuple[str, str]]:
    """(category code, category name) for each scheme's latest version, in the reader's language."""
    choices = {}
    for scheme in list_schemes(session):
        category = scheme.latest.spec.category
        choices[category.code] = category.name_en if locale.startswith("en") else category.name_zh
    return sorted(choices.items(), key=lambda item: item[1])
