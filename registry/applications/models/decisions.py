"""What is to become of the file: the verifier's recommendation, the decision on the file or on an appeal
(each by a participant in the capacity it needs), and the appeal."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.applications.models.participants import Capacity
from registry.database import Base, StrEnumType, created_at, enum_check, intpk


class Outcome(enum.StrEnum):
    GRANT = "grant"
    REFUSE = "refuse"


class Recommendation(Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", Outcome), name="outcome_known"),
        CheckConstraint("capacity = 'verifier'", name="capacity_is_verifier"),
        ForeignKeyConstraint(
            ["application_id", "recommended_by_id", "capacity"],
            [
                "application_participants.application_id",
                "application_participants.user_id",
                "application_participants.capacity",
            ],
        ),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome, length=16))
    reasons: Mapped[str] = mapped_column(Text())
    recommended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    capacity: Mapped[Capacity] = mapped_column(StrEnumType(Capacity, length=20), default=Capacity.VERIFIER)
    recommended_at: Mapped[created_at]

    recommended_by: Mapped[User] = relationship(lazy="joined")


class Decision(Base):
    """A decision on the file (capacity ``decider``) or on the appeal (``appeal_decider``), by a participant
    in that capacity: the composite foreign key and the participants' uniqueness keep evaluators out."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", Outcome), name="outcome_known"),
        CheckConstraint("capacity IN ('decider', 'appeal_decider')", name="capacity_decides"),
        ForeignKeyConstraint(
            ["application_id", "decided_by_id", "capacity"],
            [
                "application_participants.application_id",
                "application_participants.user_id",
                "application_participants.capacity",
            ],
        ),
        UniqueConstraint("application_id", "capacity"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    capacity: Mapped[Capacity] = mapped_column(StrEnumType(Capacity, length=20))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome, length=16))
    reasons: Mapped[str] = mapped_column(Text())
    decided_at: Mapped[created_at]

    decided_by: Mapped[User] = relationship(lazy="joined")


class Appeal(Base):
    __tablename__ = "appeals"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    grounds: Mapped[str] = mapped_column(Text())
    lodged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lodged_at: Mapped[created_at]
