"""W3C Bitstring Status List credentials (one revocation and one suspension list per list number), built from
the labels table on request so the bits always match the labels' statuses, and signed by the registry root key
as ``vc+jwt`` (VC JOSE COSE)."""

from __future__ import annotations

import gzip
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.dates import iso_utc
from registry.keys.services import signed_document
from registry.labels.models import Label, LabelStatus
from registry.verifier import format as fmt

PURPOSES = ("revocation", "suspension")
# How long a verifier may rely on a list after its validFrom (W3C ``ttl``, milliseconds): the same minute the
# responses may be cached for (labels.views.STATUS_MAX_AGE). Offline, an older list gives ``stale_status``.
TTL_MS = 60_000
# Withdrawn (撤销) and cancelled (注销) are final: revoked. Suspended is reversible. Expiry is carried by the
# token's exp; a superseded label is still a true statement about its own period and is not revoked.
STATUSES_SET = {
    "revocation": (LabelStatus.WITHDRAWN, LabelStatus.CANCELLED),
    "suspension": (LabelStatus.SUSPENDED,),
}


def list_numbers(session: Session) -> list[int]:
    highest = session.scalar(select(func.max(Label.status_list)))
    return list(range((highest or 0) + 1))


def bitstring(session: Session, purpose: str, number: int, only: int | None = None) -> bytes:
    """List ``number``'s bits for ``purpose``, from the labels' statuses. With ``only``, just that entry's bit is
    read (one row, by the (list, index) key) and the others are left unset: what checking one token needs."""
    bits = bytearray(fmt.STATUS_LIST_SIZE // 8)
    statement = select(Label.status_index).where(Label.status_list == number, Label.status.in_(STATUSES_SET[purpose]))
    if only is not None:
        statement = statement.where(Label.status_index == only)
    indexes = session.scalars(statement)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encode_list(bits: bytes) -> str:
    """Multibase base64url (prefix ``u``) of the GZIP-compressed bitstring; mtime 0 so equal lists are equal bytes."""
    return "u" + fmt.b64url(gzip.compress(bits, mtime=0))


def credential(session: Session, purpose: str, number: int, host: str, now: datetime) -> dict[str, Any]:
    url = f"https://{host}/status/{purpose}/{number}"
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": f"https://{host}",
        "validFrom": iso_utc(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bitstring(session, purpose, number)),
            "ttl": TTL_MS,
        },
    }


def signed_credential(session: Session, purpose: str, number: int, host: str, now: datetime) -> str:
    """The credential as a compact JWS (``typ: vc+jwt``) signed by the root key. ``validFrom`` is the second it
    was made (so two lists can be ordered and a verifier can tell when one outlives its ``ttl``), and signing is
    deterministic, so within a second every server returns the same bytes."""
    return signed_document(session, credential(session, purpose, number, host, now), "vc+jwt")
