"""Telling people about what happened: an in-app notification per person, and an e-mail after the commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.after_commit import after_commit, discard, pending
from registry.database import utcnow
from registry.i18n import in_language
from registry.notifications.mail import Mail, log, send_all
from registry.notifications.models import Notification

# The tag of e-mail among the work waiting for the commit (registry.after_commit).
MAIL = "mail"

# What each event says, with %(reference)s for the application's reference.
MESSAGES: dict[str, Any] = {
    "application:submit": _l("Application %(reference)s was submitted for review."),
    "application:return": _l("Application %(reference)s was returned to the applicant for changes."),
    "application:reject": _l("Application %(reference)s was rejected."),
    "application:accept": _l("Application %(reference)s was accepted for certification."),
    "application:plan": _l("Verifiers were assigned to application %(reference)s."),
    "application:assigned": _l(
        "You were assigned to evaluate application %(reference)s. Sign your conflict-of-interest declaration first."
    ),
    "application:conflict": _l(
        "A verifier declared a conflict of interest on application %(reference)s. Assign someone else."
    ),
    "application:start": _l("Evaluation of application %(reference)s has started."),
    "application:issue_findings": _l("Findings were raised on application %(reference)s. Answer each one."),
    "application:answer_findings": _l("The applicant answered the findings on application %(reference)s."),
    "application:recommend": _l("Application %(reference)s has a verifier's recommendation and awaits a decision."),
    "application:grant": _l("Application %(reference)s was granted; a label was issued."),
    "application:refuse": _l("Application %(reference)s was refused."),
    "application:appeal": _l("The refusal of application %(reference)s was appealed."),
    "application:grant_on_appeal": _l("On appeal, application %(reference)s was granted; a label was issued."),
    "application:refuse_on_appeal": _l(
        "On appeal, the refusal of application %(reference)s was confirmed. This is final."
    ),
    "application:withdraw": _l("Application %(reference)s was withdrawn by the applicant."),
    "label:suspend": _l(
        "Label %(reference)s was suspended. It shows as suspended to everyone until it is restored or withdrawn."
    ),
    "label:restore": _l("Label %(reference)s was restored and is valid again."),
    "label:withdraw": _l("Label %(reference)s was withdrawn. This is final: it shows as withdrawn to everyone."),
    "label:cancel": _l("Label %(reference)s was cancelled. This is final."),
    "label:expire": _l("Label %(reference)s has expired: its period of validity ended."),
    "label:supersede": _l("Label %(reference)s was superseded by a newer label for the same product."),
    "surveillance:assigned": _l(
        "You were assigned the surveillance of label %(reference)s, due on %(due_on)s. Declare any conflict of interest before you evaluate."
    ),
    "surveillance:overdue": _l(
        "The surveillance of label %(reference)s was due on %(due_on)s and is overdue. Assign a verifier and evaluate it."
    ),
    "surveillance:maintain": _l(
        "The surveillance of label %(reference)s found it conforming: the label is maintained. Next surveillance: %(next)s."
    ),
    "label:key_revoked": _l(
        "The certification body's signing key %(reference)s was revoked: %(count)d of your labels no longer verify until the body re-issues them."
    ),
    "label:key_revoked_body": _l(
        "Your signing key %(reference)s was revoked: %(count)d labels it signed no longer verify. Re-issue them from the labels list."
    ),
    "supervision:withdrawal_demand": _l(
        "%(enterprise)s was put on the dishonest-entity list: withdraw its label %(reference)s (reason: dishonest listing) by %(due)s."
    ),
    "supervision:listed": _l(
        "%(enterprise)s was put on the dishonest-entity list (decision %(number)s): until it is removed from the list it cannot submit applications for labels, and the certification bodies must withdraw its labels. The list is public on the registry's site."
    ),
    "supervision:unlisted": _l(
        "%(enterprise)s was removed from the dishonest-entity list (credit repair): it may apply for labels again."
    ),
    "supervision:withdrawal_overdue": _l(
        "The withdrawal of label %(reference)s was due by %(due)s and is overdue; the regulator sees it flagged."
    ),
}


def message_for(notification: Notification) -> str:
    template = MESSAGES.get(notification.event)
    return str(template) % notification.params if template is not None else notification.event


def notify(
    session: Session, users: Iterable[User], event_tag: str, *, application_id: int | None, params: dict[str, Any]
) -> int:
    """Write a notification for each person (once each) and queue their e-mail for after the commit."""
    outbox: list[Mail] = []
    seen: set[int] = set()
    for user in users:
        if user.id in seen or not user.is_active_account:
            continue
        seen.add(user.id)
        session.add(Notification(user_id=user.id, event=event_tag, application_id=application_id, params=params))
        outbox.append(
            Mail(to=user.email, subject=_bilingual(event_tag, params, short=True), body=_bilingual(event_tag, params))
        )
    if outbox:
        after_commit(session, SendMail(tuple(outbox)), tag=MAIL)
    return len(seen)


def _bilingual(event_tag: str, params: dict[str, Any], *, short: bool = False) -> str:
    template = MESSAGES[event_tag]
    texts = []
    for locale in ("zh_CN", "en"):
        with in_language(locale):
            texts.append(str(template) % params)
    if short:
        return f"[{params.get('reference', '')}] " + " / ".join(texts)
    return "\n\n".join(texts) + "\n"


def queue_mail(session: Session, mail: Mail) -> None:
    """Queue one e-mail (not tied to a notification) to leave after the commit, like ``notify``'s."""
    after_commit(session, SendMail((mail,)), tag=MAIL)


@dataclass(frozen=True, eq=False)
class SendMail:
    """E-mail waiting for the commit: sent by it (registry.after_commit), forgotten by a rollback."""

    messages: tuple[Mail, ...]

    def __call__(self) -> None:
        if not has_app_context():
            # A session used outside the application (a script) has no mail configuration to send with.
            log.warning("%d e-mail(s) not sent: committed outside the application", len(self.messages))
            return
        send_all(list(self.messages))


def queued_mail(session: Session) -> list[Mail]:
    """The e-mail waiting for the session's commit, in order."""
    return [mail for send in pending(session, MAIL) if isinstance(send, SendMail) for mail in send.messages]


def drop_queued_mail(session: Session) -> None:
    """Send none of the e-mail queued so far, even if the transaction commits (the demo data's fictional people)."""
    discard(session, MAIL)


def list_notifications(session: Session, user: User, *, limit: int = 50) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)
    return list(session.scalars(query))


def count_unread(session: Session, user: User) -> int:
    query = select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    return session.scalar(query) or 0


def mark_all_read(session: Session, user: User) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
