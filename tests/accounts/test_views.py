"""Sign-in, registration, passwords and invitations, as a person in a browser meets them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.organisations.models import Organisation
from registry.organisations.uscc import uscc_check_character
from tests.conftest import csrf_token, english, make_test_app, post_form, sign_in

VALID_USCC = "91350100M000100Y43"  # the worked example of GB 32100-2015


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _registration(**overrides: str) -> dict[str, str]:
    data = {
        "organisation_name_zh": "测试新能源有限公司",
        "organisation_name_en": "Test New Energy Co., Ltd.",
        "uscc": VALID_USCC,
        "name": "测试人",
        "email": "new.applicant@example.org",
        "password": "a long enough password",
        "confirm": "a long enough password",
    }
    data.update(overrides)
    return data


def test_sign_in_and_out(client, session):
    response = sign_in(client, "applicant@example.com")
    assert response.headers["Location"].endswith("/dashboard/")
    assert client.get("/dashboard/").status_code == 200
    token = csrf_token(client, "/dashboard/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard/").status_code == 302
    tags = session.scalars(select(AuditEvent.tag).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert tags == ["user:logout", "user:login:success"]


def test_wrong_password_is_refused_and_audited(client, session):
    response = post_form(client, "/login", {"email": "applicant@example.com", "password": "wrong password!"})
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.tag == "user:login:failure"
    assert event.payload == {"reason": "wrong_password"}
    assert "wrong password" not in str(event.payload)


def test_sign_in_rotates_the_session_and_sets_safe_cookie_flags(client):
    client.get("/login")
    before = client.get_cookie("registry_session", domain="registry.test")
    response = sign_in(client, "applicant@example.com")
    cookie_header = response.headers["Set-Cookie"]
    assert "Secure" in cookie_header and "HttpOnly" in cookie_header and "SameSite=Lax" in cookie_header
    after = client.get_cookie("registry_session", domain="registry.test")
    assert before is not None and after is not None and before.value != after.value


def test_sign_out_clears_the_session_cookie(app, client):
    sign_in(client, "applicant@example.com")
    serializer = app.session_interface.get_signing_serializer(app)
    signed_in = serializer.loads(client.get_cookie("registry_session", domain="registry.test").value)
    assert "_user_id" in signed_in
    token = csrf_token(client, "/dashboard/")
    client.post("/logout", data={"csrf_token": token})
    # Only the "you have signed out" message survives: no user, no CSRF secret, nothing from before.
    signed_out = serializer.loads(client.get_cookie("registry_session", domain="registry.test").value)
    assert set(signed_out) <= {"_flashes"}
    assert client.get("/dashboard/").status_code == 302


def test_repeated_wrong_passwords_for_one_account_get_429(client):
    statuses = [
        post_form(client, "/login", {"email": "verifier@example.com", "password": f"wrong-{n}-password"}).status_code
        for n in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password is refused while the account is limited.
    blocked = post_form(client, "/login", {"email": "verifier@example.com", "password": "demo-password-2026"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_many_failures_from_one_address_get_429_across_accounts(database_url, session_factory):
    from registry.database import db

    app = make_test_app(database_url, LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    db.bind_sessions(app, session_factory)
    client = english(app.test_client())
    statuses = [
        post_form(client, "/login", {"email": f"nobody{n}@example.com", "password": "whatever-password"}).status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_a_successful_sign_in_does_not_count_against_the_limit(client):
    for _ in range(7):
        sign_in(client, "applicant@example.com")
        token = csrf_token(client, "/dashboard/")
        client.post("/logout", data={"csrf_token": token})


def test_post_without_csrf_token_is_refused_and_writes_nothing(client, session):
    before = _count(session, Organisation)
    response = client.post("/register", data=_registration())
    assert response.status_code == 400
    assert "expired or was sent from another site" in response.get_data(as_text=True)
    assert _count(session, Organisation) == before


@pytest.mark.parametrize(
    ("uscc", "expected"),
    [
        ("91350100M000100Y4", "exactly 18 characters; 17 were given"),
        ("91350100M000100I43", "position 16"),
        ("91350100M000100Y44", "should be 3, not 4"),
        ("91990100M000100Y43", "province-level"),
    ],
)
def test_bad_credit_code_says_which_rule_failed_and_writes_nothing(client, session, uscc, expected):
    before = (_count(session, Organisation), _count(session, User))
    response = post_form(client, "/register", _registration(uscc=uscc))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert expected in page
    assert 'value="测试新能源有限公司"' in page  # what the user typed is kept
    assert (_count(session, Organisation), _count(session, User)) == before


def test_duplicate_credit_code_is_refused(client, session):
    taken = session.scalars(select(Organisation.uscc).where(Organisation.uscc.is_not(None))).first()
    response = post_form(client, "/register", _registration(uscc=taken))
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)


def _change_password(client, current: str, new: str):
    return post_form(client, "/account/password", {"current_password": current, "new_password": new, "confirm": new})


def test_password_change_ends_other_sessions(app, client):
    other = app.test_client()
    sign_in(other, "applicant@example.com")
    sign_in(client, "applicant@example.com")
    response = _change_password(client, "demo-password-2026", "brand new password 1")
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200  # this session stays
    assert other.get("/dashboard/").status_code == 302  # the other one is signed out
    fresh = app.test_client()
    assert (
        post_form(fresh, "/login", {"email": "applicant@example.com", "password": "demo-password-2026"}).status_code
        == 401
    )
    sign_in(fresh, "applicant@example.com", "brand new password 1")


def test_password_change_with_wrong_current_password_is_refused(client):
    sign_in(client, "applicant@example.com")
    response = _change_password(client, "not it at all", "brand new password 1")
    assert response.status_code == 400
    assert "current password is not right" in response.get_data(as_text=True)


def test_body_admin_invites_a_verifier_who_joins(app, client, session):
    sign_in(client, "body.admin@example.com")
    response = post_form(client, "/staff", {"email": "new.verifier@example.org", "role": "verifier"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = page.split('<code class="copyable">')[1].split("</code>")[0]
    path, code = link.split("registry.test", 1)[1].split("#")
    newcomer = app.test_client()
    opened = post_form(newcomer, path, {"code": code})
    assert opened.status_code == 200
    assert "new.verifier@example.org" in opened.get_data(as_text=True)
    joined = post_form(
        newcomer,
        path,
        {"code": code, "name": "新核查员", "password": "verifier password 9", "confirm": "verifier password 9"},
    )
    assert joined.status_code == 302
    user = session.scalar(select(User).where(User.email == "new.verifier@example.org"))
    assert user.role == "verifier"
    assert user.organisation.body_code == "HTDEMO"
    # The link works once.
    assert post_form(app.test_client(), path, {"code": code}).status_code == 404


def test_body_admin_cannot_invite_to_roles_outside_the_body(client):
    sign_in(client, "body.admin@example.com")
    response = post_form(client, "/staff", {"email": "someone@example.org", "role": "regulator"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_demo_accounts_are_refused_outside_demo_mode(database_url, session_factory):
    from registry.database import db

    app = make_test_app(database_url, DEMO_MODE=False)
    db.bind_sessions(app, session_factory)
    response = post_form(
        english(app.test_client()), "/login", {"email": "applicant@example.com", "password": "demo-password-2026"}
    )
    assert response.status_code == 401
    assert "Demo accounts are switched off" in response.get_data(as_text=True)


def test_check_character_helper_agrees_with_the_registration_form(client):
    body = "91370100MA3C0009"
    body += "9"  # 17 characters
    code = body + uscc_check_character(body)
    assert post_form(client, "/register", _registration(uscc=code)).status_code == 302
