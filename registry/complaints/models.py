"""A complaint about a public label, its status history (append-only) and its handlers' internal notes."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import Base, StrEnumType, UTCDateTime, enum_check, intpk
from registry.enums import LabelledEnum, labels_for
from registry.labels.models import Label


class ComplaintCategory(LabelledEnum):
    """What the reporter says is wrong."""

    PRODUCT_MISMATCH = "product_mismatch"
    WRONG_PRODUCT = "wrong_product"
    FALSE_CLAIM = "false_claim"
    ALTERED = "altered"
    OTHER = "other"


COMPLAINT_CATEGORY_LABELS = labels_for(
    ComplaintCategory,
    {
        ComplaintCategory.PRODUCT_MISMATCH: _l("The product does not match the label's record"),
        ComplaintCategory.WRONG_PRODUCT: _l("The label is used on another product"),
        ComplaintCategory.FALSE_CLAIM: _l("The footprint claim is false or misleading"),
        ComplaintCategory.ALTERED: _l("The label looks altered or counterfeit"),
        ComplaintCategory.OTHER: _l("Something else"),
    },
)


class ComplaintStatus(LabelledEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    CLOSED = "closed"


COMPLAINT_STATUS_LABELS = labels_for(
    ComplaintStatus,
    {
        ComplaintStatus.RECEIVED: _l("Received"),
        ComplaintStatus.UNDER_REVIEW: _l("Under review"),
        ComplaintStatus.CLOSED: _l("Closed"),
    },
)


class ComplaintOutcome(LabelledEnum):
    """How a closed complaint ended; published with its text."""

    SUBSTANTIATED = "substantiated"
    NOT_SUBSTANTIATED = "not_substantiated"
    # Nothing left to decide: the label was withdrawn, cancelled, superseded or expired meanwhile.
    OVERTAKEN = "overtaken"


COMPLAINT_OUTCOME_LABELS = labels_for(
    ComplaintOutcome,
    {
        ComplaintOutcome.SUBSTANTIATED: _l("Substantiated"),
        ComplaintOutcome.NOT_SUBSTANTIATED: _l("Not substantiated"),
        ComplaintOutcome.OVERTAKEN: _l("Closed: the label is no longer in force"),
    },
)


class ComplaintHandler(LabelledEnum):
    """Who handles the complaint: the label's issuing body (the default) or the market regulator."""

    BODY = "body"
    REGULATOR = "regulator"


COMPLAINT_HANDLER_LABELS = labels_for(
    ComplaintHandler,
    {ComplaintHandler.BODY: _l("Issuing certification body"), ComplaintHandler.REGULATOR: _l("Market regulator")},
)


class ComplaintAction(LabelledEnum):
    """A step of a complaint's history."""

    RECEIVE = "receive"
    REVIEW = "review"
    ASSIGN = "assign"
    CLOSE = "close"


COMPLAINT_ACTION_LABELS = labels_for(
    ComplaintAction,
    {
        ComplaintAction.RECEIVE: _l("Received"),
        ComplaintAction.REVIEW: _l("Review started"),
        ComplaintAction.ASSIGN: _l("Handler changed"),
        ComplaintAction.CLOSE: _l("Closed, outcome published"),
    },
)


class Complaint(Base):
    """A report about a label. The reporter's contact details and photo are confidential: only the label's body
    and the regulator see them (``registry.complaints.permissions``); the public follow-up page shows the label,
    the dates, the status and the published outcome."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(enum_check("category", ComplaintCategory), name="category_known"),
        CheckConstraint(enum_check("status", ComplaintStatus), name="status_known"),
        CheckConstraint(enum_check("handler", ComplaintHandler), name="handler_known"),
        CheckConstraint(f"outcome IS NULL OR {enum_check('outcome', ComplaintOutcome)}", name="outcome_known"),
        CheckConstraint("length(trim(description)) > 0", name="description_given"),
        # Closed exactly when an outcome is published, with its words and date.
        CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL)"
            " AND (outcome IS NULL OR (length(trim(outcome_text)) > 0 AND outcome_published_at IS NOT NULL))",
            name="closed_with_published_outcome",
        ),
        CheckConstraint("length(reference) = 16", name="reference_length"),
    )

    id: Mapped[intpk]
    # TS- and 13 characters of Crockford base32, the last a check character (registry.complaints.references).
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), index=True)
    # The issuing body, copied from the label so the body's queue is one indexed condition.
    body_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category: Mapped[ComplaintCategory] = mapped_column(StrEnumType(ComplaintCategory))
    description: Mapped[str] = mapped_column(Text())
    seen_at: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # The photo, stored privately like the applications' documents (registry.applications.services.documents).
    photo_storage_name: Mapped[str | None] = mapped_column(String(32))
    photo_content_type: Mapped[str | None] = mapped_column(String(32))
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ComplaintStatus] = mapped_column(
        StrEnumType(ComplaintStatus), default=ComplaintStatus.RECEIVED, index=True
    )
    handler: Mapped[ComplaintHandler] = mapped_column(StrEnumType(ComplaintHandler), default=ComplaintHandler.BODY)
    outcome: Mapped[ComplaintOutcome | None] = mapped_column(StrEnumType(ComplaintOutcome))
    outcome_text: Mapped[str | None] = mapped_column(Text())
    outcome_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    label: Mapped[Label] = relationship(lazy="joined")


class ComplaintStep(Base):
    """One step of a complaint's history: when, what, the status and handler after it, who. Append-only."""

    __tablename__ = "complaint_steps"
    __table_args__ = (
        CheckConstraint(enum_check("action", ComplaintAction), name="action_known"),
        CheckConstraint(enum_check("status", ComplaintStatus), name="status_known"),
        CheckConstraint(enum_check("handler", ComplaintHandler), name="handler_known"),
    )

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[ComplaintAction] = mapped_column(StrEnumType(ComplaintAction))
    status: Mapped[ComplaintStatus] = mapped_column(StrEnumType(ComplaintStatus))
    handler: Mapped[ComplaintHandler] = mapped_column(StrEnumType(ComplaintHandler))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ComplaintNote(Base):
    """A handler's internal note on a complaint: never public. Append-only."""

    __tablename__ = "complaint_notes"

    id: Mapped[intpk]
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text())

    author: Mapped[User] = relationship(lazy="joined")
