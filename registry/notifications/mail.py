"""Outgoing e-mail. Messages are queued on the session by the services (``notifications.services``) and leave only
after the transaction's commit (``registry.after_commit``: a request's, a CLI command's); a rolled-back one sends
nothing.

Backends: ``log`` (the default, for tests: writes one line per message to the log and sends nothing), ``file``
(what ``make run`` uses in development: each message becomes an ``.eml`` file in ``MAIL_DIR``, so the links that
registration sends can be opened) and ``smtp`` (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
``MAIL_FROM``).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from registry.private_files import write_private_file

log = logging.getLogger("registry.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def masked(address: str) -> str:
    """``w***@example.com``: enough to tell messages apart in a log, not enough to identify the person."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def send_all(messages: list[Mail]) -> None:
    if not messages:
        return
    backend = current_app.config.get("MAIL_BACKEND", "log")
    if backend == "smtp":
        _send_smtp(messages)
    elif backend == "file":
        _write_files(messages)
    else:
        for message in messages:
            # Only the subject (an application reference) and a masked address: no personal data in logs.
            log.info("mail not sent (log backend): to=%s subject=%s", masked(message.to), message.subject)


def _send_smtp(messages: list[Mail]) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 587)), timeout=30) as smtp:
        if config.get("MAIL_USE_TLS", True):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for message in messages:
            try:
                smtp.send_message(_email(message))
            except smtplib.SMTPException:
                # The change is committed and the in-app notification exists; a lost e-mail is logged, not fatal.
                log.exception("mail to %s failed", masked(message.to))


def _email(message: Mail) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    return email


def _write_files(messages: list[Mail]) -> None:
    folder = Path(current_app.config["MAIL_DIR"])
    for message in messages:
        # Sortable by time, unique without a lock between worker processes; private, since the messages hold
        # one-time links.
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
        write_private_file(folder / name, bytes(_email(message)))
