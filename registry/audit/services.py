"""Writing audit events. Services call ``record_event`` in the same transaction as the change they make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; built at the edge (a request or a CLI command) and passed down."""

    user: User | None
    address: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user=None, address=None)


def record_event(
    session: Session,
    actor: Actor,
    tag: str,
    *,
    subject: Any = None,
    organisation_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    user = actor.user
    if organisation_id is None and user is not None:
        organisation_id = user.organisation_id
    event = AuditEvent(
        tag=tag,
        actor_id=user.id if user is not None else None,
        actor_role=str(user.role) if user is not None else None,
        organisation_id=organisation_id,
        subject_type=type(subject).__tablename__ if subject is not None else None,
        subject_id=str(subject.id) if subject is not None else None,
        payload=payload or {},
        address=actor.address,
    )
    session.add(event)
    return event


def list_events(
    session: Session, *, organisation_id: int | None = None, limit: int = 100, before_id: int | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))
