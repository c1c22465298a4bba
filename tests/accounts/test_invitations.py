"""Staff invitations: the token stays out of every requested path, and the form does not tell who has an account."""

from __future__ import annotations

import re

import pytest
from flask import request, request_started
from sqlalchemy import func, select

from registry.accounts.models import Invitation, User
from tests.accounts.conftest import body, received
from tests.conftest import post_form, sign_in

LINK = re.compile(r'<code class="copyable">([^<]+)</code>')
CALLOUT = re.compile(r'<div class="callout success" role="status">.*?</div>', re.DOTALL)


def _invite(client, email: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/staff", {"email": email, "role": "verifier"})


def test_the_invitation_token_is_in_no_requested_path(app, client, session):
    paths: list[str] = []

    def log_path(sender, **extra):  # type: ignore[no-untyped-def]
        paths.append(request.full_path)  # what an access log records

    request_started.connect(log_path, app)
    try:
        sign_in(client, "body.admin@example.com")
        link = LINK.search(_invite(client, "new.verifier@example.org").get_data(as_text=True)).group(1)
        address, _, token = link.partition("#")
        assert token and token not in address
        path = address.split("registry.test", 1)[1]
        newcomer = app.test_client()
        assert newcomer.get(path).status_code == 200  # a browser never sends the fragment
        opened = post_form(newcomer, path, {"code": token})
        assert "new.verifier@example.org" in opened.get_data(as_text=True)
        joined = post_form(
            newcomer,
            path,
            {"code": token, "name": "新核查员", "password": "verifier pass 99", "confirm": "verifier pass 99"},
        )
        assert joined.status_code == 302
    finally:
        request_started.disconnect(log_path, app)
    assert session.scalar(select(User).where(User.email == "new.verifier@example.org")) is not None
    assert paths and not [p for p in paths if token in p]


def test_a_wrong_code_opens_nothing(client):
    response = post_form(client, "/invitations", {"code": "not-a-real-invitation-code"})
    assert response.status_code == 404
    assert "does not work" in response.get_data(as_text=True)


@pytest.mark.parametrize(("language", "created"), [("en", "Invitation created."), ("zh-CN", "邀请已创建。")])
def test_inviting_an_address_that_has_an_account_answers_like_a_new_one(
    mail_client, session, mailbox, language, created
):
    mail_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    sign_in(mail_client, "body.admin@example.com")
    answers = {}
    for email in ("applicant@example.com", "someone.new@example.org"):
        response = _invite(mail_client, email)
        page = response.get_data(as_text=True)
        assert created in page
        assert 'role="alert"' not in page  # no error on the form
        callout = CALLOUT.search(page).group(0)
        answers[email] = (response.status_code, callout.replace(LINK.search(page).group(1).partition("#")[2], "CODE"))
    assert answers["applicant@example.com"] == answers["someone.new@example.org"]
    assert answers["applicant@example.com"][0] == 200
    listed = session.scalars(select(Invitation.email).where(Invitation.revoked_at.is_(None))).all()
    assert {"applicant@example.com", "someone.new@example.org"} <= set(listed)

    [warning] = received(mailbox, "applicant@example.com")
    text = body(warning)
    assert "already has an account" in text and "已有账户" in text
    assert "华碳示范认证中心" in text
    assert "#" not in text  # the owner gets no link to accept
    assert received(mailbox, "someone.new@example.org") == []  # the administrator sends that link themselves


def test_an_invitation_to_an_address_that_has_an_account_cannot_be_accepted(app, client, session):
    sign_in(client, "body.admin@example.com")
    link = LINK.search(_invite(client, "verifier@example.com").get_data(as_text=True)).group(1)
    path, _, code = link.split("registry.test", 1)[1].partition("#")
    users = session.scalar(select(func.count()).select_from(User))
    refused = post_form(
        app.test_client(),
        path,
        {"code": code, "name": "x", "password": "some password 12", "confirm": "some password 12"},
    )
    assert refused.status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == users
