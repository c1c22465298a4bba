"""Surveillance of live labels: one row per label and due date (made when the body assigns a verifier or when the
registry flags it overdue), and the evaluation that completes it, append-only.

The due dates themselves are not stored: they follow from the label's validity and the scheme's
``certification.surveillance_interval_months`` (registry.surveillance.services.due_dates); the next one due is
the first without a completed evaluation.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import Base, StrEnumType, UTCDateTime, created_at, enum_check, intpk
from registry.enums import LabelledEnum, labels_for
from registry.labels.models import Label


class SurveillanceOutcome(LabelledEnum):
    """What a surveillance evaluation concludes about the label."""

    MAINTAIN = "maintain"
    SUSPEND = "suspend"
    WITHDRAW = "withdraw"


SURVEILLANCE_OUTCOME_LABELS = labels_for(
    SurveillanceOutcome,
    {
        SurveillanceOutcome.MAINTAIN: _l("Maintain the label"),
        SurveillanceOutcome.SUSPEND: _l("Suspend the label"),
        SurveillanceOutcome.WITHDRAW: _l("Withdraw the label"),
    },
)


class Surveillance(Base):
    """One surveillance of one label, for one due date: who the body assigned, and when the registry told the
    body it was overdue (once)."""

    __tablename__ = "surveillances"
    __table_args__ = (
        UniqueConstraint("label_id", "due_on"),
        CheckConstraint("(verifier_id IS NULL) = (assigned_at IS NULL)", name="assignment_dated"),
        CheckConstraint("(verifier_id IS NULL) = (assigned_by_id IS NULL)", name="assignment_signed"),
    )

    id: Mapped[intpk]
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date())
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]

    label: Mapped[Label] = relationship(lazy="joined")
    verifier: Mapped[User | None] = relationship(foreign_keys=[verifier_id], lazy="joined")
    evaluation: Mapped[SurveillanceEvaluation | None] = relationship(
        primaryjoin="Surveillance.id == SurveillanceEvaluation.id", viewonly=True, uselist=False
    )


class SurveillanceEvaluation(Base):
    """The verifier's completed evaluation of a surveillance: its findings (confidential), the evidence's hashes,
    the outcome and, for a suspension or withdrawal, the words the public reads and the resolve-by date.
    Its id is the surveillance's, so there is one per surveillance; append-only (migration 0011)."""

    __tablename__ = "surveillance_evaluations"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", SurveillanceOutcome), name="outcome_known"),
        CheckConstraint("(outcome = 'suspend') = (resolve_by IS NOT NULL)", name="suspension_resolve_by"),
        CheckConstraint(
            "outcome = 'maintain' OR length(trim(public_reason)) > 0", name="label_change_gives_public_reason"
        ),
        CheckConstraint("length(trim(findings)) > 0", name="findings_written"),
        CheckConstraint("no_conflict_declared", name="verifier_declared_no_conflict"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("surveillances.id"), primary_key=True, autoincrement=False)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    outcome: Mapped[SurveillanceOutcome] = mapped_column(StrEnumType(SurveillanceOutcome, length=16))
    findings: Mapped[str] = mapped_column(Text())
    public_reason: Mapped[str | None] = mapped_column(Text())
    resolve_by: Mapped[date | None] = mapped_column(Date())
    # SHA-256 (hex) of each file the evaluation rests on; the files stay with the body.
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    no_conflict_declared: Mapped[bool] = mapped_column(Boolean())
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    verifier: Mapped[User] = relationship(lazy="joined")
