"""When a body's signing key is revoked: telling the people whose labels it signed, and re-issuing those labels.

A revoked key is not a label status. The label keeps its status; ``Label.signature_revoked`` says that its token no
longer verifies (the verifier's ``key_revoked``), and the page, JSON, badge and catalogue show it
(registry/labels/wording.py). The labels that matter are the *live* ones (valid or suspended) the key signed: an
ended label (withdrawn, cancelled, expired, superseded) is not re-issued.

- ``tell_key_revoked``, called by ``keys.services.revoke`` in its transaction: one notification per person (each
  holder's applicants, with their own count, and the body's administrators, with the body's), and an audit event.
- ``reissue_labels``: one batch of those labels re-signed with the body's current active key. Each gets a new
  token (``iat`` now, inside the new key's window) and so a new QR code and artwork (both named by the token);
  its certificate number, public id, status-list entry, validity and status stay as they are; an audit event
  ``label:reissue`` per label. The caller commits each batch (``flask labels reissue`` loops, printing progress;
  the button on ``/labels/`` does one batch per request), so a large body is never one huge transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.after_commit import after_commit
from registry.audit.services import Actor, record_event
from registry.config import public_host
from registry.database import utcnow
from registry.errors import ServiceError
from registry.keys.models import KeyRole, KeyStatus, SigningKey
from registry.keys.services import signing_key_for
from registry.labels.models import Label, LabelStatus
from registry.labels.tokens import sign_label
from registry.notifications.services import notify

LIVE = (LabelStatus.VALID, LabelStatus.SUSPENDED)
DEFAULT_BATCH_SIZE = 200


def _live_signed_by(key_ids: Sequence[int]):  # type: ignore[no-untyped-def]
    return (Label.signing_key_id.in_(key_ids), Label.status.in_(LIVE))


def tell_key_revoked(session: Session, actor: Actor, key: SigningKey) -> int:
    """In the revoking transaction: tell each holder's applicants how many of their live labels the key signed,
    and the body's administrators how many in all (one notification per person, not per label), and record it.
    Returns the number of labels to re-issue."""
    counts: dict[int, int] = {
        holder_id: int(count)
        for holder_id, count in session.execute(
            select(Label.holder_id, func.count()).where(*_live_signed_by([key.id])).group_by(Label.holder_id)
        )
    }
    total = sum(counts.values())
    record_event(
        session,
        actor,
        "label:key_revoked",
        subject=key,
        organisation_id=key.body_id,
        payload={"kid": key.kid, "labels": total, "holders": len(counts)},
    )
    if not total:
        return 0
    for holder_id, count in sorted(counts.items()):
        applicants = session.scalars(select(User).where(User.organisation_id == holder_id, User.role == Role.APPLICANT))
        notify(
            session, applicants, "label:key_revoked", application_id=None, params={"reference": key.kid, "count": count}
        )
    admins = session.scalars(select(User).where(User.organisation_id == key.body_id, User.role == Role.BODY_ADMIN))
    notify(
        session, admins, "label:key_revoked_body", application_id=None, params={"reference": key.kid, "count": total}
    )
    return total


def awaiting_reissue(session: Session, body_id: int) -> list[tuple[SigningKey, int]]:
    """The body's revoked keys that still sign live labels, oldest first, each with how many."""
    revoked = select(SigningKey.id).where(SigningKey.body_id == body_id, SigningKey.status == KeyStatus.REVOKED)
    rows = session.execute(
        select(Label.signing_key_id, func.count())
        .where(Label.body_id == body_id, Label.signing_key_id.in_(revoked), Label.status.in_(LIVE))
        .group_by(Label.signing_key_id)
        .order_by(Label.signing_key_id)
    ).all()
    return [(session.get_one(SigningKey, key_id), int(count)) for key_id, count in rows]


@dataclass(frozen=True)
class Reissued:
    """One batch: the labels re-issued in it, the key that signed them, and how many still wait."""

    labels: tuple[Label, ...]
    key: SigningKey
    remaining: int

    @property
    def count(self) -> int:
        return len(self.labels)


def revoked_key(session: Session, kid: str) -> SigningKey:
    """The revoked body key ``kid``; ServiceError for an unknown kid, a root key or a key that is not revoked."""
    key = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if key is None or key.role is not KeyRole.BODY or key.body is None:
        raise ServiceError(
            _l("No certification body's key has the kid %(kid)s (`flask keys list` shows them).", kid=kid), status=404
        )
    if key.status is not KeyStatus.REVOKED:
        raise ServiceError(
            _l("The key %(kid)s is not revoked: the labels it signed still verify and need no re-issue.", kid=kid)
        )
    return key


def reissue_labels(
    session: Session, actor: Actor, kid: str, batch_size: int = DEFAULT_BATCH_SIZE, *, host: str | None = None
) -> Reissued:
    """Re-issue up to ``batch_size`` of the live labels signed by the revoked key ``kid`` with the body's current
    active key, in the caller's transaction (the caller commits, then calls again while ``remaining``).

    Refuses with ServiceError, before writing, for an unknown kid, a key that is not revoked, or a body with no
    active key (``flask keys rotate --body CODE`` makes one)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    key = revoked_key(session, kid)
    body = key.body
    assert body is not None
    active = session.scalar(
        select(SigningKey).where(
            SigningKey.role == KeyRole.BODY, SigningKey.body_id == body.id, SigningKey.status == KeyStatus.ACTIVE
        )
    )
    if active is None:
        raise ServiceError(
            _l(
                "%(body)s has no active signing key to re-issue its labels with. The registry's operator makes one with "
                "`flask keys rotate --body %(code)s`.",
                body=body.name_zh,
                code=body.body_code or "",
            ),
            status=409,
        )
    now = utcnow().replace(microsecond=0)
    new_key = signing_key_for(session, actor, body, now)  # the active key, or its successor if its window closed
    host = host or public_host()
    labels = list(session.scalars(select(Label).where(*_live_signed_by([key.id])).order_by(Label.id).limit(batch_size)))
    for label in labels:
        sign_label(label, label.application, new_key, host, signed_at=now)
        record_event(
            session,
            actor,
            "label:reissue",
            subject=label,
            organisation_id=body.id,
            payload={
                "certificate_number": label.certificate_number,
                "revoked_kid": key.kid,
                "kid": new_key.kid,
            },
        )
    session.flush()
    if labels and has_app_context():
        folder = Path(current_app.config["ARTWORK_DIR"])
        after_commit(session, _ForgetArtwork(folder, tuple(label.id for label in labels)))
    remaining = session.scalar(select(func.count()).select_from(Label).where(*_live_signed_by([key.id]))) or 0
    return Reissued(tuple(labels), new_key, remaining)


@dataclass(frozen=True)
class _ForgetArtwork:
    """After the commit: the kept artwork of the re-issued labels was named by their old tokens and is never read
    again (registry.labels.kept); delete it rather than leave it for a clean-up."""

    folder: Path
    label_ids: tuple[int, ...]

    def __call__(self) -> None:
        from registry.labels.kept import forget

        for label_id in self.label_ids:
            forget(self.folder, label_id)
