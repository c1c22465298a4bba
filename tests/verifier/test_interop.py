"""Interoperability: independent implementations read what the registry publishes.

Nothing here uses the project's own decoding or verification code: the QR code is read by zbar, the token is
checked by pycose (COSE) with only the published JWKS, the trust list and status lists by joserfc (JOSE), and the
W3C Bitstring Status List is decoded with base64 and gzip by hand.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import cbor2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey
from PIL import Image
from pycose.algorithms import Es256
from pycose.headers import KID, Algorithm
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import Sign1Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.keys import services as keys
from registry.labels.models import Label, LabelStatus
from tests.conftest import require_zbar

W3C_CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
MIN_STATUS_LIST_BITS = 131072  # W3C Bitstring Status List: at least 16 KiB of entries, for herd privacy
LABEL_CLAIM = -65537  # the registry's private-use CWT claim holding the label


def zbar_decode(image):  # type: ignore[no-untyped-def]
    return require_zbar()(image)


# --- independent helpers (deliberately not registry.verifier.format) -------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    assert "=" not in text, "base64url in JOSE and tokens carries no padding"
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def labels(session: Session) -> list[Label]:
    found = sorted(session.scalars(select(Label)).all(), key=lambda label: label.path)
    assert len(found) == 3, "the demo data holds three signed labels"
    return found


def host(app: Flask) -> str:
    return str(app.config["PUBLIC_HOST"])


def jwks(client: FlaskClient) -> list[dict[str, Any]]:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    document = json.loads(response.get_data())
    return list(document["keys"])


def jwk_by_kid(client: FlaskClient, kid: str) -> dict[str, Any]:
    matches = [jwk for jwk in jwks(client) if jwk.get("kid") == kid]
    assert len(matches) == 1, f"the JWKS holds {len(matches)} keys with kid {kid}"
    return matches[0]


def rfc7638_kid(jwk: dict[str, Any]) -> bytes:
    """The first 8 bytes of the RFC 7638 thumbprint, computed here from the RFC's rules."""
    canonical = '{"crv":"' + jwk["crv"] + '","kty":"' + jwk["kty"] + '","x":"' + jwk["x"] + '","y":"' + jwk["y"] + '"}'
    return hashlib.sha256(canonical.encode("ascii")).digest()[:8]


def token_bytes(label: Label, app: Flask) -> bytes:
    url = label.qr_url(host(app))
    fragment = urlsplit(url).fragment
    assert fragment.startswith("L1.")
    return b64url_decode(fragment[3:])


def pycose_decode(raw: bytes) -> Sign1Message:
    try:
        return Sign1Message.decode(raw)
    except TypeError:
        # pycose 1.1 expects cbor2 to give a tagged array as a list and maps as dicts; cbor2 6 gives the content
        # of a tag immutable, a tuple and a frozendict ("Bytes cannot be decoded as COSE message"). Hand pycose
        # the same four items as a list and a dict: the header parsing and the verification are still pycose's.
        item = cbor2.loads(raw)
        assert isinstance(item, cbor2.CBORTag) and item.tag == Sign1Message.cbor_tag
        protected, unprotected, payload, signature = item.value
        return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def pycose_verifies(raw: bytes, client: FlaskClient) -> tuple[bool, Sign1Message]:
    """Verify a COSE_Sign1 with pycose, the key found in the published JWKS by the token's kid."""
    message = pycose_decode(raw)
    kid = message.phdr[KID]
    jwk = jwk_by_kid(client, b64url(kid))
    assert (jwk["kty"], jwk["crv"]) == ("EC", "P-256")
    message.key = EC2Key(crv=P256, x=b64url_decode(jwk["x"]), y=b64url_decode(jwk["y"]))
    return bool(message.verify_signature()), message


def compact_payload(compact: str) -> dict[str, Any]:
    return json.loads(b64url_decode(compact.split(".")[1]))


def decode_bits(encoded: str) -> bytes:
    assert encoded.startswith("u"), "multibase base64url has the prefix u"
    return gzip.decompress(b64url_decode(encoded[1:]))


def bit(bits: bytes, index: int) -> bool:
    """Index 0 is the most significant bit of the first byte (W3C Bitstring Status List §3.2)."""
    return bool(bits[index // 8] >> (7 - index % 8) & 1)


def set_bits(bits: bytes) -> list[int]:
    return [index for index in range(len(bits) * 8) if bit(bits, index)]


def status_credential(client: FlaskClient, purpose: str, number: int = 0) -> tuple[str, dict[str, Any]]:
    response = client.get(f"/status/{purpose}/{number}")
    assert response.status_code == 200
    assert response.content_type.startswith("application/vc+jwt")
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    compact = response.get_data(as_text=True).strip()
    return compact, compact_payload(compact)


# --- QR code, read by zbar --------------------------------------------------------------------------------


def test_png_qr_code_decodes_to_exactly_the_label_url(app: Flask, client: FlaskClient, session: Session) -> None:
    for label in labels(session):
        response = client.get(f"/l/{label.public_id}/qr.png")
        assert response.status_code == 200
        assert response.content_type == "image/png"
        image = Image.open(io.BytesIO(response.get_data()))
        symbols = zbar_decode(image)
        assert len(symbols) == 1
        assert symbols[0].type == "QRCODE"
        assert symbols[0].data.decode("utf-8") == label.qr_url(host(app))


def test_png_qr_code_is_version_13_or_lower_with_a_quiet_zone(client: FlaskClient, session: Session) -> None:
    """Measured from the image: the finder pattern starts after a 4-module quiet zone, which gives the module
    size, hence the number of modules and the QR version (17 + 4 × version modules)."""
    for label in labels(session):
        image = Image.open(io.BytesIO(client.get(f"/l/{label.public_id}/qr.png").get_data())).convert("L")
        width, height = image.size
        assert width == height
        pixels = image.load()
        row = next(y for y in range(height) if any(pixels[x, y] < 128 for x in range(width)))
        first_dark = next(x for x in range(width) if pixels[x, row] < 128)
        assert first_dark == row  # the finder pattern sits in the top-left corner, square
        module = first_dark // 4
        assert module * 4 == first_dark
        modules = width // module - 2 * 4
        assert width % module == 0 and (modules - 17) % 4 == 0
        assert 1 <= (modules - 17) // 4 <= 13, f"QR version {(modules - 17) // 4}"


# --- the token, verified by pycose ------------------------------------------------------------------------


def test_pycose_verifies_tokens_with_only_the_published_jwks(app: Flask, client: FlaskClient, session: Session) -> None:
    for label in labels(session):
        url = label.qr_url(host(app))
        raw = token_bytes(label, app)
        verified, message = pycose_verifies(raw, client)
        assert verified, label.path
        assert message.phdr[Algorithm] is Es256
        kid = message.phdr[KID]
        assert len(kid) == 8
        jwk = jwk_by_kid(client, b64url(kid))
        assert rfc7638_kid(jwk) == kid  # the kid is the key's thumbprint, as documented
        assert ECKey.import_key(jwk).thumbprint() == b64url(
            hashlib.sha256(
                json.dumps(
                    {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
                ).encode()
            ).digest()
        )

        claims = cbor2.loads(message.payload)
        assert claims[1] == label.body.body_code  # iss
        assert claims[2] == urlsplit(url).path == label.path  # sub
        assert claims[7] == b64url_decode(label.public_id)  # cti
        assert isinstance(claims[6], int) and isinstance(claims[4], int)
        assert claims[4] > claims[6]  # exp > iat
        assert claims[6] == int(label.issued_at.timestamp())
        assert claims[4] > datetime.now(UTC).timestamp()
        entry = claims[LABEL_CLAIM]
        assert entry[1] == round(Decimal(label.footprint) * 1000)  # footprint, whole grams
        assert list(entry[7]) == [label.status_list, label.status_index]
        assert len(entry[8]) == 16  # record hash


def test_pycose_rejects_a_flipped_signature_bit(app: Flask, client: FlaskClient, session: Session) -> None:
    label = labels(session)[0]
    item = cbor2.loads(token_bytes(label, app))
    protected, unprotected, payload, signature = item.value
    for byte in (0, 31, 32, 63):
        changed = bytearray(signature)
        changed[byte] ^= 0x01
        raw = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, bytes(changed)]))
        verified, _ = pycose_verifies(raw, client)
        assert verified is False, byte
    # Control: re-encoding the untouched parts still verifies.
    verified, _ = pycose_verifies(cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature])), client)
    assert verified is True


def test_pycose_rejects_a_flipped_payload_bit(app: Flask, client: FlaskClient, session: Session) -> None:
    label = labels(session)[0]
    protected, unprotected, payload, signature = cbor2.loads(token_bytes(label, app)).value
    changed = bytearray(payload)
    changed[-1] ^= 0x01  # inside the record hash, the payload's last byte
    raw = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, bytes(changed), signature]))
    verified, _ = pycose_verifies(raw, client)
    assert verified is False


def test_pycose_rejects_a_token_checked_with_another_published_key(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    label = labels(session)[0]
    message = pycose_decode(token_bytes(label, app))
    others = [jwk for jwk in jwks(client) if jwk["kid"] != b64url(message.phdr[KID])]
    assert others
    for jwk in others:
        message.key = EC2Key(crv=P256, x=b64url_decode(jwk["x"]), y=b64url_decode(jwk["y"]))
        assert message.verify_signature() is False


# --- the trust list and status lists, verified by joserfc -------------------------------------------------


def test_joserfc_verifies_the_trust_list(app: Flask, client: FlaskClient, session: Session) -> None:
    response = client.get("/.well-known/label-trust-list.json")
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    document = json.loads(response.get_data())
    assert set(document) == {"protected", "payload", "signature"}  # flattened JWS JSON (RFC 7515 §7.2.2)
    header = json.loads(b64url_decode(document["protected"]))
    assert header["alg"] == "ES256"
    root = jwk_by_kid(client, header["kid"])
    assert root == keys.public_jwk(keys.root_key(session))  # the JWKS names the registry's root key
    verified = jws.deserialize_json(document, ECKey.import_key(root), algorithms=["ES256"])
    payload = json.loads(verified.payload)
    assert payload["type"] == "CarbonLabelTrustList"
    assert payload["root_kid"] == header["kid"]
    assert payload["issuer"] == f"https://{host(app)}"
    published = {jwk["kid"]: jwk for jwk in jwks(client)}
    for entry in payload["keys"]:
        assert entry["jwk"] == published[entry["kid"]]  # the trust list and the JWKS agree
    assert {label.signing_key.kid for label in labels(session)} <= {entry["kid"] for entry in payload["keys"]}

    # joserfc refuses it under another key, or with a byte changed.
    body_key = ECKey.import_key(published[labels(session)[0].signing_key.kid])
    with pytest.raises(BadSignatureError):
        jws.deserialize_json(document, body_key, algorithms=["ES256"])
    altered = json.loads(b64url_decode(document["payload"]))
    altered["keys"] = []
    with pytest.raises(BadSignatureError):
        jws.deserialize_json(
            {**document, "payload": b64url(json.dumps(altered).encode())}, ECKey.import_key(root), algorithms=["ES256"]
        )


@pytest.mark.parametrize("purpose", ["revocation", "suspension"])
def test_joserfc_verifies_the_status_lists(app: Flask, client: FlaskClient, session: Session, purpose: str) -> None:
    compact, _ = status_credential(client, purpose)
    header = json.loads(b64url_decode(compact.split(".")[0]))
    assert header["alg"] == "ES256"
    assert header["typ"] == "vc+jwt"
    root = jwk_by_kid(client, header["kid"])
    assert root == keys.public_jwk(keys.root_key(session))
    verified = jws.deserialize_compact(compact, ECKey.import_key(root), algorithms=["ES256"])
    credential = json.loads(verified.payload)
    assert credential["id"] == f"https://{host(app)}/status/{purpose}/0"
    assert credential["credentialSubject"]["statusPurpose"] == purpose

    head, payload, signature = compact.split(".")
    changed = bytearray(b64url_decode(signature))
    changed[5] ^= 0x10
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(
            f"{head}.{payload}.{b64url(bytes(changed))}", ECKey.import_key(root), algorithms=["ES256"]
        )


# --- W3C Bitstring Status List ----------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["revocation", "suspension"])
def test_status_list_credential_shape(app: Flask, client: FlaskClient, purpose: str) -> None:
    _, credential = status_credential(client, purpose)
    assert W3C_CREDENTIALS_V2 in credential["@context"]
    assert credential["@context"][0] == W3C_CREDENTIALS_V2  # v2 requires it first
    assert "VerifiableCredential" in credential["type"]
    assert "BitstringStatusListCredential" in credential["type"]
    assert credential["issuer"] == f"https://{host(app)}"
    assert credential["validFrom"].endswith("Z")
    assert datetime.fromisoformat(credential["validFrom"]).utcoffset() is not None
    subject = credential["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == purpose
    encoded = subject["encodedList"]
    assert encoded.startswith("u")
    assert "=" not in encoded
    bits = decode_bits(encoded)
    assert len(bits) * 8 >= MIN_STATUS_LIST_BITS
    assert set_bits(bits) == []  # every demo label is valid


def test_withdrawn_label_sets_its_bit_msb_first(client: FlaskClient, session: Session) -> None:
    # A label whose index is not 0 nor a multiple of 8, so the bit order within a byte shows.
    label = next(label for label in labels(session) if label.status_index % 8 not in (0, 7))
    assert label.status_list == 0
    label.status = LabelStatus.WITHDRAWN
    session.flush()
    revocation = decode_bits(status_credential(client, "revocation")[1]["credentialSubject"]["encodedList"])
    suspension = decode_bits(status_credential(client, "suspension")[1]["credentialSubject"]["encodedList"])
    assert set_bits(revocation) == [label.status_index]
    assert revocation[label.status_index // 8] == 0x80 >> (label.status_index % 8)
    assert not bit(suspension, label.status_index)
    assert set_bits(suspension) == []


def test_suspended_label_sets_only_its_suspension_bit(client: FlaskClient, session: Session) -> None:
    withdrawn, suspended = labels(session)[0], labels(session)[1]
    assert withdrawn.status_index != suspended.status_index
    withdrawn.status = LabelStatus.WITHDRAWN
    suspended.status = LabelStatus.SUSPENDED
    session.flush()
    revocation = decode_bits(status_credential(client, "revocation")[1]["credentialSubject"]["encodedList"])
    suspension = decode_bits(status_credential(client, "suspension")[1]["credentialSubject"]["encodedList"])
    assert set_bits(revocation) == [withdrawn.status_index]
    assert set_bits(suspension) == [suspended.status_index]


def test_status_list_the_token_names_is_published(app: Flask, client: FlaskClient, session: Session) -> None:
    """The status entry in each token leads to a credential the registry serves; unknown lists are 404."""
    for label in labels(session):
        claims = cbor2.loads(cbor2.loads(token_bytes(label, app)).value[2])
        number, index = claims[LABEL_CLAIM][7]
        for purpose in ("revocation", "suspension"):
            _, credential = status_credential(client, purpose, number)
            assert len(decode_bits(credential["credentialSubject"]["encodedList"])) * 8 > index
    assert client.get("/status/revocation/999").status_code == 404
    assert client.get("/status/other/0").status_code == 404
