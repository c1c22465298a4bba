"""Complaints: an app whose e-mail is written to a folder, so tests read what a reporter receives, and a label to
report, issued by the demo body whose administrator is body.admin@example.com."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.database import db
from registry.labels.models import Label, LabelStatus
from tests.conftest import english, make_test_app


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def app(database_url: str, upload_dir: Path, session_factory, mailbox: Path, tmp_path: Path) -> Flask:  # type: ignore[no-untyped-def]
    app = make_test_app(
        database_url, upload_dir, MAIL_BACKEND="file", MAIL_DIR=str(mailbox), ARTWORK_DIR=str(tmp_path / "artwork")
    )
    db.bind_sessions(app, session_factory)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return english(app.test_client())


@pytest.fixture
def label(session: Session) -> Label:
    admin = session.scalar(select(User).where(User.email == "body.admin@example.com"))
    assert admin is not None
    found = session.scalar(
        select(Label)
        .where(Label.body_id == admin.organisation_id, Label.status == LabelStatus.VALID)
        .order_by(Label.id)
    )
    assert found is not None, "the demo data has no valid label of the demo body"
    return found
