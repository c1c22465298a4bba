"""The signed part of a label: its public record, its status-list entry and its L1 token (docs/signed-labels.md).

Everything here runs inside the granting transaction, so a label never exists without its token and status
entry, and a rolled-back grant leaves neither behind.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

import qrcode.constants
from qrcode import util as qr_util
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.dates import iso_utc
from registry.errors import ServiceError
from registry.keys.models import SigningKey
from registry.keys.services import private_key
from registry.labels.models import StatusListCounter
from registry.numbers import plain
from registry.schemes.definition import DeclaredUnit, SchemeDefinition
from registry.verifier import format as fmt

if TYPE_CHECKING:
    from registry.applications.models import Application
    from registry.labels.models import Label

# QR codes must stay at version 13 or lower at error correction M, so they print small (docs/signed-labels.md).
MAX_QR_VERSION = 13


def footprint_grams(footprint_kg: Decimal) -> int:
    """kg CO2e per declared unit → whole grams (half-even), as the token carries it."""
    return int((footprint_kg * 1000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def declared_unit_text(unit: DeclaredUnit) -> str:
    """The declared unit as the token carries it: ``kWh`` for one kWh, ``1000 kg`` otherwise."""
    return unit.unit if unit.amount == 1 else f"{plain(unit.amount)} {unit.unit}"


def public_record(label: Label, application: Application | None = None) -> dict[str, Any]:
    """The label's canonical public record: every fact the label page shows that never changes after issuance
    (status does change, and is carried by the status lists). Its hash is signed in the token."""
    application = application or label.application
    unit = label.scheme_version.spec.declared_unit
    return {
        "label_id": label.public_id,
        "certificate_number": label.certificate_number,
        "path": label.path,
        "product": {
            "name_zh": label.product.name_zh,
            "name_en": label.product.name_en,
            "model": label.product.model,
            "gtin": label.product.gtin,
        },
        "holder": {"name_zh": label.holder.name_zh, "name_en": label.holder.name_en},
        "body": {
            "code": label.body.body_code,
            "name_zh": label.body.name_zh,
            "name_en": label.body.name_en,
            "accreditation_number": label.body.accreditation_number,
        },
        "scheme": {"id": label.scheme_version.code, "version": label.scheme_version.version},
        "declared_unit": {
            "kind": unit.kind,
            "amount": plain(unit.amount),
            "unit": unit.unit,
            "description_zh": unit.description_zh,
            "description_en": unit.description_en,
        },
        "boundary": label.scheme_version.boundary,
        "footprint_kg_co2e": plain(label.footprint),
        "stages_kg_co2e": {stage.stage: plain(stage.value) for stage in application.stages},
        "data_period": {"start": _iso(application.period_start), "end": _iso(application.period_end)},
        "grade": label.grade_code,
        "valid_from": label.valid_from.isoformat(),
        "valid_until": label.valid_until.isoformat(),
        "issued_at": iso_utc(label.issued_at),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def allocate_status_entry(session: Session) -> tuple[int, int]:
    """The next free (list, index), inside the caller's transaction (the counter row is locked until it ends,
    like the certificate counter: a rolled-back issuance gives its index back)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    while True:
        current = session.scalar(select(func.max(StatusListCounter.list_number)))
        if current is None:
            session.execute(insert(StatusListCounter).values(list_number=0, last_index=-1).on_conflict_do_nothing())
            continue
        index = session.execute(
            update(StatusListCounter)
            .where(StatusListCounter.list_number == current, StatusListCounter.last_index < fmt.STATUS_LIST_SIZE - 1)
            .values(last_index=StatusListCounter.last_index + 1)
            .returning(StatusListCounter.last_index),
            execution_options={"synchronize_session": False},
        ).scalar_one_or_none()
        if index is not None:
            return int(current), int(index)
        session.execute(
            insert(StatusListCounter).values(list_number=current + 1, last_index=-1).on_conflict_do_nothing()
        )


def exp_timestamp(label: Label) -> int:
    """``exp``: the end of the last day of validity, China Standard Time (UTC+8)."""
    end = datetime.combine(label.valid_until + timedelta(days=1), time(0), tzinfo=timezone(timedelta(hours=8)))
    return int(end.timestamp())


def claims_for(
    label: Label, application: Application | None = None, signed_at: datetime | None = None
) -> fmt.LabelClaims:
    """The token's claims. ``iat`` is when the token was signed: the label's issue time, or for a label re-issued
    after its key was revoked (registry.labels.reissue) the re-issue time, within the new key's signing window."""
    unit = label.scheme_version.spec.declared_unit
    return fmt.LabelClaims(
        iss=label.body.body_code or "",
        sub=label.path,
        iat=int((signed_at or label.issued_at).timestamp()),
        exp=exp_timestamp(label),
        cti=fmt.b64url_decode(label.public_id),
        footprint_g=footprint_grams(label.footprint),
        declared_unit=declared_unit_text(unit),
        boundary=label.scheme_version.boundary,
        scheme_id=label.scheme_version.code,
        scheme_version=label.scheme_version.version,
        grade=label.grade_code,
        status_list=label.status_list,
        status_index=label.status_index,
        record_hash=fmt.record_hash(public_record(label, application)),
    )


def sign_label(
    label: Label, application: Application, key: SigningKey, host: str, signed_at: datetime | None = None
) -> None:
    """Sign the label's token with the body's key (at ``signed_at``, default its issue time); refuse (nothing is
    written) if its QR code would be too big."""
    label.signing_key = key
    label.signing_key_id = key.id
    claims = claims_for(label, application, signed_at)
    label.token = fmt.encode_token(fmt.label_claims_map(claims), fmt.b64url_decode(key.kid), private_key(key))
    version = qr_version(label.qr_url(host))
    if version > MAX_QR_VERSION:
        raise ServiceError(
            f"The label's QR code would need version {version}; the registry prints at most version {MAX_QR_VERSION}. "
            "The public host name (PUBLIC_HOST) or the scheme's identifiers are too long: ask the registry operator."
        )


def qr_version(url: str) -> int:
    """The smallest QR version that holds ``url`` at error correction M, with the same segmentation the renderer
    uses (qrcode's ``optimal_data_chunks``), counted arithmetically: sizing the data through qrcode's bit buffer
    cost 8 ms a label, most of an issuance."""
    chunks = list(qr_util.optimal_data_chunks(url.encode("utf-8"), minimum=20))
    limits = qr_util.BIT_LIMIT_TABLE[qrcode.constants.ERROR_CORRECT_M]
    for version in range(1, 41):
        sizes = qr_util.mode_sizes_for_version(version)
        bits = sum(4 + sizes[chunk.mode] + _data_bits(chunk) for chunk in chunks)
        if bits <= limits[version]:
            return version
    return 41


def _data_bits(chunk: qr_util.QRData) -> int:
    length = len(chunk.data)
    if chunk.mode == qr_util.MODE_NUMBER:
        return 10 * (length // 3) + (0, 4, 7)[length % 3]
    if chunk.mode == qr_util.MODE_ALPHA_NUM:
        return 11 * (length // 2) + 6 * (length % 2)
    return 8 * length


def worst_case_url(spec: SchemeDefinition, host: str) -> str:
    """The longest QR URL a label under this scheme can have: the longer path form, the longest body code
    allowed (6 characters), the scheme's longest grade code, a footprint of 4,294,967 kg or more (the largest
    CBOR integer size a real value takes), and the largest times, indexes and list numbers (up to 255) in use
    for decades. Signed with a throwaway key: only the length matters."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    claims = fmt.LabelClaims(
        iss="W" * 6,
        sub="/l/" + "W" * len(fmt.b64url(bytes(fmt.LABEL_ID_BYTES))),
        iat=2**32 - 1,
        exp=2**32 - 1,
        cti=b"\xff" * fmt.LABEL_ID_BYTES,
        footprint_g=2**32 - 1,
        declared_unit=declared_unit_text(spec.declared_unit),
        boundary=spec.boundary.type,
        scheme_id=spec.id,
        scheme_version=spec.version,
        grade=max((grade.code for grade in spec.grades), key=len),
        status_list=255,
        status_index=fmt.STATUS_LIST_SIZE - 1,
        record_hash=b"\xff" * fmt.RECORD_HASH_BYTES,
    )
    token = fmt.encode_token(fmt.label_claims_map(claims), fmt.kid_for(key.public_key()), key)
    return f"https://{host}{claims.sub}#{fmt.TOKEN_PREFIX}{token}"
