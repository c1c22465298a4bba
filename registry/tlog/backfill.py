"""Backfill: the events that happened before the log existed, appended in their original order with their original
times (migration 0015_tlog). Label history rows, key creations and revocations, dishonest-list events, merged by time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.dates import iso_utc
from registry.keys.models import KeyRole, SigningKey
from registry.labels.models import Label, LabelTransition
from registry.supervision.models import DishonestListEvent
from registry.supervision.services import first_day, last_day
from registry.tlog import services


def backfill(session: Session) -> int:
    """Append every past event (the log must be empty); how many were appended."""
    if services.size(session):
        raise RuntimeError("the transparency log already has entries; backfill only fills an empty one")
    events: list[tuple[datetime, int, int, Callable[[], Any]]] = []

    for row in session.scalars(select(LabelTransition).order_by(LabelTransition.id)):

        def label_entry(row: LabelTransition = row) -> None:
            label = session.get_one(Label, row.label_id)
            successor = session.get(Label, row.successor_id) if row.successor_id else None
            services.append(
                session,
                f"label:{row.action}",
                row.at,
                services.label_fields(label, row.from_status, row.to_status, row.reason_code, successor),
                label_id=label.id,
                checkpoint=False,
            )

        events.append((row.at, 0, row.id, label_entry))

    previous: dict[int, str] = {}
    fields: dict[str, Any]
    for key in session.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.id)):
        body = key.body.body_code if key.body else None
        if key.role is KeyRole.ROOT:
            kind, fields = "key:create", {"kid": key.kid, "role": "root", "body": None}
        else:
            fields = {"kid": key.kid, "role": "body", "body": body, "retired": previous.get(key.body_id or 0)}
            kind = "key:rotate"
            previous[key.body_id or 0] = key.kid

        def key_entry(kind: str = kind, fields: dict[str, Any] = fields, at: datetime = key.created_at) -> None:
            services.append(session, kind, at, fields, checkpoint=False)

        events.append((key.created_at, 1, key.id, key_entry))
        if key.revoked_at is not None:
            revoked = {
                "kid": key.kid,
                "role": "body",
                "body": body,
                "revoked_at": iso_utc(key.revoked_at),
                "reason": key.revocation_reason,
            }

            def revoke_entry(fields: dict[str, Any] = revoked, at: datetime = key.revoked_at) -> None:
                services.append(session, "key:revoke", at, fields, checkpoint=False)

            events.append((key.revoked_at, 2, key.id, revoke_entry))

    for event in session.scalars(select(DishonestListEvent).order_by(DishonestListEvent.id)):
        fields = {"enterprise": event.organisation.uscc, "listing": event.listing_id}
        if event.action.value == "listed":
            fields["from"] = first_day(event.listing).isoformat()
            until = last_day(event.listing)
            fields["until"] = until.isoformat() if until else None

        def list_entry(
            kind: str = f"dishonest:{event.action.value}", f: dict[str, Any] = fields, at: datetime = event.at
        ) -> None:
            services.append(session, kind, at, f, checkpoint=False)

        events.append((event.at, 3, event.id, list_entry))

    events.sort(key=lambda item: (item[0], item[1], item[2]))
    for _at, _source, _id, write in events:
        write()
    return len(events)
