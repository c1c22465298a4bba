"""The record of every status change of an application, append-only like the audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.applications.models.application import ApplicationStatus
from registry.database import Base, StrEnumType, created_at, enum_check, intpk


class TransitionRecord(Base):
    """Every status change: who (person and role), when, from, to, why, with the evidence's hashes."""

    __tablename__ = "application_transitions"
    __table_args__ = (
        CheckConstraint(enum_check("from_status", ApplicationStatus), name="from_known"),
        CheckConstraint(enum_check("to_status", ApplicationStatus), name="to_known"),
        CheckConstraint("from_status <> to_status", name="changes_status"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[ApplicationStatus] = mapped_column(StrEnumType(ApplicationStatus))
    to_status: Mapped[ApplicationStatus] = mapped_column(StrEnumType(ApplicationStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text())
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[created_at]

    actor: Mapped[User | None] = relationship(lazy="joined")
