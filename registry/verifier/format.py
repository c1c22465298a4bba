"""The signed-label format (token version ``L1``): COSE_Sign1 over a CBOR Web Token, and the JOSE pieces the
trust list and status lists use. Shared by the issuer (``registry.labels.tokens``) and the verifier, so the two
cannot drift apart; ``docs/signed-labels.md`` describes every byte and ``tests/verifier`` pins a test vector.

Token: ``base64url(COSE_Sign1)`` without padding, where COSE_Sign1 (RFC 9052, tag 18) is
``[protected, {}, payload, signature]``; ``protected`` is ``{1: -7 (ES256), 4: kid}`` with an 8-byte kid (the
first 8 bytes of the key's RFC 7638 thumbprint); the signature is the 64-byte ``r || s`` over
``["Signature1", protected, h'', payload]``; ``payload`` is the CWT claims map (RFC 8392) below.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

TOKEN_PREFIX = "L1."
COSE_SIGN1_TAG = 18
ALG_ES256 = -7
HEADER_ALG = 1
HEADER_KID = 4
KID_BYTES = 8

# CWT claim keys (RFC 8392 §4).
ISS, SUB, EXP, IAT, CTI = 1, 2, 4, 6, 7
# The registry's claim map, under a key from the "Private Use" range of the CWT claims registry (< -65536).
LABEL_CLAIM = -65537
# Keys inside the label claim map.
FOOTPRINT_G, DECLARED_UNIT, BOUNDARY, SCHEME_ID, SCHEME_VERSION, GRADE, STATUS, RECORD_HASH = 1, 2, 3, 4, 5, 6, 7, 8
BOUNDARY_CODES = {"cradle-to-gate": 1, "cradle-to-grave": 2}
BOUNDARY_NAMES = {code: name for name, code in BOUNDARY_CODES.items()}
# The record hash is SHA-256 truncated to its first 16 bytes (128 bits): the full 32 bytes would push the QR
# code past version 13 (see docs/signed-labels.md for the byte budget).
RECORD_HASH_BYTES = 16
LABEL_ID_BYTES = 12  # 96 random bits: the cti, and base64url in /l/{label-id}
STATUS_LIST_SIZE = 131072  # entries in each status list: the W3C minimum for herd privacy


class FormatError(ValueError):
    """The input is not a well-formed L1 token (or JWS): the verdict is ``malformed``."""


class JSONTooDeep(FormatError):
    """JSON nested deeper than any document of the registry (``MAX_JSON_DEPTH``)."""


# The registry's JSON documents (a trust list, a status-list credential, a JWS header, a root key) are a few levels
# deep and a few hundred kilobytes at most. Python's json module recurses once per level: a document nested a
# thousand deep ends in a RecursionError instead of an answer, so anything deeper than this is refused first.
MAX_JSON_DEPTH = 32
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024


def parse_json(data: str | bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """``json.loads``, refusing documents larger than ``max_bytes`` or nested deeper than ``MAX_JSON_DEPTH``
    (FormatError, JSONTooDeep) instead of exhausting memory or the stack."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise FormatError(f"the JSON is larger than {max_bytes} bytes")
    too_deep = JSONTooDeep(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        document = json.loads(data)
    except RecursionError:
        raise too_deep from None
    # json.loads stops only at the interpreter's recursion limit, which depends on the caller's stack: the
    # documented limit is checked here, without recursion.
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise too_deep
            pending.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return document


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise FormatError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


# --- keys -------------------------------------------------------------------------------------------------


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def jwk_thumbprint(jwk: dict[str, str]) -> bytes:
    """RFC 7638: SHA-256 of the required members in lexicographic order, no whitespace."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode("ascii")).digest()


def kid_for(key: ec.EllipticCurvePublicKey) -> bytes:
    return jwk_thumbprint(public_jwk(key))[:KID_BYTES]


def key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise FormatError("not a P-256 key")
    x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
    if len(x) != 32 or len(y) != 32:
        raise FormatError("bad P-256 coordinates")
    try:
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError as error:
        raise FormatError("point not on P-256") from error


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def sign_es256(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """ES256 as COSE and JOSE want it: the raw 64-byte ``r || s``, not DER. Deterministic (RFC 6979), so the same
    document signed twice is the same bytes: test vectors stay fixed and published documents keep their ETag."""
    r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_es256(public_key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    if len(signature) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, message, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


# --- the token -------------------------------------------------------------------------------------------


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 §4.4: what the signature covers."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def encode_token(claims: dict[int, Any], kid: bytes, private_key: ec.EllipticCurvePrivateKey) -> str:
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})
    payload = cbor2.dumps(claims)
    signature = sign_es256(private_key, sig_structure(protected, payload))
    return b64url(cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])))


@dataclass(frozen=True)
class Sign1:
    protected: bytes
    headers: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.headers.get(HEADER_ALG)

    @property
    def kid(self) -> bytes | None:
        kid = self.headers.get(HEADER_KID)
        return kid if isinstance(kid, bytes) else None

    def signed_bytes(self) -> bytes:
        return sig_structure(self.protected, self.payload)


def decode_sign1(token: str) -> Sign1:
    """Parse the COSE_Sign1 structure (no signature check yet); FormatError on anything else."""
    raw = b64url_decode(token)
    stream = io.BytesIO(raw)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception as error:  # cbor2 raises several types on garbage
        raise FormatError("not CBOR") from error
    if stream.tell() != len(raw):
        raise FormatError("bytes after the COSE_Sign1")  # one label, one encoding
    # The format is the tagged COSE_Sign1 (RFC 9052 §4.2, tag 18), which every issued token carries: an untagged
    # array is something else, however well it would parse.
    if not (isinstance(item, cbor2.CBORTag) and item.tag == COSE_SIGN1_TAG):
        raise FormatError("not a COSE_Sign1 with tag 18")
    item = item.value
    # cbor2 may give arrays as tuples and maps as frozendicts.
    if not (isinstance(item, (list, tuple)) and len(item) == 4):
        raise FormatError("not a COSE_Sign1")
    protected, unprotected, payload, signature = item
    if not (
        isinstance(protected, bytes)
        and isinstance(unprotected, Mapping)
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise FormatError("not a COSE_Sign1")
    try:
        headers = cbor2.loads(protected) if protected else {}
    except Exception as error:
        raise FormatError("protected header is not CBOR") from error
    if not isinstance(headers, Mapping):
        raise FormatError("protected header is not a map")
    return Sign1(protected, dict(headers), payload, signature)


@dataclass(frozen=True)
class LabelClaims:
    """The claims of an L1 token, typed."""

    iss: str
    sub: str
    iat: int
    exp: int
    cti: bytes
    footprint_g: int
    declared_unit: str
    boundary: str
    scheme_id: str
    scheme_version: str
    grade: str
    status_list: int
    status_index: int
    record_hash: bytes

    @property
    def label_id(self) -> str:
        return b64url(self.cti)

    def as_json(self) -> dict[str, Any]:
        return {
            "iss": self.iss,
            "sub": self.sub,
            "iat": self.iat,
            "exp": self.exp,
            "label_id": self.label_id,
            "footprint_g_co2e": self.footprint_g,
            "declared_unit": self.declared_unit,
            "boundary": self.boundary,
            "scheme": self.scheme_id,
            "scheme_version": self.scheme_version,
            "grade": self.grade,
            "status_list": self.status_list,
            "status_index": self.status_index,
            "record_hash": self.record_hash.hex(),
        }


def label_claims_map(claims: LabelClaims) -> dict[int, Any]:
    return {
        ISS: claims.iss,
        SUB: claims.sub,
        IAT: claims.iat,
        EXP: claims.exp,
        CTI: claims.cti,
        LABEL_CLAIM: {
            FOOTPRINT_G: claims.footprint_g,
            DECLARED_UNIT: claims.declared_unit,
            BOUNDARY: BOUNDARY_CODES[claims.boundary],
            SCHEME_ID: claims.scheme_id,
            SCHEME_VERSION: claims.scheme_version,
            GRADE: claims.grade,
            STATUS: [claims.status_list, claims.status_index],
            RECORD_HASH: claims.record_hash,
        },
    }


def parse_claims(payload: bytes) -> LabelClaims:
    try:
        claims = cbor2.loads(payload)
        label = claims[LABEL_CLAIM]
        status = label[STATUS]
        parsed = LabelClaims(
            iss=claims[ISS],
            sub=claims[SUB],
            iat=claims[IAT],
            exp=claims[EXP],
            cti=claims[CTI],
            footprint_g=label[FOOTPRINT_G],
            declared_unit=label[DECLARED_UNIT],
            boundary=BOUNDARY_NAMES[label[BOUNDARY]],
            scheme_id=label[SCHEME_ID],
            scheme_version=label[SCHEME_VERSION],
            grade=label[GRADE],
            status_list=status[0],
            status_index=status[1],
            record_hash=label[RECORD_HASH],
        )
    except FormatError:
        raise
    except Exception as error:
        raise FormatError("the claims are not an L1 label") from error
    types = (
        (parsed.iss, str),
        (parsed.sub, str),
        (parsed.iat, int),
        (parsed.exp, int),
        (parsed.cti, bytes),
        (parsed.footprint_g, int),
        (parsed.declared_unit, str),
        (parsed.scheme_id, str),
        (parsed.scheme_version, str),
        (parsed.grade, str),
        (parsed.status_list, int),
        (parsed.status_index, int),
        (parsed.record_hash, bytes),
    )
    if any(not isinstance(value, kind) or isinstance(value, bool) for value, kind in types):
        raise FormatError("a claim has the wrong type")
    if (
        not isinstance(status, (list, tuple))
        or len(status) != 2
        or not 0 <= parsed.status_index < STATUS_LIST_SIZE
        or parsed.status_list < 0
    ):
        raise FormatError("bad status-list entry")
    return parsed


def record_hash(record: dict[str, Any]) -> bytes:
    """The first 16 bytes of SHA-256 over the canonical JSON of a label's public record (sorted keys, no
    whitespace, UTF-8; the record holds only strings, integers and nulls, so this is also its RFC 8785 form)."""
    return hashlib.sha256(canonical_json(record)).digest()[:RECORD_HASH_BYTES]


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# --- JOSE (trust list, status lists) ---------------------------------------------------------------------


def jws_compact(header: dict[str, Any], payload: bytes, private_key: ec.EllipticCurvePrivateKey) -> str:
    signing_input = f"{b64url(canonical_json(header))}.{b64url(payload)}"
    return f"{signing_input}.{b64url(sign_es256(private_key, signing_input.encode('ascii')))}"


def jws_verify(compact: str, public_key: ec.EllipticCurvePublicKey) -> tuple[dict[str, Any], bytes]:
    """The header and payload of a compact ES256 JWS whose signature verifies; FormatError otherwise."""
    parts = compact.strip().split(".") if isinstance(compact, str) else []
    if len(parts) != 3:
        raise FormatError("not a compact JWS")
    try:
        header = parse_json(b64url_decode(parts[0]))
    except ValueError as error:
        raise FormatError(f"bad JWS header: {error}") from error
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise FormatError("JWS not signed with ES256")
    if not verify_es256(public_key, b64url_decode(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii")):
        raise FormatError("JWS signature does not verify")
    return header, b64url_decode(parts[1])


def jws_header(compact: str) -> dict[str, Any]:
    try:
        header = parse_json(b64url_decode(compact.strip().split(".")[0]))
    except (ValueError, IndexError, AttributeError) as error:
        raise FormatError("not a compact JWS") from error
    if not isinstance(header, dict):
        raise FormatError("not a compact JWS")
    return header
