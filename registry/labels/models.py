"""Labels: the public object a granted application produces, and the per-body certificate counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l, lazy_pgettext
from sqlalchemy import (
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

from registry.applications.models import Application, ApplicationStatus
from registry.database import Base, MicroDecimal, StrEnumType, UTCDateTime, enum_check
from registry.enums import LabelledEnum, labels_for
from registry.keys.models import SigningKey
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.models import SchemeVersion
from registry.verifier.format import STATUS_LIST_SIZE, TOKEN_PREFIX


class LabelStatus(LabelledEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


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
        CheckConstraint(f"status_list >= 0 AND status_index >= 0 AND status_index < {STATUS_LIST_SIZE}", name="status_entry_in_range"),
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

    application: Mapped[Application] = relationship(
        foreign_keys=[application_id], primaryjoin="Label.application_id == Application.id", viewonly=True, lazy="joined"
    )
    product: Mapped[Product] = relationship(lazy="joined")
    holder: Mapped[Organisation] = relationship(foreign_keys=[holder_id], lazy="joined")
    body: Mapped[Organisation] = relationship(foreign_keys=[body_id], lazy="joined")
    scheme_version: Mapped[SchemeVersion] = relationship(lazy="joined")
    signing_key: Mapped[SigningKey] = relationship(lazy="joined")

    def page_url(self, host: str) -> str:
        """The label's own public page (whichever address its QR code carries)."""
        return f"https://{host}/l/{self.public_id}"

    def qr_url(self, host: str) -> str:
        """What the QR code encodes: the public URL with the token in its fragment (never sent to a server)."""
        return f"https://{host}{self.path}#{TOKEN_PREFIX}{self.token}"

    def grade(self) -> dict[str, object]:
        return next(g for g in self.scheme_version.definition["grades"] if g["code"] == self.grade_code)


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
