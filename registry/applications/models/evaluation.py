"""The evaluation of a file: the checklist of activities the certification mode calls for, the findings raised
and answered in rounds, and the verification statement."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import (
    MICRO,
    Base,
    MicroDecimal,
    StrEnumType,
    UTCDateTime,
    created_at,
    enum_check,
    in_check,
    intpk,
)
from registry.enums import LabelledEnum, labels_for
from registry.schemes.definition import MODES


class Severity(LabelledEnum):
    MAJOR = "major"
    MINOR = "minor"
    OBSERVATION = "observation"


SEVERITY_LABELS = labels_for(
    Severity,
    {
        Severity.MAJOR: _l("Major non-conformity"),
        Severity.MINOR: _l("Minor non-conformity"),
        Severity.OBSERVATION: _l("Observation"),
    },
)


class Assurance(enum.StrEnum):
    REASONABLE = "reasonable"
    LIMITED = "limited"


class Opinion(enum.StrEnum):
    UNMODIFIED = "unmodified"
    MODIFIED = "modified"
    ADVERSE = "adverse"


class ChecklistItem(Base):
    """One evaluation activity the scheme's certification mode calls for."""

    __tablename__ = "evaluation_checklist"
    __table_args__ = (
        CheckConstraint(in_check("mode", MODES), name="mode_known"),
        CheckConstraint("(completed_at IS NULL) = (completed_by_id IS NULL)", name="completion_signed"),
        CheckConstraint(
            "mode <> 'site_inspection' OR completed_at IS NULL OR (site_date IS NOT NULL AND site_place IS NOT NULL)",
            name="site_inspection_dated_and_placed",
        ),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text())
    site_date: Mapped[date | None] = mapped_column(Date())
    site_place: Mapped[str | None] = mapped_column(String(300))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Finding(Base):
    """A non-conformity or observation, raised in a round, answered by the applicant, closed by a verifier."""

    __tablename__ = "findings"
    __table_args__ = (
        CheckConstraint(enum_check("severity", Severity), name="severity_known"),
        CheckConstraint("round >= 1", name="round_positive"),
        CheckConstraint("(responded_at IS NULL) = (response IS NULL)", name="response_dated"),
        CheckConstraint("(closed_at IS NULL) = (closed_by_id IS NULL)", name="closure_signed"),
        CheckConstraint(
            "closed_at IS NULL OR severity = 'observation' OR response IS NOT NULL", name="closed_after_response"
        ),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    severity: Mapped[Severity] = mapped_column(StrEnumType(Severity, length=16))
    description: Mapped[str] = mapped_column(Text())
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[created_at]
    response: Mapped[str | None] = mapped_column(Text())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closure_note: Mapped[str | None] = mapped_column(Text())

    @property
    def blocks_recommendation(self) -> bool:
        return self.closed_at is None and self.severity is not Severity.OBSERVATION


class Statement(Base):
    """The verification statement; its summary, body, assurance level and opinion become public with the label."""

    __tablename__ = "verification_statements"
    __table_args__ = (
        CheckConstraint(enum_check("assurance", Assurance), name="assurance_known"),
        CheckConstraint(enum_check("opinion", Opinion), name="opinion_known"),
        CheckConstraint(
            f"materiality_percent > 0 AND materiality_percent <= {100 * MICRO}", name="materiality_is_percent"
        ),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    assurance: Mapped[Assurance] = mapped_column(StrEnumType(Assurance, length=16))
    opinion: Mapped[Opinion] = mapped_column(StrEnumType(Opinion, length=16))
    materiality_percent: Mapped[Decimal] = mapped_column(MicroDecimal())
    summary: Mapped[str] = mapped_column(Text())
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    signed_by: Mapped[User] = relationship(lazy="joined")
