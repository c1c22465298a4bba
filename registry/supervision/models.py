"""The regulator's records: orders on labels, the dishonest-entity list's history, and the withdrawal demands a
listing sets the bodies. The list itself is ``organisations.models.BarredOrganisation`` (the workflow reads it)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import Base, StrEnumType, UTCDateTime, enum_check, intpk
from registry.enums import LabelledEnum, labels_for
from registry.labels.models import Label, LabelReason, LabelTransition
from registry.organisations.models import BarredOrganisation, Organisation


class OrderAction(LabelledEnum):
    """What a regulator's order does to a label."""

    SUSPEND = "suspend"
    WITHDRAW = "withdraw"


ORDER_ACTION_LABELS = labels_for(
    OrderAction,
    {OrderAction.SUSPEND: _l("Order to suspend"), OrderAction.WITHDRAW: _l("Order to withdraw")},
)


class SupervisionOrder(Base):
    """A regulator's order to suspend or withdraw a label, carried out at once: the legal basis, the decision
    document (决定书: its number, the PDF kept privately and its SHA-256, which is the evidence hash of the label's
    history row) and the label transition it made. Append-only."""

    __tablename__ = "supervision_orders"
    __table_args__ = (
        CheckConstraint(enum_check("action", OrderAction), name="action_known"),
        CheckConstraint(enum_check("reason_code", LabelReason), name="reason_known"),
        CheckConstraint("length(trim(legal_basis)) > 0", name="has_legal_basis"),
        CheckConstraint("length(trim(decision_number)) > 0", name="has_decision_number"),
        CheckConstraint("length(document_sha256) = 64", name="document_hash_length"),
    )

    id: Mapped[intpk]
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), index=True)
    transition_id: Mapped[int] = mapped_column(ForeignKey("label_transitions.id"), unique=True)
    action: Mapped[OrderAction] = mapped_column(StrEnumType(OrderAction))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    regulator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    legal_basis: Mapped[str] = mapped_column(Text())
    decision_number: Mapped[str] = mapped_column(String(100))
    reason_code: Mapped[LabelReason] = mapped_column(StrEnumType(LabelReason))
    public_reason: Mapped[str] = mapped_column(Text())
    document_storage: Mapped[str] = mapped_column(String(32))
    document_name: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str] = mapped_column(String(64))

    label: Mapped[Label] = relationship(lazy="joined")
    transition: Mapped[LabelTransition] = relationship()
    actor: Mapped[User] = relationship(lazy="joined")
    regulator: Mapped[Organisation] = relationship(lazy="joined")


class ListAction(LabelledEnum):
    LISTED = "listed"
    REMOVED = "removed"


LIST_ACTION_LABELS = labels_for(
    ListAction,
    {
        ListAction.LISTED: _l("Listed as a seriously dishonest entity"),
        ListAction.REMOVED: _l("Removed from the dishonest-entity list (credit repair)"),
    },
)


class DishonestListEvent(Base):
    """Each listing on and removal from the dishonest-entity list: when, by whom, why and under which decision
    document; the public notices read it. Append-only."""

    __tablename__ = "dishonest_list_events"
    __table_args__ = (
        CheckConstraint(enum_check("action", ListAction), name="action_known"),
        CheckConstraint("length(trim(reason)) > 0", name="has_reason"),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int] = mapped_column(ForeignKey("barred_organisations.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    action: Mapped[ListAction] = mapped_column(StrEnumType(ListAction))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text())
    decision_number: Mapped[str | None] = mapped_column(String(100))

    listing: Mapped[BarredOrganisation] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class DemandStatus(LabelledEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    MET = "met"
    LIFTED = "lifted"


DEMAND_STATUS_LABELS = labels_for(
    DemandStatus,
    {
        DemandStatus.OPEN: _l("Open"),
        DemandStatus.OVERDUE: _l("Overdue"),
        DemandStatus.MET: _l("Met: the label is withdrawn or otherwise off the market"),
        DemandStatus.LIFTED: _l("Lifted: the enterprise was removed from the list"),
    },
)


class DueCalendar(LabelledEnum):
    """How the five working days were counted."""

    CHINA = "china"  # China's working days, with the public holidays and adjusted working days of the year
    WEEKDAYS = "weekdays"  # Monday to Friday: the holiday calendar did not know the year yet


DUE_CALENDAR_LABELS = labels_for(
    DueCalendar,
    {
        DueCalendar.CHINA: _l("China's working days (public holidays and adjusted working days counted)"),
        DueCalendar.WEEKDAYS: _l(
            "Monday to Friday: the State Council's holiday arrangement for that year is not known yet"
        ),
    },
)


class WithdrawalDemand(Base):
    """A listing's demand on the issuing body of each live label of the listed enterprise: withdraw it within five
    working days. Met when the body withdraws the label, flagged overdue after its due date, lifted when the
    enterprise leaves the list first."""

    __tablename__ = "withdrawal_demands"
    __table_args__ = (
        CheckConstraint(enum_check("status", DemandStatus), name="status_known"),
        CheckConstraint(enum_check("calendar", DueCalendar), name="calendar_known"),
        CheckConstraint("(status IN ('met', 'lifted')) = (closed_at IS NOT NULL)", name="closed_when_closed"),
        CheckConstraint("status <> 'overdue' OR overdue_at IS NOT NULL", name="overdue_flagged"),
        CheckConstraint("status = 'met' OR closed_by_id IS NULL", name="only_met_by_a_step"),
        UniqueConstraint("listing_id", "label_id"),
    )

    id: Mapped[intpk]
    listing_id: Mapped[int] = mapped_column(ForeignKey("barred_organisations.id"), index=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date())
    calendar: Mapped[DueCalendar] = mapped_column(StrEnumType(DueCalendar))
    status: Mapped[DemandStatus] = mapped_column(StrEnumType(DemandStatus), default=DemandStatus.OPEN, index=True)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The label's step that met the demand (its withdrawal, or another end of its life).
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("label_transitions.id"))

    listing: Mapped[BarredOrganisation] = relationship(lazy="joined")
    label: Mapped[Label] = relationship(lazy="joined")
    closed_by: Mapped[LabelTransition | None] = relationship()
    body: Mapped[Organisation] = relationship(lazy="joined")
