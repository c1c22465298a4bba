"""Five wrong passwords limit an account, but not its owner's known devices (OWASP's device cookie)."""

from __future__ import annotations

from flask.testing import FlaskClient

from registry.demo.services import DEMO_PASSWORD
from tests.conftest import csrf_token, english, post_form, sign_in

OWNER = "decision@example.com"
DEVICE_COOKIE = "registry_device"


def _attempt(client: FlaskClient, password: str, email: str = OWNER) -> int:
    return post_form(client, "/login", {"email": email, "password": password}).status_code


def _sign_out(client: FlaskClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard/")})


def _lock_out(app) -> None:  # type: ignore[no-untyped-def]
    attacker = english(app.test_client())
    statuses = [_attempt(attacker, f"guess number {n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert _attempt(attacker, DEMO_PASSWORD) == 429  # the attacker cannot get in even by guessing right


def test_the_owner_signs_in_from_a_known_device_while_the_account_is_limited(app, client):
    sign_in(client, OWNER)
    _sign_out(client)
    _lock_out(app)
    assert _attempt(client, DEMO_PASSWORD) == 302
    assert client.get("/dashboard/").status_code == 200


def test_without_a_device_cookie_the_account_limit_holds(app):
    _lock_out(app)
    assert _attempt(english(app.test_client()), DEMO_PASSWORD) == 429


def test_a_device_cookie_counts_only_for_its_own_account(app, client):
    sign_in(client, "applicant@example.com")
    _sign_out(client)
    _lock_out(app)
    assert _attempt(client, DEMO_PASSWORD) == 429


def test_a_tampered_device_cookie_is_no_device(app, client):
    sign_in(client, OWNER)
    _sign_out(client)
    cookie = client.get_cookie(DEVICE_COOKIE, domain="registry.test", path="/login")
    assert cookie is not None
    client.set_cookie(DEVICE_COOKIE, cookie.value[:-2] + "AA", domain="registry.test", path="/login")
    _lock_out(app)
    assert _attempt(client, DEMO_PASSWORD) == 429


def test_a_password_change_retires_the_device_cookies(app, client):
    sign_in(client, OWNER)
    new_password = "a brand new password 7"
    changed = post_form(
        client,
        "/account/password",
        {"current_password": DEMO_PASSWORD, "new_password": new_password, "confirm": new_password},
    )
    assert changed.status_code == 302
    _sign_out(client)
    _lock_out(app)
    assert _attempt(client, new_password) == 429


def test_a_device_cookie_fails_its_own_guesses_too(app, client):
    sign_in(client, OWNER)
    _sign_out(client)
    # Whoever holds the device gets five guesses of their own, then waits like everyone else.
    statuses = [_attempt(client, f"device guess {n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_the_device_cookie_is_secret_and_long_lived(client):
    response = sign_in(client, OWNER)
    header = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(DEVICE_COOKIE + "="))
    assert "Secure" in header and "HttpOnly" in header and "Path=/login" in header
    assert "Max-Age=" in header
    assert OWNER not in header  # the cookie names the account by its id, not by the e-mail address
