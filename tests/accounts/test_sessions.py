"""A session ends when its owner signs out, and a stolen cookie does not travel to another address."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from registry.database import db
from tests.conftest import csrf_token, english, make_test_app, sign_in

COOKIE = "registry_session"


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE, domain="registry.test")
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, cookie: str, **environ: str) -> FlaskClient:
    """Another browser that presents a copy of ``cookie``."""
    thief = english(app.test_client())
    thief.environ_base.update(environ)
    thief.set_cookie(COOKIE, cookie, domain="registry.test")
    return thief


def test_a_cookie_kept_from_before_sign_out_opens_nothing(app, client):
    sign_in(client, "applicant@example.com")
    kept = _session_cookie(client)
    assert _replay(app, kept).get("/dashboard/").status_code == 200  # the copy works while the session lives
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    replayed = _replay(app, kept).get("/dashboard/")
    assert replayed.status_code == 302
    assert "/login" in replayed.headers["Location"]


def test_signing_in_again_after_sign_out_works(client):
    sign_in(client, "applicant@example.com")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})
    sign_in(client, "applicant@example.com")
    assert client.get("/dashboard/").status_code == 200


def test_a_forged_forwarded_for_neither_ends_the_session_nor_lets_a_copy_in(app, client):
    client.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    sign_in(client, "applicant@example.com")
    # The owner's browser (or a plug-in) adds a header: the session survives, since without a trusted proxy
    # the header means nothing.
    assert client.get("/dashboard/", headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 200
    # A thief elsewhere claims the owner's address in the header: the copy of the cookie is worthless.
    thief = _replay(app, _session_cookie(client), REMOTE_ADDR="198.51.100.7")
    assert thief.get("/dashboard/", headers={"X-Forwarded-For": "192.0.2.10"}).status_code == 302


def test_behind_one_proxy_the_address_the_proxy_saw_is_what_counts(database_url, session_factory):
    app = make_test_app(database_url, PROXY_COUNT=1)
    db.bind_sessions(app, session_factory)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    owner = english(app.test_client())
    owner.environ_base.update(proxy)
    owner.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.10"
    sign_in(owner, "applicant@example.com")
    assert owner.get("/dashboard/").status_code == 200
    # The thief writes the owner's address into the header; the proxy appends the address it really saw.
    thief = _replay(app, _session_cookie(owner), **proxy)
    assert thief.get("/dashboard/", headers={"X-Forwarded-For": "192.0.2.10, 198.51.100.7"}).status_code == 302
