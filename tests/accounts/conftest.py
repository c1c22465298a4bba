"""An app whose e-mails are written to a folder (the "file" backend), so tests read what a person receives."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.database import db
from tests.conftest import english, make_test_app


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def mail_app(database_url: str, upload_dir: Path, session_factory, mailbox: Path) -> Flask:  # type: ignore[no-untyped-def]
    app = make_test_app(database_url, upload_dir, MAIL_BACKEND="file", MAIL_DIR=str(mailbox))
    db.bind_sessions(app, session_factory)
    return app


@pytest.fixture
def mail_client(mail_app: Flask) -> FlaskClient:
    return english(mail_app.test_client())


def received(mailbox: Path, to: str) -> list[EmailMessage]:
    """The messages sent to ``to``, oldest first."""
    if not mailbox.exists():
        return []
    messages = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(mailbox.glob("*.eml"))]
    return [message for message in messages if message["To"] == to]  # type: ignore[misc]


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()
