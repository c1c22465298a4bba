"""Tampered labels: every way a scanned label can be altered, moved, revoked or forged ends in its exact verdict.

The verifier runs offline here, as a third party would: the trust list and the two status lists of list 0 are
fetched from the registry's public endpoints, checked against the pinned root key, and every token is verified
with ``registry.verifier.core.verify`` alone. The last part drives the same through ``POST /api/v1/verify``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.services import Actor
from registry.keys import services as keys
from registry.labels.models import Label, LabelStatus
from registry.verifier import format as fmt
from registry.verifier.core import StatusLists, TrustList, Verdict, verify
from registry.verifier.format import FormatError

# --- helpers ----------------------------------------------------------------------------------------------


def pinned_root(session: Session) -> dict[str, Any]:
    """The trust anchor a verifier pins: the registry root key as a JWK (not taken from the documents)."""
    return keys.public_jwk(keys.root_key(session))


def fetch_trust(client: FlaskClient, session: Session) -> TrustList:
    response = client.get("/.well-known/label-trust-list.json")
    assert response.status_code == 200
    return TrustList.from_document(response.get_data(), pinned_root(session))


def fetch_status(client: FlaskClient, trust: TrustList, number: int = 0) -> StatusLists:
    credentials = []
    for purpose in ("revocation", "suspension"):
        response = client.get(f"/status/{purpose}/{number}")
        assert response.status_code == 200
        assert response.content_type.startswith("application/vc+jwt")
        credentials.append(response.get_data(as_text=True))
    return StatusLists.from_credentials(credentials, trust)


def sources(client: FlaskClient, session: Session) -> tuple[TrustList, StatusLists]:
    trust = fetch_trust(client, session)
    return trust, fetch_status(client, trust)


def labels(session: Session) -> list[Label]:
    found = sorted(session.scalars(select(Label)).all(), key=lambda label: label.path)
    assert len(found) == 3, "the demo data holds three signed labels"
    return found


def gtin_labels(session: Session) -> list[Label]:
    found = [label for label in labels(session) if label.path.startswith("/01/")]
    assert len(found) >= 2, "the demo data holds at least two GTIN labels"
    return found


def short_link_label(session: Session) -> Label:
    return next(label for label in labels(session) if label.path.startswith("/l/"))


def host(app: Flask) -> str:
    return str(app.config["PUBLIC_HOST"])


def url_with_token(app: Flask, path: str, token: str) -> str:
    return f"https://{host(app)}{path}#{fmt.TOKEN_PREFIX}{token}"


def open_token(token: str) -> list[Any]:
    """[protected, unprotected, payload, signature] of a token, decoded with cbor2 directly."""
    item = cbor2.loads(fmt.b64url_decode(token))
    assert isinstance(item, cbor2.CBORTag) and item.tag == 18
    return list(item.value)


def close_token(parts: list[Any]) -> str:
    return fmt.b64url(cbor2.dumps(cbor2.CBORTag(18, list(parts))))


def flip(data: bytes, byte: int, bit: int) -> bytes:
    changed = bytearray(data)
    changed[byte] ^= 1 << bit
    return bytes(changed)


def resign(parts: list[Any], private_key: ec.EllipticCurvePrivateKey) -> list[Any]:
    """The same protected header and payload with a fresh ES256 signature by ``private_key``."""
    protected, unprotected, payload, _ = parts
    return [protected, unprotected, payload, fmt.sign_es256(private_key, fmt.sig_structure(protected, payload))]


@pytest.fixture
def published(client: FlaskClient, session: Session) -> tuple[TrustList, StatusLists]:
    return sources(client, session)


# --- the untouched label ----------------------------------------------------------------------------------


def test_untouched_demo_labels_are_valid(app: Flask, session: Session, published) -> None:
    trust, status = published
    for label in labels(session):
        result = verify(label.qr_url(host(app)), trust, status)
        assert result.verdict is Verdict.VALID, (label.path, result.detail)
        assert result.claims is not None and result.claims.label_id == label.public_id
        assert result.claims.sub == label.path
        # Both lists were consulted (a verifier must say how fresh its status information is).
        assert set(result.status_checked) == {"revocation", "suspension"}
        assert all(stamp is not None for stamp in result.status_checked.values())


def test_token_reencoding_is_faithful(session: Session) -> None:
    """The decode/re-encode used by the tamper tests gives back the very same token, so any verdict change
    below comes from the one change each test makes."""
    for label in labels(session):
        assert close_token(open_token(label.token)) == label.token


def test_bare_token_with_and_without_prefix_is_valid(session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    assert verify(fmt.TOKEN_PREFIX + label.token, trust, status).verdict is Verdict.VALID
    assert verify(label.token, trust, status).verdict is Verdict.VALID


# --- payload and signature bits ---------------------------------------------------------------------------


def test_flipped_bit_in_footprint_is_bad_signature(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    parts = open_token(label.token)
    payload = parts[2]
    grams = cbor2.loads(payload)[fmt.LABEL_CLAIM][fmt.FOOTPRINT_G]
    # The label claim map opens with key 1 (footprint) followed by its value: locate those bytes.
    needle = b"\xa8\x01" + cbor2.dumps(grams)
    assert payload.count(needle) == 1
    last = payload.index(needle) + len(needle) - 1
    parts[2] = flip(payload, last, 0)
    # Still well-formed CBOR and a well-formed label, only the footprint differs: the signature must catch it.
    changed = cbor2.loads(parts[2])[fmt.LABEL_CLAIM][fmt.FOOTPRINT_G]
    assert abs(changed - grams) == 1
    result = verify(url_with_token(app, label.path, close_token(parts)), trust, status)
    assert result.verdict is Verdict.BAD_SIGNATURE


def test_flipped_bit_making_payload_invalid_cbor_is_malformed(app: Flask, session: Session, published) -> None:
    """Flipping bit 3 of the payload's first byte turns ``map(6)`` (0xa6) into ``map(14)`` (0xae), which runs
    past the end of the payload: not CBOR at all. The verdict is ``malformed``, not ``bad_signature``, because
    ``verify`` parses the token and its claims before it looks at the signature (``core.verify``: a token that
    cannot be parsed is malformed; only a parsed token has a key and a signature to check)."""
    trust, status = published
    label = labels(session)[0]
    parts = open_token(label.token)
    assert parts[2][0] == 0xA6  # a map of the six claims: iss, sub, iat, exp, cti and the label claim
    parts[2] = flip(parts[2], 0, 3)
    assert parts[2][0] == 0xAE
    with pytest.raises(cbor2.CBORDecodeError):
        cbor2.loads(parts[2])
    result = verify(url_with_token(app, label.path, close_token(parts)), trust, status)
    assert result.verdict is Verdict.MALFORMED


def test_every_single_bit_flip_of_the_payload_is_caught(app: Flask, session: Session, published) -> None:
    """Exhaustively: each bit of the payload flipped gives ``malformed`` exactly when the claims no longer parse,
    and ``bad_signature`` otherwise. None is ever valid."""
    trust, status = published
    label = labels(session)[0]
    parts = open_token(label.token)
    payload = parts[2]
    for byte in range(len(payload)):
        for bit in range(8):
            tampered = flip(payload, byte, bit)
            try:
                fmt.parse_claims(tampered)
                expected = Verdict.BAD_SIGNATURE
            except FormatError:
                expected = Verdict.MALFORMED
            token = close_token([parts[0], parts[1], tampered, parts[3]])
            verdict = verify(url_with_token(app, label.path, token), trust, status).verdict
            assert verdict is expected, (byte, bit, verdict)


@pytest.mark.parametrize("byte", [0, 17, 31, 32, 50, 63])
def test_flipped_bit_in_signature_is_bad_signature(app: Flask, session: Session, published, byte: int) -> None:
    trust, status = published
    for label in labels(session):
        parts = open_token(label.token)
        assert len(parts[3]) == 64
        parts[3] = flip(parts[3], byte, 5)
        result = verify(url_with_token(app, label.path, close_token(parts)), trust, status)
        assert result.verdict is Verdict.BAD_SIGNATURE


def test_no_single_bit_flip_of_the_whole_token_is_valid(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    raw = fmt.b64url_decode(label.token)
    for byte in range(len(raw)):
        for bit in range(8):
            token = fmt.b64url(flip(raw, byte, bit))
            verdict = verify(url_with_token(app, label.path, token), trust, status).verdict
            assert verdict is not Verdict.VALID, (byte, bit)


# --- keys -------------------------------------------------------------------------------------------------


def test_token_signed_by_a_key_not_in_the_trust_list_is_unknown_key(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    forger = ec.generate_private_key(ec.SECP256R1())
    kid = fmt.kid_for(forger.public_key())
    assert kid not in trust.keys
    claims = cbor2.loads(open_token(label.token)[2])
    token = fmt.encode_token(claims, kid, forger)
    result = verify(url_with_token(app, label.path, token), trust, status)
    assert result.verdict is Verdict.UNKNOWN_KEY
    assert result.key is None


def test_forged_signature_under_a_trusted_kid_is_bad_signature(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    forger = ec.generate_private_key(ec.SECP256R1())
    parts = resign(open_token(label.token), forger)  # keeps the real kid in the protected header
    assert cbor2.loads(parts[0])[4] in trust.keys
    assert verify(url_with_token(app, label.path, close_token(parts)), trust, status).verdict is Verdict.BAD_SIGNATURE


@pytest.mark.parametrize("alg", [-35, -36, -257, -8, 0])
def test_alg_changed_in_protected_header_is_bad_signature(app: Flask, session: Session, published, alg: int) -> None:
    trust, status = published
    label = labels(session)[0]
    parts = open_token(label.token)
    header = cbor2.loads(parts[0])
    assert header[1] == -7
    header[1] = alg
    parts[0] = cbor2.dumps(header)
    result = verify(url_with_token(app, label.path, close_token(parts)), trust, status)
    assert result.verdict is Verdict.BAD_SIGNATURE


@pytest.mark.parametrize("alg", [-35, -257])
def test_other_alg_is_refused_even_when_the_signature_verifies(
    app: Flask, session: Session, published, alg: int
) -> None:
    """The registry's own key re-signs the token with ``alg`` changed: the ES256 signature is good over the new
    header, so only the alg check can refuse it."""
    trust, status = published
    label = labels(session)[0]
    parts = open_token(label.token)
    header = cbor2.loads(parts[0])
    header[1] = alg
    parts[0] = cbor2.dumps(header)
    parts = resign(parts, keys.private_key(label.signing_key))
    assert verify(url_with_token(app, label.path, close_token(parts)), trust, status).verdict is Verdict.BAD_SIGNATURE
    # Control: the same re-signing with alg kept at ES256 is valid, so the verdict above is the alg's doing.
    control = resign(open_token(label.token), keys.private_key(label.signing_key))
    assert verify(url_with_token(app, label.path, close_token(control)), trust, status).verdict is Verdict.VALID


def test_alg_only_in_unprotected_header_is_bad_signature(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    parts = open_token(label.token)
    header = cbor2.loads(parts[0])
    parts[0] = cbor2.dumps({4: header[4]})
    parts[1] = {1: -7}
    parts = resign(parts, keys.private_key(label.signing_key))
    assert verify(url_with_token(app, label.path, close_token(parts)), trust, status).verdict is Verdict.BAD_SIGNATURE


def test_revoked_key_is_key_revoked(app: Flask, client: FlaskClient, session: Session) -> None:
    label = labels(session)[0]
    trust, status = sources(client, session)
    assert verify(label.qr_url(host(app)), trust, status).verdict is Verdict.VALID
    keys.revoke(session, Actor.system(), label.signing_key.kid, "test")
    session.flush()
    trust, status = sources(client, session)  # the trust list as now published
    for each in labels(session):
        assert each.signing_key.kid == label.signing_key.kid
        result = verify(each.qr_url(host(app)), trust, status)
        assert result.verdict is Verdict.KEY_REVOKED
        assert result.key is not None and result.key.revoked_at is not None


# --- where the label is and when it is read ---------------------------------------------------------------


def test_token_moved_to_another_products_url_is_wrong_product(app: Flask, session: Session, published) -> None:
    trust, status = published
    first, second = gtin_labels(session)[:2]
    short = short_link_label(session)
    for token_of, path_of in ((first, second), (second, first), (short, first), (first, short)):
        result = verify(url_with_token(app, path_of.path, token_of.token), trust, status)
        assert result.verdict is Verdict.WRONG_PRODUCT, (token_of.path, path_of.path)
        assert result.scanned_path == path_of.path
        assert f"not to the product at {path_of.path}" in result.message("en")


def test_token_on_a_made_up_path_is_wrong_product(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = gtin_labels(session)[0]
    for path in ("/", "/01/", label.path + "0", label.path.upper().replace("/01/", "/1/"), "/l/" + label.public_id):
        result = verify(url_with_token(app, path, label.token), trust, status)
        assert result.verdict is Verdict.WRONG_PRODUCT, path


@pytest.mark.parametrize(
    "qualifier", ["/", "/10/LOT1", "/21/SERIAL42", "/10/LOT1/21/SERIAL42", "/10/LOT1/", "/10/" + "L" * 20]
)
def test_gs1_qualifiers_after_the_gtin_are_valid(app: Flask, session: Session, published, qualifier: str) -> None:
    """A GS1 Digital Link may carry a batch (/10/) and a serial (/21/) after the GTIN: still the product."""
    trust, status = published
    label = gtin_labels(session)[0]
    result = verify(url_with_token(app, label.path + qualifier, label.token), trust, status)
    assert result.verdict is Verdict.VALID


@pytest.mark.parametrize(
    "qualifier",
    [
        "/10/",
        "/21/",
        "/10/LOT1/10/LOT2",
        "/21/S1/10/LOT1",
        "/99/X",
        "/10/" + "L" * 21,
        "0/10/LOT1",
        "/10/LOT1/extra",
        "/17/291231",
    ],
)
def test_not_gs1_qualifiers_are_wrong_product(app: Flask, session: Session, published, qualifier: str) -> None:
    trust, status = published
    label = gtin_labels(session)[0]
    result = verify(url_with_token(app, label.path + qualifier, label.token), trust, status)
    assert result.verdict is Verdict.WRONG_PRODUCT


def test_gs1_qualifiers_do_not_move_tokens(app: Flask, session: Session, published) -> None:
    trust, status = published
    first, second = gtin_labels(session)[:2]
    short = short_link_label(session)
    for token_of, path in (
        (first, second.path + "/10/LOT1"),
        (short, short.path + "/10/LOT1"),
        (short, short.path + "/21/S"),
    ):
        assert verify(url_with_token(app, path, token_of.token), trust, status).verdict is Verdict.WRONG_PRODUCT, path


def test_expired_label_is_expired(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    claims = fmt.parse_claims(open_token(label.token)[2])
    assert claims.exp > claims.iat
    url = label.qr_url(host(app))
    # By exp the lists fetched today are years old: accept them, or the last second of validity is stale_status.
    assert verify(url, trust, status, now=claims.exp - 1).verdict is Verdict.STALE_STATUS
    years = claims.exp - claims.iat + 86400
    assert verify(url, trust, status, now=claims.exp - 1, max_status_age=years).verdict is Verdict.VALID
    assert verify(url, trust, status, now=claims.exp).verdict is Verdict.EXPIRED
    result = verify(url, trust, status, now=claims.exp + 86400)
    assert result.verdict is Verdict.EXPIRED
    # The message names when it stopped being valid.
    assert datetime.fromtimestamp(claims.exp, UTC).isoformat().replace("+00:00", "Z") in result.message("en")
    # exp is the end of the last day of validity, China Standard Time.
    cst = timezone(timedelta(hours=8))
    assert datetime.fromtimestamp(claims.exp, cst) == datetime.combine(
        label.valid_until + timedelta(days=1), time(0), cst
    )


def test_withdrawn_label_is_revoked(app: Flask, client: FlaskClient, session: Session) -> None:
    label, other = labels(session)[0], labels(session)[1]
    label.status = LabelStatus.WITHDRAWN
    session.flush()
    trust, status = sources(client, session)  # the revocation list as now published
    result = verify(label.qr_url(host(app)), trust, status)
    assert result.verdict is Verdict.REVOKED
    assert verify(other.qr_url(host(app)), trust, status).verdict is Verdict.VALID


def test_cancelled_label_is_revoked(app: Flask, client: FlaskClient, session: Session) -> None:
    label = labels(session)[2]
    label.status = LabelStatus.CANCELLED
    session.flush()
    trust, status = sources(client, session)
    assert verify(label.qr_url(host(app)), trust, status).verdict is Verdict.REVOKED


def test_suspended_label_is_suspended_and_restored(app: Flask, client: FlaskClient, session: Session) -> None:
    label, other = labels(session)[1], labels(session)[0]
    label.status = LabelStatus.SUSPENDED
    session.flush()
    trust, status = sources(client, session)
    assert verify(label.qr_url(host(app)), trust, status).verdict is Verdict.SUSPENDED
    assert verify(other.qr_url(host(app)), trust, status).verdict is Verdict.VALID
    label.status = LabelStatus.VALID
    session.flush()
    trust, status = sources(client, session)
    assert verify(label.qr_url(host(app)), trust, status).verdict is Verdict.VALID


# --- not a label ------------------------------------------------------------------------------------------


def test_truncated_tokens_are_malformed(app: Flask, session: Session, published) -> None:
    trust, status = published
    for label in labels(session):
        token = label.token
        for length in sorted(
            {
                0,
                1,
                2,
                3,
                4,
                5,
                10,
                50,
                100,
                len(token) // 2,
                len(token) - 87,
                len(token) - 3,
                len(token) - 2,
                len(token) - 1,
            }
        ):
            result = verify(url_with_token(app, label.path, token[:length]), trust, status)
            assert result.verdict is Verdict.MALFORMED, (label.path, length)
        for length in (len(token) // 3, len(token) - 1):  # the URL itself cut short
            assert verify(label.qr_url(host(app))[:length], trust, status).verdict is Verdict.MALFORMED


def test_random_bytes_behind_a_valid_url_are_malformed(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    for size in (0, 1, 8, 64, 200, 263, 400):
        token = fmt.b64url(os.urandom(size))
        assert verify(url_with_token(app, label.path, token), trust, status).verdict is Verdict.MALFORMED

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.binary(max_size=600))
    def check(raw: bytes) -> None:
        assert verify(url_with_token(app, label.path, fmt.b64url(raw)), trust, status).verdict is Verdict.MALFORMED

    check()


def test_random_cbor_behind_a_valid_url_is_malformed(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    leaves = st.none() | st.booleans() | st.integers() | st.binary(max_size=20) | st.text(max_size=20)
    values = st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.integers(), inner, max_size=5),
        max_leaves=20,
    )

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(values, st.booleans())
    def check(value: Any, tagged: bool) -> None:
        raw = cbor2.dumps(cbor2.CBORTag(18, value) if tagged else value)
        assert verify(url_with_token(app, label.path, fmt.b64url(raw)), trust, status).verdict is Verdict.MALFORMED

    check()


@pytest.mark.parametrize(
    "scanned",
    [
        "",
        "   ",
        "hello",
        "L1.",
        "https://",
        "https://example.com/",
        "https://example.com/01/02000000000015",
        "https://example.com/01/02000000000015#L2.abc",
        "ftp://example.com/l/x#L1.abc",
        "mailto:someone@example.com",
        "WIFI:S:net;T:WPA;P:secret;;",
        "0123456789",
        "https://example.com/l/x#L1.!!!!",
        "\x00\x01\x02",
    ],
)
def test_not_a_label_is_malformed(published, scanned: str) -> None:
    trust, status = published
    assert verify(scanned, trust, status).verdict is Verdict.MALFORMED


@pytest.mark.parametrize("scanned", ["https://[#L1.abc", "https://[::1/l/x#L1.abc", "http://]x[/01/1#L1.abc"])
def test_unparseable_url_is_malformed(published, scanned: str) -> None:
    trust, status = published
    assert verify(scanned, trust, status).verdict is Verdict.MALFORMED


def test_token_with_trailing_bytes_is_malformed(app: Flask, session: Session, published) -> None:
    trust, status = published
    label = labels(session)[0]
    token = fmt.b64url(fmt.b64url_decode(label.token) + b"\x00extra")
    assert verify(url_with_token(app, label.path, token), trust, status).verdict is Verdict.MALFORMED


# --- the documents themselves -----------------------------------------------------------------------------


def test_trust_list_signed_by_another_key_is_refused(client: FlaskClient, session: Session) -> None:
    document = client.get("/.well-known/label-trust-list.json").get_json()
    root = pinned_root(session)
    TrustList.from_document(document, root)  # the published one is accepted
    payload = fmt.b64url_decode(document["payload"])
    header = json.loads(fmt.b64url_decode(document["protected"]))
    impostor = ec.generate_private_key(ec.SECP256R1())
    for claimed_kid in (fmt.b64url(fmt.kid_for(impostor.public_key())), header["kid"]):
        compact = fmt.jws_compact({**header, "kid": claimed_kid}, payload, impostor)
        protected, body, signature = compact.split(".")
        forged = {"protected": protected, "payload": body, "signature": signature}
        with pytest.raises(FormatError):
            TrustList.from_document(forged, root)
        with pytest.raises(FormatError):
            TrustList.from_document(json.dumps(forged), root)
        # The forged document is well made: it verifies under the impostor's key.
        assert TrustList.from_document(forged, impostor.public_key()).keys


def test_trust_list_with_altered_payload_is_refused(client: FlaskClient, session: Session) -> None:
    document = client.get("/.well-known/label-trust-list.json").get_json()
    body = json.loads(fmt.b64url_decode(document["payload"]))
    body["keys"][0]["revoked_at"] = None
    body["keys"][0]["verify_until"] = "2099-01-01T00:00:00Z"
    altered = {**document, "payload": fmt.b64url(json.dumps(body).encode())}
    with pytest.raises(FormatError):
        TrustList.from_document(altered, pinned_root(session))


def test_status_list_signed_by_another_key_is_refused(client: FlaskClient, session: Session) -> None:
    trust = fetch_trust(client, session)
    compact = client.get("/status/revocation/0").get_data(as_text=True)
    header = json.loads(fmt.b64url_decode(compact.split(".")[0]))
    payload = fmt.b64url_decode(compact.split(".")[1])
    impostor = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(FormatError):
        StatusLists.from_credentials([fmt.jws_compact(header, payload, impostor)], trust)


# --- POST /api/v1/verify ----------------------------------------------------------------------------------


def post_verify(client: FlaskClient, body: Any = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    if body is not None:
        kwargs["json"] = body
    response = client.post("/api/v1/verify", **kwargs)
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    return response


def test_api_valid_label_in_english(app: Flask, client: FlaskClient, session: Session) -> None:
    for label in labels(session):
        response = post_verify(client, {"url": label.qr_url(host(app))})
        assert response.status_code == 200
        assert response.content_type.startswith("application/json")
        document = response.get_json()
        assert document["verdict"] == "valid"
        assert document["message"] == document["messages"]["en"]
        assert label.body.name_en and label.body.name_en in document["message"]
        assert document["message"].startswith("Valid")
        assert set(document["messages"]) == {"en", "zh_CN"}
        assert label.body.name_zh in document["messages"]["zh_CN"]
        assert document["label"]["label_id"] == label.public_id
        assert document["issuer"]["code"] == label.body.body_code
        assert document["kid"] == label.signing_key.kid
        assert document["record_status"] == "valid"
        assert set(document["status_lists"]) == {"revocation", "suspension"}


def test_api_valid_label_in_chinese(app: Flask, session: Session) -> None:
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    label = labels(session)[0]
    response = post_verify(chinese, {"url": label.qr_url(host(app))})
    assert response.status_code == 200
    document = response.get_json()
    assert document["verdict"] == "valid"
    assert document["message"] == document["messages"]["zh_CN"]
    assert document["message"].startswith("有效")
    assert label.body.name_zh in document["message"]
    assert document["messages"]["en"].startswith("Valid")


def test_api_reports_tampering_verdicts(app: Flask, client: FlaskClient, session: Session) -> None:
    first, second = gtin_labels(session)[:2]
    parts = open_token(first.token)
    parts[3] = flip(parts[3], 10, 1)
    cases = {
        url_with_token(app, second.path, first.token): "wrong_product",
        url_with_token(app, first.path, close_token(parts)): "bad_signature",
        url_with_token(app, first.path, first.token[:40]): "malformed",
        "hello": "malformed",
    }
    for url, verdict in cases.items():
        response = post_verify(client, {"url": url})
        assert response.status_code == 200, url
        assert response.get_json()["verdict"] == verdict, url
    first.status = LabelStatus.WITHDRAWN
    session.flush()
    document = post_verify(client, {"url": first.qr_url(host(app))}).get_json()
    assert (document["verdict"], document["record_status"]) == ("revoked", "withdrawn")
    # Each token's own entry is read: a neighbour in the same list keeps its verdict, a suspension is its own.
    assert (first.status_list, post_verify(client, {"url": second.qr_url(host(app))}).get_json()["verdict"]) == (
        second.status_list,
        "valid",
    )
    second.status = LabelStatus.SUSPENDED
    session.flush()
    document = post_verify(client, {"url": second.qr_url(host(app))}).get_json()
    assert (document["verdict"], document["record_status"]) == ("suspended", "suspended")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {}},
        {"json": {"url": ""}},
        {"json": {"url": "   "}},
        {"json": {"url": 5}},
        {"json": {"url": None}},
        {"json": {"url": ["https://x/"]}},
        {"json": {"link": "https://x/"}},
        {"json": 5},
        {"json": "https://example.com/l/x#L1.abc"},
        {"json": ["https://example.com/l/x#L1.abc"]},
        {"data": "not json", "content_type": "application/json"},
        {"data": '{"url": ', "content_type": "application/json"},
        {"data": "url=https://example.com/", "content_type": "application/x-www-form-urlencoded"},
        {"data": b"\xff\xfe", "content_type": "application/json"},
        {},
        {"json": {"url": "https://example.com/l/x#L1." + "A" * 5000}},
    ],
)
def test_api_bad_requests_are_400(client: FlaskClient, kwargs: dict[str, Any]) -> None:
    response = post_verify(client, **kwargs)
    assert response.status_code == 400
    document = response.get_json()
    assert document["error"] == "bad_request"
    assert document["message"] == document["messages"]["en"]
    assert '{"url":' in document["message"]
    assert set(document["messages"]) == {"en", "zh_CN"}


def test_api_bad_request_in_chinese(app: Flask) -> None:
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    document = post_verify(chinese, {"url": 5}).get_json()
    assert document["message"] == document["messages"]["zh_CN"]
    assert document["message"].startswith("请发送")


def test_api_other_methods_are_not_500(client: FlaskClient) -> None:
    assert client.get("/api/v1/verify").status_code == 405


def test_api_unparseable_url_is_malformed_not_500(client: FlaskClient) -> None:
    response = post_verify(client, {"url": "https://[#L1.abc"})
    assert response.status_code == 200
    assert response.get_json()["verdict"] == "malformed"


def test_api_cors_preflight_allows_json_posts(client: FlaskClient) -> None:
    response = client.options(
        "/api/v1/verify",
        headers={
            "Origin": "https://verifier.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "content-type" in response.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "POST" in response.headers.get("Access-Control-Allow-Methods", "")
