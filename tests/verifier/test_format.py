"""The L1 format pinned by a fixed test vector: any change to the encoding, the claim keys or the signature
scheme changes these bytes, and every label already printed would stop verifying."""

from __future__ import annotations

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from registry.verifier import format as fmt
from registry.verifier.core import TrustedKey, TrustList, Verdict, verify

SCALAR = 0x1F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A7988
CLAIMS = fmt.LabelClaims(
    iss="HTDEMO",
    sub="/01/06901234567892",
    iat=1795392000,
    exp=1890086400,
    cti=bytes(range(12)),
    footprint_g=62400,
    declared_unit="kWh",
    boundary="cradle-to-gate",
    scheme_id="li-battery",
    scheme_version="1.0.0",
    grade="3",
    status_list=0,
    status_index=41,
    record_hash=bytes.fromhex("00112233445566778899aabbccddeeff"),
)
TOKEN = (
    "0oRNogEmBEiAyozWY_IfRaBYdaYBZkhUREVNTwJyLzAxLzA2OTAxMjM0NTY3ODkyBhprA4IABBpwqG4AB0wAAQIDBAUGBwgJCgs6AAEAAKgB"
    "GfPAAmNrV2gDAQRqbGktYmF0dGVyeQVlMS4wLjAGYTMHggAYKQhQABEiM0RVZneImaq7zN3u_1hAb1ZR_ZUwxzVUvWIsLiqlQzozZ1jtpq66"
    "3Q0Hln5-2Zx9GXwNm1epdd70oEliJfRKaEpA--AMAlVO1aDyA0tLkg"
)
KEY = ec.derive_private_key(SCALAR, ec.SECP256R1())


def test_the_test_vector_encodes_to_the_pinned_token():
    kid = fmt.kid_for(KEY.public_key())
    assert fmt.b64url(kid) == "gMqM1mPyH0U"
    assert fmt.encode_token(fmt.label_claims_map(CLAIMS), kid, KEY) == TOKEN


def test_the_pinned_token_has_the_documented_structure():
    item = cbor2.loads(fmt.b64url_decode(TOKEN))
    assert item.tag == 18
    protected, unprotected, payload, signature = item.value
    assert protected == bytes.fromhex("a2012604 48".replace(" ", "")) + fmt.b64url_decode("gMqM1mPyH0U")
    assert dict(unprotected) == {} and len(signature) == 64
    claims = cbor2.loads(payload)
    assert set(claims) == {1, 2, 4, 6, 7, -65537}
    label = claims[-65537]
    assert list(label[7]) == [0, 41]  # cbor2 may give the array as a tuple
    assert {k: v for k, v in label.items() if k != 7} == {
        1: 62400,
        2: "kWh",
        3: 1,
        4: "li-battery",
        5: "1.0.0",
        6: "3",
        8: bytes.fromhex("00112233445566778899aabbccddeeff"),
    }
    assert fmt.parse_claims(payload) == CLAIMS


def test_the_pinned_token_verifies_with_the_vector_key():
    kid = fmt.kid_for(KEY.public_key())
    trust = TrustList(
        keys={
            kid: TrustedKey(
                kid=kid,
                key=KEY.public_key(),
                body_code="HTDEMO",
                body_name={"en": "Demo", "zh_CN": "示范"},
                sign_from=0,
                sign_until=2**32,
                verify_until=2**32,
                revoked_at=None,
            )
        },
        issued_at=0,
        issuer="https://cfp.example.cn",
        root_key=KEY.public_key(),
        hosts=("cfp.example.cn",),
    )
    assert (
        verify(f"https://cfp.example.cn/01/06901234567892#L1.{TOKEN}", trust, None, now=1795392001).verdict
        is Verdict.VALID
    )
    assert (
        verify(f"https://cfp.example.cn/01/06901234567892#L1.{TOKEN}", trust, None, now=1890086400).verdict
        is Verdict.EXPIRED
    )
    # The same genuine bytes without their tag 18, which the format requires, are not a label.
    untagged = fmt.b64url(cbor2.dumps(cbor2.loads(fmt.b64url_decode(TOKEN)).value))
    assert fmt.b64url_decode(TOKEN) == b"\xd2" + fmt.b64url_decode(untagged)  # 0xd2: tag 18, then the same array
    result = verify(f"https://cfp.example.cn/01/06901234567892#L1.{untagged}", trust, None, now=1795392001)
    assert result.verdict is Verdict.MALFORMED and "tag 18" in (result.detail or "")
    assert verify(untagged, trust, None, now=1795392001).verdict is Verdict.MALFORMED


def test_the_record_hash_is_sha256_of_canonical_json_truncated_to_16_bytes():
    import hashlib

    record = {"b": "二", "a": 1, "c": None}
    assert fmt.canonical_json(record) == '{"a":1,"b":"二","c":null}'.encode()
    assert fmt.record_hash(record) == hashlib.sha256(fmt.canonical_json(record)).digest()[:16]
