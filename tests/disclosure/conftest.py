"""Shared by the disclosure tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.applications.models import ActivityLine, Document, Finding


def fill_confidential(session: Session, application_ids: list[int], marker: str) -> None:
    """Write ``marker`` into every confidential text of these files: activity data, document names, findings and
    the applicant's answers (docs/public-data.md); the tests then look for it in everything public."""
    for line in session.scalars(select(ActivityLine).where(ActivityLine.application_id.in_(application_ids))):
        line.description = marker
        line.factor_source = marker
    for document in session.scalars(select(Document).where(Document.application_id.in_(application_ids))):
        document.original_name = marker + ".pdf"
    for finding in session.scalars(select(Finding).where(Finding.application_id.in_(application_ids))):
        finding.description = marker
        finding.response = marker
