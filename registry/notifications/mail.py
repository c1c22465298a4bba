"""Outgoing e-mail. Messages are queued on the session by the services and leave only after the request's
commit (``registry.edge.commit``); a rolled-back request sends nothing.

Backends: ``log`` (the default, for development and tests: writes one line per message to the log and sends
nothing) and ``smtp`` (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
``MAIL_FROM``).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

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
            email = EmailMessage()
            email["From"] = config["MAIL_FROM"]
            email["To"] = message.to
            email["Subject"] = message.subject
            email.set_content(message.body)
            try:
                smtp.send_message(email)
            except smtplib.SMTPException:
                # The change is committed and the in-app notification exists; a lost e-mail is logged, not fatal.
                log.exception("mail to %s failed", masked(message.to))
