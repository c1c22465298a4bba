"""A real browser (Debian's chromium, driven by Playwright) follows e-mailed links whose one-time code is in the
fragment: the page's script posts the code, and no request the server sees carries it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.accounts.registration import register_enterprise
from registry.accounts.services import invite_member
from registry.audit.services import Actor
from registry.organisations.models import Organisation
from tests.disclosure.test_browser import _playwright, launch_chromium, serve_registry


class _PathLog:
    """WSGI middleware that keeps every requested path and query, as an access log would."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.lines: list[str] = []

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        self.lines.append(environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""))
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Session, _PathLog]]:
    logs: list[_PathLog] = []

    def logged(wsgi_app):  # type: ignore[no-untyped-def]
        logs.append(_PathLog(wsgi_app))
        return logs[0]

    with (
        serve_registry(tmp_path_factory.mktemp("accounts-browser"), wrap=logged) as (base, engine),
        Session(engine) as session,
    ):
        yield base, session, logs[0]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with _playwright()() as playwright:
        instance = launch_chromium(playwright)
        yield instance
        instance.close()


def _page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en", extra_http_headers={"Accept-Language": "en"})
    return context.new_page()


def test_an_invitation_link_opens_in_a_browser_without_its_code_reaching_the_server(server, browser):
    base, session, log = server
    inviter = session.scalar(select(User).where(User.email == "body.admin@example.com"))
    _invitation, token = invite_member(
        session,
        Actor(inviter),
        organisation=inviter.organisation,
        email="browser.verifier@example.org",
        role=Role.VERIFIER,
        valid_hours=72,
    )
    session.commit()
    page = _page(browser)
    page.goto(f"{base}/invitations#{token}")
    page.get_by_text("browser.verifier@example.org").wait_for()  # the script posted the code by itself
    assert "#" not in page.url  # and took it out of the address bar and the history
    page.fill("#name", "Browser Verifier")
    page.fill("#password", "browser password 42")
    page.fill("#confirm", "browser password 42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")
    assert session.scalar(select(User.role).where(User.email == "browser.verifier@example.org")) == Role.VERIFIER
    assert log.lines and not [line for line in log.lines if token in line]
    page.context.close()


def test_a_confirmation_link_finishes_a_registration_in_a_browser(server, browser):
    base, session, log = server
    links: list[str] = []
    register_enterprise(
        session,
        Actor.system(),
        organisation_name_zh="浏览器测试有限公司",
        organisation_name_en=None,
        uscc="91350100M000100Y43",
        name="测试人",
        email="browser.applicant@example.org",
        password="browser password 43",
        valid_hours=72,
        confirm_link=lambda token: links.append(token) or f"{base}/register/confirm#{token}",
        sign_in_link=base,
    )
    session.commit()
    [token] = links
    page = _page(browser)
    page.goto(f"{base}/register/confirm#{token}")
    assert page.input_value("#code") == token  # filled from the fragment, but only a click confirms
    assert "#" not in page.url
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")
    organisation = session.scalar(select(Organisation).where(Organisation.uscc == "91350100M000100Y43"))
    assert organisation is not None and organisation.name_zh == "浏览器测试有限公司"
    assert not [line for line in log.lines if token in line]
    page.context.close()
