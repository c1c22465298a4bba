"""Signing keys: rotation and revocation from the CLI, sealing under the KEK, publication, and no private key
material anywhere it could leak."""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select, text

from registry import PROJECT_ROOT
from registry.database import utcnow
from registry.keys import crypto
from registry.keys.models import KeyRole, KeyStatus, SigningKey
from registry.keys.services import private_key, root_key
from registry.labels.models import Label
from registry.organisations.models import Organisation
from registry.verifier import format as fmt
from registry.verifier.core import TrustList, Verdict, verify


def body(session, code="HTDEMO"):  # type: ignore[no-untyped-def]
    return session.scalar(select(Organisation).where(Organisation.body_code == code))


def keys_of(session, organisation):  # type: ignore[no-untyped-def]
    return list(
        session.scalars(select(SigningKey).where(SigningKey.body_id == organisation.id).order_by(SigningKey.id))
    )


def test_the_demo_body_signed_its_labels_with_its_own_active_key(session):
    issuer = body(session)
    (key,) = keys_of(session, issuer)
    assert key.status is KeyStatus.ACTIVE and key.role is KeyRole.BODY
    labels = session.scalars(select(Label).where(Label.body_id == issuer.id)).all()
    assert labels and {label.signing_key_id for label in labels} == {key.id}
    assert key.sign_from < key.sign_until < key.verify_until
    # The kid is the first 8 bytes of the RFC 7638 thumbprint of the public key.
    assert fmt.b64url_decode(key.kid) == fmt.jwk_thumbprint(key.public_jwk)[:8]


def test_rotate_makes_a_new_active_key_and_keeps_the_old_one_verify_only(runner, session, client):
    issuer = body(session)
    (old,) = keys_of(session, issuer)
    result = runner.invoke(args=["keys", "rotate", "--body", "htdemo"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    previous, new = keys_of(session, issuer)
    assert previous.id == old.id and previous.status is KeyStatus.RETIRED and new.status is KeyStatus.ACTIVE
    assert new.kid in result.output
    assert previous.sign_until <= new.sign_from + timedelta(seconds=1)
    # Both keys are published; labels signed by the retired key still verify.
    kids = {jwk["kid"] for jwk in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert {previous.kid, new.kid} <= kids
    trust = TrustList.from_document(client.get("/.well-known/label-trust-list.json").get_json(), root_jwk(client))
    label = session.scalars(select(Label).where(Label.signing_key_id == previous.id)).first()
    assert verify(label.qr_url(client.application.config["PUBLIC_HOST"]), trust, None).verdict is Verdict.VALID


def root_jwk(client):  # type: ignore[no-untyped-def]
    document = client.get("/.well-known/label-trust-list.json").get_json()
    kid = fmt.jws_header(f"{document['protected']}..").get("kid")
    return next(jwk for jwk in client.get("/.well-known/jwks.json").get_json()["keys"] if jwk["kid"] == kid)


def test_rotate_refuses_an_unknown_body_clearly(runner):
    result = runner.invoke(args=["keys", "rotate", "--body", "NOPE"])
    assert result.exit_code == 1
    assert "No certification body has the code 'NOPE'" in result.output


def test_revoke_publishes_the_time_and_turns_its_labels_into_key_revoked(runner, session, client):
    issuer = body(session)
    (key,) = keys_of(session, issuer)
    result = runner.invoke(
        args=["keys", "revoke", key.kid, "--reason", "laptop stolen", "--at", "2026-11-20T08:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    entry = next(k for k in _trust_payload(client)["keys"] if k["kid"] == key.kid)
    assert entry["status"] == "revoked" and entry["revoked_at"] == "2026-11-20T08:00:00Z"
    trust = TrustList.from_document(client.get("/.well-known/label-trust-list.json").get_json(), root_jwk(client))
    label = session.scalars(select(Label).where(Label.signing_key_id == key.id)).first()
    assert verify(label.qr_url("h"), trust, None).verdict is Verdict.KEY_REVOKED
    again = runner.invoke(args=["keys", "revoke", key.kid, "--reason", "again"])
    assert again.exit_code == 1 and "already revoked" in again.output


def test_revoke_needs_a_reason_and_a_known_kid(runner, session):
    (key,) = keys_of(session, body(session))
    for args, message in (
        ([key.kid, "--reason", "  "], "Give the reason for revoking the key"),
        (["AAAAAAAAAAA", "--reason", "x"], "No key has the kid 'AAAAAAAAAAA'"),
        ([key.kid, "--reason", "x", "--at", "yesterday"], "not an ISO 8601 time"),
    ):
        result = runner.invoke(args=["keys", "revoke", *args])
        assert result.exit_code == 1 and message in result.output, result.output
    session.expire_all()
    assert key.status is KeyStatus.ACTIVE and key.revoked_at is None  # nothing was revoked


def _trust_payload(client):  # type: ignore[no-untyped-def]
    return json.loads(fmt.b64url_decode(client.get("/.well-known/label-trust-list.json").get_json()["payload"]))


def test_the_database_holds_private_keys_only_sealed(session):
    for key in session.scalars(select(SigningKey)):
        der = private_key(key).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        scalar = private_key(key).private_numbers().private_value.to_bytes(32, "big")
        sealed = bytes(key.sealed_private_key)
        assert der not in sealed and scalar not in sealed
        # Sealed under the KEK with the kid bound in: another kid, or another KEK, does not open it.
        with pytest.raises(crypto.KeyEncryptionKeyError):
            crypto.unseal(sealed, "AAAAAAAAAAA", crypto.current_kek())
        with pytest.raises(crypto.KeyEncryptionKeyError) as raised:
            crypto.unseal(sealed, key.kid, b"\x01" * 32)
        assert "does not open" in str(raised.value)


def _secrets(session):  # type: ignore[no-untyped-def]
    """Every form a private key could leak in: the scalar (hex, base64url), PKCS#8 DER (base64url, PEM body)."""
    found = []
    for key in session.scalars(select(SigningKey)):
        secret = private_key(key)
        scalar = secret.private_numbers().private_value.to_bytes(32, "big")
        der = secret.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        pem = secret.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        body_line = pem.decode().splitlines()[1]
        found += [scalar.hex(), fmt.b64url(scalar), fmt.b64url(der)[:40], body_line[:40]]
    found.append(crypto.current_kek().hex())
    found.append(fmt.b64url(crypto.current_kek()))
    return found


def test_no_private_key_material_in_responses_logs_or_the_repository(client, session, caplog, runner):
    caplog.set_level(logging.DEBUG)
    label = session.scalars(select(Label)).first()
    outputs = []
    for url in (
        "/.well-known/jwks.json",
        "/.well-known/label-trust-list.json",
        "/status/revocation/0",
        "/status/suspension/0",
        f"/l/{label.public_id}/status",
        f"/l/{label.public_id}/qr.svg",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        outputs.append(response.get_data(as_text=True))
    outputs.append(client.post("/api/v1/verify", json={"url": label.qr_url("h")}).get_data(as_text=True))
    outputs.append(runner.invoke(args=["keys", "list"]).output)
    outputs.append(runner.invoke(args=["keys", "root"]).output)
    outputs.append(caplog.text)
    # The database in clear: every text column of every table.
    for table in ("signing_keys", "labels", "audit_events"):
        outputs.append(repr(session.execute(text(f"SELECT * FROM {table}")).all()))
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout.split(
        b"\0"
    )
    for name in filter(None, tracked):
        path = PROJECT_ROOT / name.decode()
        if path.is_file() and path.stat().st_size < 2_000_000:
            outputs.append(path.read_bytes().decode("utf-8", "replace"))
    everything = "\n".join(outputs)
    for secret in _secrets(session):
        assert secret not in everything
    assert "-----BEGIN " + "PRIVATE KEY" not in everything  # split so this file does not match itself


def test_published_keys_are_open_to_any_origin_and_cacheable(client):
    for url in ("/.well-known/jwks.json", "/.well-known/label-trust-list.json"):
        response = client.get(url)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "public" in response.headers["Cache-Control"] and "max-age=300" in response.headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    jwks = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert all(set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"} for jwk in jwks)


def test_the_trust_list_names_each_key_s_body_and_windows_and_is_signed_by_the_root(client, session):
    payload = _trust_payload(client)
    root = root_key(session)
    assert payload["root_kid"] == root.kid
    entry = next(k for k in payload["keys"] if k["body"]["code"] == "HTDEMO")
    assert entry["status"] == "active" and entry["body"]["name_zh"]
    assert entry["sign_from"] < entry["sign_until"] < entry["verify_until"]
    assert entry["jwk"]["kid"] == entry["kid"]
    # A trust list checked against any other anchor than the root key is refused.
    from cryptography.hazmat.primitives.asymmetric import ec

    stranger = fmt.public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(fmt.FormatError):
        TrustList.from_document(client.get("/.well-known/label-trust-list.json").get_json(), stranger)


def test_an_expired_signing_window_rotates_on_the_next_issuance(session):
    from registry.audit.services import Actor
    from registry.keys.services import signing_key_for

    issuer = body(session)
    (key,) = keys_of(session, issuer)
    key.sign_from = utcnow() - timedelta(days=400)
    key.sign_until = utcnow() - timedelta(days=1)
    session.flush()
    fresh = signing_key_for(session, Actor.system(), issuer)
    assert fresh.id != key.id and fresh.status is KeyStatus.ACTIVE and key.status is KeyStatus.RETIRED


def test_a_kid_beginning_with_a_dash_is_read_as_the_kid(runner, session):
    """A kid is base64url: one in 64 begins with "-", which must not be taken for an option."""
    (key,) = keys_of(session, body(session))
    key.kid = "-" + key.kid[1:]
    session.flush()
    result = runner.invoke(args=["keys", "revoke", key.kid, "--reason", "test"])
    assert result.exit_code == 0, result.output
    assert f"Revoked {key.kid}" in result.output
    unknown = runner.invoke(args=["keys", "revoke", "-AAAAAAAAAA", "--reason", "x"])
    assert unknown.exit_code == 1 and "No key has the kid '-AAAAAAAAAA'" in unknown.output


def test_a_key_made_for_a_label_signs_from_the_labels_own_issue_time(session, monkeypatch):
    """A key made while a label is issued covers that label's iat, even when the clock has moved into the next
    second by the time the key is made (this had made a body's first label read as bad_signature)."""
    from registry.audit.services import Actor
    from registry.keys import services as key_services

    issuer = body(session)
    (key,) = keys_of(session, issuer)
    key.sign_until = utcnow() - timedelta(days=1)  # the next issuance makes a new key
    key.sign_from = key.sign_until - timedelta(days=365)
    session.flush()
    issued = utcnow().replace(microsecond=999_999)  # late in its second, after the old key's last day
    monkeypatch.setattr(key_services, "utcnow", lambda: issued + timedelta(seconds=1))  # a moment later, next second
    fresh = key_services.signing_key_for(session, Actor.system(), issuer, issued)
    assert fresh.sign_from == issued.replace(microsecond=0) <= issued
