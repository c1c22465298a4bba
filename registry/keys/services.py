"""Generating, rotating and revoking signing keys; publishing them as a JWKS and a root-signed trust list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.dates import add_months, iso_utc
from registry.errors import ServiceError
from registry.keys.crypto import current_kek, seal, unseal
from registry.keys.models import KeyRole, KeyStatus, SigningKey
from registry.organisations.models import Organisation, OrganisationKind
from registry.tlog import services as tlog
from registry.verifier import format as fmt

# A body key signs for a year; it must verify for as long as anything it signed can be valid, and a scheme's
# validity is at most 120 months.
BODY_SIGNING_MONTHS = 12
BODY_VERIFY_MONTHS_AFTER_SIGNING = 120
ROOT_SIGNING_MONTHS = 120


def _generate(session: Session, role: KeyRole, body: Organisation | None, now: datetime) -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    kid = fmt.b64url(fmt.kid_for(private_key.public_key()))
    if role is KeyRole.ROOT:
        sign_until = add_months(now, ROOT_SIGNING_MONTHS)
        verify_until = sign_until
    else:
        sign_until = add_months(now, BODY_SIGNING_MONTHS)
        verify_until = add_months(sign_until, BODY_VERIFY_MONTHS_AFTER_SIGNING)
    key = SigningKey(
        kid=kid,
        role=role,
        body_id=body.id if body else None,
        body=body,
        public_jwk=fmt.public_jwk(private_key.public_key()),
        sealed_private_key=seal(private_key, kid, current_kek()),
        status=KeyStatus.ACTIVE,
        created_at=now,
        sign_from=now,
        sign_until=sign_until,
        verify_until=verify_until,
    )
    session.add(key)
    session.flush()
    return key


def _active(session: Session, role: KeyRole, body_id: int | None) -> SigningKey | None:
    query = select(SigningKey).where(SigningKey.role == role, SigningKey.status == KeyStatus.ACTIVE)
    if body_id is not None:
        query = query.where(SigningKey.body_id == body_id)
    return session.scalar(query)


def _retire(key: SigningKey, now: datetime) -> None:
    key.status = KeyStatus.RETIRED
    key.sign_until = max(min(key.sign_until, now), key.sign_from + timedelta(seconds=1))


class NoRootKey(ServiceError):
    """The registry has no root key that may sign now, so it cannot publish its signed documents (a 503)."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "The registry has no root key that may sign now, so it cannot publish this document. Its operator "
                "makes one with `flask setup` or `flask keys root` (issuing a label makes one too)."
            ),
            status=503,
        )


def root_key(session: Session) -> SigningKey:
    """The registry's active root key, made if there is none or its signing window has closed: by ``flask setup``,
    ``flask keys root`` and each issuance, never by a request that only reads (``published_root_key``)."""
    tlog.log_key(session)  # the transparency log's checkpoint key is made with the root key
    key = _active(session, KeyRole.ROOT, None)
    now = utcnow()
    if key is not None and key.sign_until > now:
        return key
    if key is not None:
        _retire(key, now)
        session.flush()
    key = _generate(session, KeyRole.ROOT, None, now)
    record_event(session, Actor.system(), "key:create", subject=key, payload={"kid": key.kid, "role": "root"})
    tlog.append(session, "key:create", now, {"kid": key.kid, "role": "root", "body": None})
    return key


def published_root_key(session: Session) -> SigningKey:
    """The root key that signs what the registry publishes (the trust list, the status lists), read only: raises
    ``NoRootKey`` if there is none that may sign now."""
    key = _active(session, KeyRole.ROOT, None)
    if key is None or key.sign_until <= utcnow():
        raise NoRootKey()
    return key


def signing_key_for(session: Session, actor: Actor, body: Organisation, now: datetime | None = None) -> SigningKey:
    """The body's active key for a label issued at ``now``; if it has none, or its signing window has closed, a new
    one is made (and the old one retired to verify-only) in the caller's transaction, signing from ``now``: a key
    made a moment after the label's issue time, in the next second, would not cover the token's ``iat``."""
    now = now or utcnow()
    key = _active(session, KeyRole.BODY, body.id)
    if key is not None and key.sign_until > now:
        return key
    return rotate(session, actor, body, now)


def rotate(session: Session, actor: Actor, body: Organisation, now: datetime | None = None) -> SigningKey:
    if body.kind is not OrganisationKind.CERTIFICATION_BODY:
        raise ServiceError(f"{body.name_zh} is not a certification body; only bodies have label-signing keys.")
    now = (now or utcnow()).replace(microsecond=0)  # windows in whole seconds, as tokens and the trust list write them
    previous = _active(session, KeyRole.BODY, body.id)
    if previous is not None:
        _retire(previous, now)
        session.flush()
    key = _generate(session, KeyRole.BODY, body, now)
    root_key(session)
    record_event(
        session,
        actor,
        "key:rotate",
        subject=key,
        organisation_id=body.id,
        payload={"kid": key.kid, "retired": previous.kid if previous else None},
    )
    tlog.append(
        session,
        "key:rotate",
        now,
        {"kid": key.kid, "role": "body", "body": body.body_code, "retired": previous.kid if previous else None},
    )
    return key


def revoke(session: Session, actor: Actor, kid: str, reason: str, at: datetime | None = None) -> SigningKey:
    key = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if key is None:
        raise ServiceError(f"No key has the kid {kid!r}; `flask keys list` shows them.")
    if key.role is KeyRole.ROOT:
        raise ServiceError("The root key is replaced by re-keying the registry, not revoked here.")
    if key.status is KeyStatus.REVOKED:
        raise ServiceError(f"The key {kid} was already revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S} UTC.")
    if not reason.strip():
        raise ServiceError("Give the reason for revoking the key (it is published in the trust list's audit trail).")
    now = utcnow()
    key.status = KeyStatus.REVOKED
    key.revoked_at = at or now
    key.revocation_reason = reason.strip()[:500]
    key.sign_until = max(min(key.sign_until, now), key.sign_from + timedelta(seconds=1))
    record_event(
        session,
        actor,
        "key:revoke",
        subject=key,
        organisation_id=key.body_id,
        payload={"kid": kid, "revoked_at": key.revoked_at.isoformat(), "reason": key.revocation_reason},
    )
    session.flush()
    tlog.append(
        session,
        "key:revoke",
        now,
        {
            "kid": kid,
            "role": "body",
            "body": key.body.body_code if key.body else None,
            "revoked_at": iso_utc(key.revoked_at),
            "reason": key.revocation_reason,
        },
    )
    # Every live label the key signed now shows a revoked signature until re-issued: tell its holder and the body.
    from registry.labels.reissue import tell_key_revoked  # labels import this module

    tell_key_revoked(session, actor, key)
    return key


def private_key(key: SigningKey) -> ec.EllipticCurvePrivateKey:
    return unseal(key.sealed_private_key, key.kid, current_kek())


def list_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.role, SigningKey.body_id, SigningKey.id)))


# --- publication ------------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


def public_jwk(key: SigningKey) -> dict[str, str]:
    return {**key.public_jwk, "kid": key.kid, "alg": "ES256", "use": "sig"}


def jwks(session: Session) -> dict[str, Any]:
    """Every key a verifier may need: the bodies' keys (active, retired and revoked: a verifier must be able to
    name the key of a revoked token) and the root key that signs the trust list and status lists."""
    return {"keys": [public_jwk(key) for key in list_keys(session)]}


def trust_list_payload(session: Session, host: str, now: datetime, aliases: Sequence[str] = ()) -> dict[str, Any]:
    """The trust list. ``hosts`` names every host the registry's QR codes may carry (``host`` first, then
    ``aliases``, e.g. a former host still printed on labels): verifiers call a label on any other ``foreign_host``."""
    keys = []
    for key in list_keys(session):
        if key.role is not KeyRole.BODY or key.body is None:
            continue
        keys.append(
            {
                "kid": key.kid,
                "jwk": public_jwk(key),
                "body": {
                    "code": key.body.body_code,
                    "name_zh": key.body.name_zh,
                    "name_en": key.body.name_en,
                    "accreditation_number": key.body.accreditation_number,
                },
                "status": key.status.value,
                "sign_from": _iso(key.sign_from),
                "sign_until": _iso(key.sign_until),
                "verify_until": _iso(key.verify_until),
                "revoked_at": _iso(key.revoked_at),
            }
        )
    return {
        "type": "CarbonLabelTrustList",
        "issuer": f"https://{host}",
        "hosts": list(dict.fromkeys([host, *aliases])),
        "issued_at": _iso(now),
        "root_kid": published_root_key(session).kid,
        "keys": keys,
        "transparency_log": tlog.log_public_info(session),
    }


def signed_document(session: Session, payload: dict[str, Any], typ: str) -> str:
    """A compact JWS of ``payload`` signed by the root key (deterministic: same payload, same bytes); ``NoRootKey``
    if there is none."""
    root = published_root_key(session)
    header = {"alg": "ES256", "kid": root.kid, "typ": typ}
    return fmt.jws_compact(
        header, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), private_key(root)
    )


def trust_list_document(session: Session, host: str, now: datetime, aliases: Sequence[str] = ()) -> dict[str, str]:
    """The trust list in flattened JWS JSON serialization (RFC 7515 §7.2.2)."""
    protected, payload, signature = signed_document(
        session, trust_list_payload(session, host, now, aliases), "label-trust-list+json"
    ).split(".")
    return {"protected": protected, "payload": payload, "signature": signature}
