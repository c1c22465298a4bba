"""The append-only audit trail: one row per thing that happened, written in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import Base, UTCDateTime, intpk, utcnow
from registry.organisations.models import Organisation


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        # Tags read "subject:action" or "subject:action:outcome", e.g. "user:login:failure".
        CheckConstraint("tag LIKE '%:%'", name="tag_has_subject"),
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
    )

    id: Mapped[intpk]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    tag: Mapped[str] = mapped_column(String(80), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


# The tables of the audit trail the database keeps append-only with triggers (migrations 0001 and 0007): the events
# the certification workflow's transition records and the labels' history (0008), the regulators' orders and the
# dishonest-entity list's history (0009_supervision), the spot checks (0010_inspections), completed surveillance
# evaluations (0011_surveillance), the complaints' history and notes (0012_complaints) and the transparency log's
# entries, subtree hashes and checkpoints (0015_tlog). The PostgreSQL runtime
# role may only read and add to them.
APPEND_ONLY_TABLES = (
    "audit_events",
    "application_transitions",
    "label_transitions",
    "supervision_orders",
    "dishonest_list_events",
    "spot_check_draws",
    "spot_check_items",
    "spot_check_results",
    "surveillance_evaluations",
    "complaint_steps",
    "complaint_notes",
    "tlog_entries",
    "tlog_nodes",
    "tlog_checkpoints",
)


class AuditEventIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    # The database refuses too (triggers in the migration); this catches it earlier with a clearer error.
    raise AuditEventIsAppendOnly(f"audit event {target.id} cannot be changed or deleted")
