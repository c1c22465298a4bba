"""A spot-check draw, the labels it drew (each with its inspector) and the results recorded on them. All three are
append-only: a draw is what it was when it was made, and a result once recorded is public and stays."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import Base, StrEnumType, UTCDateTime, enum_check, intpk
from registry.enums import LabelledEnum, labels_for
from registry.labels.models import Label
from registry.organisations.models import Organisation


class CheckOutcome(LabelledEnum):
    PASS = "pass"
    FAIL = "fail"


CHECK_OUTCOME_LABELS = labels_for(CheckOutcome, {CheckOutcome.PASS: _l("Passed"), CheckOutcome.FAIL: _l("Failed")})


class SpotCheckDraw(Base):
    """One draw: who drew (a regulator, for its organisation), when, the filter, how many, the seed, and the
    candidates it drew from (every certificate number, their count and the SHA-256 of the sorted list)."""

    __tablename__ = "spot_check_draws"
    __table_args__ = (
        CheckConstraint("requested > 0", name="requested_positive"),
        CheckConstraint("length(seed) = 64", name="seed_is_32_bytes"),
        CheckConstraint("length(candidates_sha256) = 64", name="candidates_hash_present"),
        CheckConstraint("candidate_count >= 0", name="candidate_count_known"),
        CheckConstraint("pool_size > 0", name="pool_not_empty"),
    )

    id: Mapped[intpk]
    regulator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The filter: scheme code, issuing body's code, holder's province (two digits), product category code.
    filter_scheme: Mapped[str | None] = mapped_column(String(64))
    filter_body: Mapped[str | None] = mapped_column(String(16))
    filter_region: Mapped[str | None] = mapped_column(String(2))
    filter_category: Mapped[str | None] = mapped_column(String(64))
    requested: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(64))  # 32 bytes from secrets, in hex
    candidate_count: Mapped[int] = mapped_column(Integer)
    candidates_sha256: Mapped[str] = mapped_column(String(64))
    candidates: Mapped[list[str]] = mapped_column(JSON)
    # The inspectors' user ids in pool order (their pool numbers are 1, 2, …): internal, never published.
    pool: Mapped[list[int]] = mapped_column(JSON)
    pool_size: Mapped[int] = mapped_column(Integer)

    regulator: Mapped[Organisation] = relationship(lazy="joined")
    drawn_by: Mapped[User] = relationship(lazy="joined")
    items: Mapped[list[SpotCheckItem]] = relationship(
        back_populates="draw", order_by="SpotCheckItem.position", lazy="selectin"
    )


class SpotCheckItem(Base):
    """A drawn label, its place in the draw, its key, and the inspector assigned to it (by pool number too)."""

    __tablename__ = "spot_check_items"
    __table_args__ = (
        CheckConstraint("position > 0", name="position_positive"),
        CheckConstraint("inspector_number > 0", name="inspector_number_positive"),
        CheckConstraint("length(draw_key) = 64", name="key_is_sha256"),
    )
    # No unique key beside the primary key: on SQLite the append-only guard needs it so (registry.audit.append_only);
    # the service writes each position and label once.

    id: Mapped[intpk]
    draw_id: Mapped[int] = mapped_column(ForeignKey("spot_check_draws.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), index=True)
    certificate_number: Mapped[str] = mapped_column(String(48))
    draw_key: Mapped[str] = mapped_column(String(64))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    inspector_number: Mapped[int] = mapped_column(Integer)

    draw: Mapped[SpotCheckDraw] = relationship(back_populates="items", lazy="joined")
    label: Mapped[Label] = relationship(lazy="joined")
    inspector: Mapped[User] = relationship(lazy="joined")
    result: Mapped[SpotCheckResult | None] = relationship(back_populates="item", lazy="selectin", uselist=False)


class SpotCheckResult(Base):
    """The result of one check, recorded once by the assigned inspector or the regulator who drew: pass or fail,
    the findings in words the public reads, and the SHA-256 of the evidence file (the file stays with them)."""

    __tablename__ = "spot_check_results"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", CheckOutcome), name="outcome_known"),
        CheckConstraint("length(trim(findings)) > 0", name="findings_given"),
        CheckConstraint("evidence_sha256 IS NULL OR length(evidence_sha256) = 64", name="evidence_is_sha256"),
    )

    # The item's own id: one result per item, and the primary key the only unique key (append-only on SQLite).
    id: Mapped[int] = mapped_column(ForeignKey("spot_check_items.id"), primary_key=True, autoincrement=False)
    outcome: Mapped[CheckOutcome] = mapped_column(StrEnumType(CheckOutcome, length=8))
    findings: Mapped[str] = mapped_column(Text())
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    item: Mapped[SpotCheckItem] = relationship(back_populates="result", lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")
