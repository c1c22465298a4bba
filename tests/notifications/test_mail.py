"""E-mail leaves only after the commit, and the development backend logs no personal data."""

from __future__ import annotations

import logging

from sqlalchemy import select

from registry.applications.models import Application, ApplicationStatus
from tests.conftest import csrf_token, login_as


def test_a_committed_action_logs_its_mail_without_the_address(client, session, caplog):
    application = session.scalar(select(Application).where(Application.status == ApplicationStatus.RECOMMENDED))
    login_as(client, "decision_maker")
    url = f"/applications/{application.id}"
    token = csrf_token(client, url)
    with caplog.at_level(logging.INFO, logger="registry.mail"):
        response = client.post(
            f"{url}/decide", data={"decision-outcome": "refuse", "decision-reason": "x", "csrf_token": token}
        )
    assert response.status_code == 302
    lines = [r.getMessage() for r in caplog.records if r.name == "registry.mail"]
    assert lines and all(application.reference in line for line in lines)
    assert not any("applicant@example.com" in line for line in lines)
    assert any("a***@example.com" in line for line in lines)


def test_mail_queued_by_a_change_that_rolls_back_is_never_sent(engine):
    from sqlalchemy.orm import Session

    from registry.accounts.models import User
    from registry.notifications.services import notify, queued_mail

    with Session(engine) as own:
        user = own.scalar(select(User).where(User.email == "applicant@example.com"))
        notify(own, [user], "application:submit", application_id=None, params={"reference": "APP-000001"})
        assert [mail.to for mail in queued_mail(own)] == ["applicant@example.com"]
        own.rollback()
        assert queued_mail(own) == []


def test_the_file_backend_keeps_each_message_readable_by_the_registry_only(database_url, tmp_path):
    """Development's mail folder holds one-time links (registration, invitations): 0600 files in a 0700 folder."""
    import stat

    from registry.notifications.mail import Mail, send_all
    from tests.conftest import make_test_app

    mailbox = tmp_path / "instance" / "mail"
    app = make_test_app(database_url, MAIL_BACKEND="file", MAIL_DIR=str(mailbox))
    with app.app_context():
        send_all(
            [Mail(to="someone@example.org", subject="Confirm", body="https://registry.test/register/confirm#code")]
        )
    (message,) = mailbox.glob("*.eml")
    assert "register/confirm#code" in message.read_text()
    assert stat.S_IMODE(message.stat().st_mode) == 0o600
    assert stat.S_IMODE(mailbox.stat().st_mode) == stat.S_IMODE(mailbox.parent.stat().st_mode) == 0o700
    assert [path.name for path in mailbox.iterdir()] == [message.name]  # no temporary file left behind
