"""Labels: the public object a granted application produces, and the per-body certificate counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationStatus
from registry.database import Base, MicroDecimal, StrEnumType, UTCDateTime, enum_check, in_check
from registry.enums import LabelledEnum, labels_for
from registry.keys.models import KeyStatus, SigningKey
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.definition import Grade
from registry.schemes.models import SchemeVersion
from registry.verifier.format import STATUS_LIST_SIZE, TOKEN_PREFIX


class LabelStatus(LabelledEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


# The one name of each status, in every language: pages and lists show it as LabelStatus.label, the badge in both
# languages at once (registry/labels/wording.py).
LABEL_STATUS_LABELS = labels_for(
    LabelStatus,
    {
        LabelStatus.VALID: _l("Valid"),
        LabelStatus.SUSPENDED: _l("Suspended"),
        # 撤销, not the 撤回 of an application withdrawn by its applicant.
        LabelStatus.WITHDRAWN: lazy_pgettext("label status", "Withdrawn"),
        LabelStatus.CANCELLED: _l("Cancelled"),
        LabelStatus.EXPIRED: _l("Expired"),
        LabelStatus.SUPERSEDED: _l("Superseded"),
    },
)


class LabelAction(LabelledEnum):
    """What moves a label from one status to another (registry.labels.lifecycle holds the table)."""

    SUSPEND = "suspend"
    RESTORE = "restore"
    WITHDRAW = "withdraw"
    CANCEL = "cancel"
    EXPIRE = "expire"
    SUPERSEDE = "supersede"


LABEL_ACTION_LABELS = labels_for(
    LabelAction,
    {
        LabelAction.SUSPEND: _l("Suspend"),
        LabelAction.RESTORE: _l("Restore"),
        LabelAction.WITHDRAW: lazy_pgettext("label action", "Withdraw"),
        LabelAction.CANCEL: lazy_pgettext("label action", "Cancel"),
        LabelAction.EXPIRE: _l("Expire"),
        LabelAction.SUPERSEDE: _l("Supersede"),
    },
)
ISSUE_LABEL = _l("Issue")


class LabelCapacity(LabelledEnum):
    """In which quality someone moves a label."""

    BODY = "body"  # an administrator of the certification body that issued it
    REGULATOR = "regulator"  # a market regulator, by order
    HOLDER = "holder"  # the enterprise that holds it
    SYSTEM = "system"  # the registry itself: expiry, supersession by a newer label


LABEL_CAPACITY_LABELS = labels_for(
    LabelCapacity,
    {
        LabelCapacity.BODY: _l("Issuing certification body"),
        LabelCapacity.REGULATOR: _l("Market regulator"),
        LabelCapacity.HOLDER: _l("Label holder"),
        LabelCapacity.SYSTEM: _l("The registry"),
    },
)


class LabelReason(LabelledEnum):
    """Why a label changed status: the code every change carries, beside the words shown to the public."""

    GRANTED = "granted"
    NONCONFORMITY = "nonconformity"
    FALSE_DATA = "false_data"
    SURVEILLANCE_FAILED = "surveillance_failed"
    SPOT_CHECK_FAILED = "spot_check_failed"
    MISUSE = "misuse"
    DISHONEST_LISTING = "dishonest_listing"
    KEY_REVOKED = "key_revoked"
    RESOLVED = "resolved"
    HOLDER_REQUEST = "holder_request"
    PRODUCT_DISCONTINUED = "product_discontinued"
    VALIDITY_ENDED = "validity_ended"
    SUPERSEDED = "superseded"
    OTHER = "other"


LABEL_REASON_LABELS = labels_for(
    LabelReason,
    {
        LabelReason.GRANTED: _l("Granted by a certification decision"),
        LabelReason.NONCONFORMITY: _l("No longer meets the certification requirements"),
        LabelReason.FALSE_DATA: _l("Footprint data found to be false"),
        LabelReason.SURVEILLANCE_FAILED: _l("Failed a surveillance evaluation"),
        LabelReason.SPOT_CHECK_FAILED: _l("Failed a spot check"),
        LabelReason.MISUSE: _l("Label misused (on another product, or altered)"),
        LabelReason.DISHONEST_LISTING: _l("Holder listed as a seriously dishonest entity"),
        LabelReason.KEY_REVOKED: _l("The key that signed it was revoked"),
        LabelReason.RESOLVED: _l("The cause of the suspension was corrected"),
        LabelReason.HOLDER_REQUEST: _l("At the holder's request"),
        LabelReason.PRODUCT_DISCONTINUED: _l("Product no longer made"),
        LabelReason.VALIDITY_ENDED: _l("Its period of validity ended"),
        LabelReason.SUPERSEDED: _l("Replaced by a newer label for the same product"),
        LabelReason.OTHER: _l("Other reason"),
    },
)


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (
        CheckConstraint(enum_check("status", LabelStatus), name="status_known"),
        # Only a granted application can hold a label; granted is final, so this also keeps it granted.
        CheckConstraint("application_status = 'granted'", name="application_granted"),
        ForeignKeyConstraint(["application_id", "application_status"], ["applications.id", "applications.status"]),
        CheckConstraint("valid_until > valid_from", name="validity_order"),
        CheckConstraint("footprint > 0", name="footprint_positive"),
        CheckConstraint("sequence > 0 AND sequence <= 999999", name="sequence_six_digits"),
        CheckConstraint("length(public_id) >= 16", name="public_id_long_enough"),
        # Each label holds one entry, the same index in its list's revocation and suspension bitstrings.
        UniqueConstraint("status_list", "status_index"),
        CheckConstraint(
            f"status_list >= 0 AND status_index >= 0 AND status_index < {STATUS_LIST_SIZE}",
            name="status_entry_in_range",
        ),
        CheckConstraint("length(token) > 100", name="token_present"),
        # The catalogue and the public API sort by footprint and page by (footprint, id).
        Index("ix_labels_footprint_id", "footprint", "id"),
        # The label page's category position: valid labels of a scheme version, by footprint.
        Index("ix_labels_status_scheme_version_footprint", "status", "scheme_version_id", "footprint"),
        # The catalogue filtered by scheme, newest first or by footprint, reads these in order and stops at a page.
        Index("ix_labels_scheme_version_id_id", "scheme_version_id", "id"),
        Index("ix_labels_scheme_version_footprint_id", "scheme_version_id", "footprint", "id"),
        # The statistics count labels per (scheme version, grade) and per holder, valid or not, from these alone.
        Index("ix_labels_scheme_version_grade_status", "scheme_version_id", "grade_code", "status"),
        Index("ix_labels_holder_status", "holder_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, at least 96 bits: what URLs carry. The integer id never leaves the registry.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    certificate_number: Mapped[str] = mapped_column(String(48), unique=True)
    sequence: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[int] = mapped_column(unique=True)
    application_status: Mapped[ApplicationStatus] = mapped_column(
        StrEnumType(ApplicationStatus), default=ApplicationStatus.GRANTED
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id"), index=True)
    footprint: Mapped[Decimal] = mapped_column(MicroDecimal())
    declared_unit: Mapped[str] = mapped_column(String(40))
    grade_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[LabelStatus] = mapped_column(StrEnumType(LabelStatus), default=LabelStatus.VALID, index=True)
    valid_from: Mapped[date] = mapped_column(Date())
    valid_until: Mapped[date] = mapped_column(Date())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The URL path the token is bound to (its ``sub``): /01/{GTIN-14} or /l/{public_id}, fixed at issuance.
    path: Mapped[str] = mapped_column(String(64))
    # The signed L1 token (base64url COSE_Sign1), issued in the same transaction as the label.
    token: Mapped[str] = mapped_column(String(600))
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    status_list: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    # The words the catalogue finds the label by (registry.labels.searchtext), full-text indexed per engine by
    # migration 0005: FTS5 on SQLite; on PostgreSQL a generated tsvector column (search_vector, not modelled) with
    # a GIN index.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the status last changed (null while it is the status the label was issued with), and the label that
    # took this one's place when it was superseded (registry.labels.lifecycle).
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"))

    application: Mapped[Application] = relationship(
        foreign_keys=[application_id],
        primaryjoin="Label.application_id == Application.id",
        viewonly=True,
        lazy="joined",
    )
    product: Mapped[Product] = relationship(lazy="joined")
    holder: Mapped[Organisation] = relationship(foreign_keys=[holder_id], lazy="joined")
    body: Mapped[Organisation] = relationship(foreign_keys=[body_id], lazy="joined")
    scheme_version: Mapped[SchemeVersion] = relationship(lazy="joined")
    signing_key: Mapped[SigningKey] = relationship(lazy="joined")
    superseded_by: Mapped[Label | None] = relationship(remote_side=[id], foreign_keys=[superseded_by_id])

    def page_url(self, host: str) -> str:
        """The label's own public page (whichever address its QR code carries)."""
        return f"https://{host}/l/{self.public_id}"

    def qr_url(self, host: str) -> str:
        """What the QR code encodes: the public URL with the token in its fragment (never sent to a server)."""
        return f"https://{host}{self.path}#{TOKEN_PREFIX}{self.token}"

    def grade(self) -> Grade:
        return self.scheme_version.spec.grade(self.grade_code)

    @property
    def signature_revoked(self) -> bool:
        """The key that signed the label's token has been revoked, so the token no longer verifies
        (``key_revoked``) until the body re-issues it (registry.labels.reissue). Not a status: the label's own
        status stays what it is."""
        return self.signing_key.status is KeyStatus.REVOKED

    @property
    def needs_reissue(self) -> bool:
        """Its signature is revoked while it is still live (valid or suspended): the body must re-issue it."""
        return self.signature_revoked and self.status in (LabelStatus.VALID, LabelStatus.SUSPENDED)


class CertificateCounter(Base):
    """The last certificate sequence a body used in a year; incremented in the granting transaction, so
    numbers are gap-free (a rolled-back grant rolls the counter back) and concurrent grants queue on the row."""

    __tablename__ = "certificate_counters"
    __table_args__ = (CheckConstraint("last_sequence >= 0 AND last_sequence <= 999999", name="sequence_six_digits"),)

    body_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)


class StatusListCounter(Base):
    """The last status-list index used in each list; a label takes the next one in its issuing transaction, and
    a list that is full (131,072 entries) is followed by the next list number."""

    __tablename__ = "status_list_counters"
    __table_args__ = (CheckConstraint(f"last_index >= -1 AND last_index < {STATUS_LIST_SIZE}", name="index_in_range"),)

    list_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_index: Mapped[int] = mapped_column(Integer, default=-1)


class LabelTransition(Base):
    """Every step of a label's life, from its issue: who (person, role and the capacity they acted in), when, from,
    to, the reason (a code and the words shown to the public), a suspension's resolve-by date, the evidence's
    hashes and, for a supersession, the label that took its place. Append-only, like the audit events."""

    __tablename__ = "label_transitions"
    __table_args__ = (
        CheckConstraint(in_check("action", ("issue", *(a.value for a in LabelAction))), name="action_known"),
        CheckConstraint(f"from_status IS NULL OR {enum_check('from_status', LabelStatus)}", name="from_known"),
        CheckConstraint(enum_check("to_status", LabelStatus), name="to_known"),
        CheckConstraint("(action = 'issue') = (from_status IS NULL)", name="only_issue_starts"),
        CheckConstraint("from_status IS NULL OR from_status <> to_status", name="changes_status"),
        CheckConstraint(enum_check("capacity", LabelCapacity), name="capacity_known"),
        CheckConstraint(enum_check("reason_code", LabelReason), name="reason_known"),
        # People give their reasons in words the public reads; the registry's own steps are their code.
        CheckConstraint("capacity = 'system' OR length(trim(public_reason)) > 0", name="people_give_reasons"),
        CheckConstraint("(action = 'suspend') = (resolve_by IS NOT NULL)", name="suspensions_resolve_by"),
        CheckConstraint("(action = 'supersede') = (successor_id IS NOT NULL)", name="supersession_names_successor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[LabelStatus | None] = mapped_column(StrEnumType(LabelStatus))
    to_status: Mapped[LabelStatus] = mapped_column(StrEnumType(LabelStatus))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    capacity: Mapped[LabelCapacity] = mapped_column(StrEnumType(LabelCapacity))
    reason_code: Mapped[LabelReason] = mapped_column(StrEnumType(LabelReason))
    public_reason: Mapped[str | None] = mapped_column(Text())
    resolve_by: Mapped[date | None] = mapped_column(Date())
    # SHA-256 (hex) of each piece of evidence the decision rests on; the files stay with who holds them.
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"))

    label: Mapped[Label] = relationship(foreign_keys=[label_id], lazy="joined")
    successor: Mapped[Label | None] = relationship(foreign_keys=[successor_id])
    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def action_label(self) -> str:
        return ISSUE_LABEL if self.action == "issue" else LabelAction(self.action).label
