"""Registration is confirmed by e-mail, and answers the same whether or not the address has an account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.accounts.models import Registration, User
from registry.organisations.models import Organisation
from tests.accounts.conftest import body, received
from tests.accounts.test_views import VALID_USCC, _registration
from tests.conftest import english, post_form

NEW = "new.applicant@example.org"
TAKEN = "applicant@example.com"
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def _counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return (
        session.scalar(select(func.count()).select_from(Organisation)),
        session.scalar(select(func.count()).select_from(User)),
    )


def _link(message) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The confirmation link's path and its code (the fragment)."""
    link = re.search(r"https?://registry\.test/\S+", body(message)).group(0)
    path, _, code = link.split("registry.test", 1)[1].partition("#")
    return path, code


def test_registration_is_finished_by_the_link_in_the_e_mail(mail_client, session, mailbox):
    before = _counts(session)
    response = post_form(mail_client, "/register", _registration())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/sent")
    assert "Check your e-mail" in mail_client.get("/register/sent").get_data(as_text=True)
    assert _counts(session) == before  # nothing exists until the address is confirmed
    assert mail_client.get("/dashboard/").status_code == 302  # and nobody is signed in

    [message] = received(mailbox, NEW)
    path, code = _link(message)
    assert path == "/register/confirm" and code  # the code travels in the fragment, never in a requested path
    assert "Test New Energy Co., Ltd." in body(message) and "测试新能源有限公司" in body(message)
    confirmed = post_form(mail_client, path, {"code": code})
    assert confirmed.status_code == 302
    user = session.scalar(select(User).where(User.email == NEW))
    assert user.role == "applicant"
    assert user.organisation.uscc == VALID_USCC
    assert user.organisation.region == ("福建省", "Fujian")
    assert mail_client.get("/dashboard/").status_code == 200
    # The link works once.
    again = post_form(english(mail_client.application.test_client()), path, {"code": code})
    assert again.status_code == 404
    assert "does not work" in again.get_data(as_text=True)


def test_an_expired_confirmation_link_does_not_work(mail_client, session, mailbox):
    post_form(mail_client, "/register", _registration())
    path, code = _link(received(mailbox, NEW)[0])
    registration = session.scalar(select(Registration).where(Registration.email == NEW))
    registration.expires_at = registration.created_at - timedelta(seconds=1)
    session.flush()
    assert post_form(mail_client, path, {"code": code}).status_code == 404
    assert session.scalar(select(User).where(User.email == NEW)) is None


def _answers(app, language: str, email: str) -> list[tuple[int, str | None, str]]:  # type: ignore[no-untyped-def]
    """Everything a stranger sees when registering ``email``: each response's status, redirect and page."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    seen = []
    response = post_form(client, "/register", _registration(email=email))
    while True:
        page = CSRF_VALUE.sub(r'\1"', response.get_data(as_text=True))
        seen.append((response.status_code, response.headers.get("Location"), page))
        if response.status_code != 302:
            return seen
        response = client.get(response.headers["Location"])


@pytest.mark.parametrize(("language", "check_your_mail"), [("en", "Check your e-mail"), ("zh-CN", "请查收电子邮件")])
def test_an_address_that_has_an_account_gets_the_same_answer_and_its_owner_an_e_mail(
    mail_app, session, mailbox, language, check_your_mail
):
    before = _counts(session)
    taken = _answers(mail_app, language, TAKEN.upper())
    new = _answers(mail_app, language, NEW)
    assert taken == new
    assert check_your_mail in new[-1][2]
    assert _counts(session) == before

    [warning] = received(mailbox, TAKEN)
    text = body(warning)
    assert "already has an account" in text and "已有账户" in text
    assert "://registry.test/login" in text
    assert "#" not in text  # no link that could create anything
    [confirmation] = received(mailbox, NEW)
    assert "/register/confirm#" in body(confirmation)


def test_a_bad_credit_code_is_refused_the_same_way_for_either_address(mail_app, mailbox):
    registration = _registration(uscc="91350100M000100Y44")
    clients = [english(mail_app.test_client()) for _ in range(2)]
    pages = []
    for client, email in zip(clients, (TAKEN, NEW), strict=True):
        response = post_form(client, "/register", {**registration, "email": email})
        assert response.status_code == 400
        pages.append(CSRF_VALUE.sub(r'\1"', response.get_data(as_text=True)).replace(email, "EMAIL"))
    assert pages[0] == pages[1]
    assert "should be 3, not 4" in pages[0]
    assert received(mailbox, TAKEN) == [] and received(mailbox, NEW) == []
