"""Complaints: received from anyone about a public label, followed by reference, triaged by the label's issuing
body or the regulator, closed with a published outcome. Every step writes its history row and audit event in the
caller's transaction; the reporter's e-mail (if given) leaves after the commit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.applications.models import DocumentKind
from registry.applications.services import documents
from registry.audit.services import Actor, record_event
from registry.complaints import references
from registry.complaints.models import (
    COMPLAINT_OUTCOME_LABELS,
    Complaint,
    ComplaintAction,
    ComplaintCategory,
    ComplaintHandler,
    ComplaintNote,
    ComplaintOutcome,
    ComplaintStatus,
    ComplaintStep,
)
from registry.complaints.permissions import (
    can_assign_complaint,
    can_handle_complaint,
    can_note_complaint,
    can_view_complaint,
)
from registry.complaints.workflow import COMPLAINTS
from registry.database import utcnow
from registry.errors import ServiceError
from registry.i18n import in_language
from registry.labels.models import Label
from registry.notifications.mail import Mail
from registry.notifications.services import queue_mail
from registry.text import refuse_bidi_controls

DESCRIPTION_MAX = 2000
SEEN_AT_MAX = 300
NAME_MAX = 100
EMAIL_MAX = 254
PHONE_MAX = 40
NOTE_MAX = 4000
OUTCOME_MAX = 4000
PHOTO_TYPES = (documents.JPEG, documents.PNG)
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")

# The link a reporter follows their case with: the view knows the address, the service the reference.
FollowUpLink = Callable[[str], str]


@dataclass(frozen=True)
class Photo:
    stream: IO[bytes]
    name: str | None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _refuse_too_long(field: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise ServiceError(_l("At most %(count)d characters.", count=limit), field=field)


def _refuse_bad_contact(email: str | None, phone: str | None) -> str | None:
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ServiceError(
                _l("Enter a valid e-mail address, like name@example.com."), field="contact_email"
            ) from None
    if phone is not None and not PHONE_PATTERN.match(phone):
        raise ServiceError(
            _l("Enter a telephone number of digits, spaces and dashes, like +86 10 1234 5678."), field="contact_phone"
        )
    return email


def report(
    session: Session,
    actor: Actor,
    label: Label,
    *,
    category: ComplaintCategory | str,
    description: str,
    seen_at: str | None = None,
    contact_name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
    photo: Photo | None = None,
    upload_dir: Path | None = None,
    max_photo_bytes: int = 5 * 2**20,
    follow_up_link: FollowUpLink,
    now: datetime | None = None,
) -> Complaint:
    """Receive a report about ``label`` from anyone (no account needed); returns the complaint, whose reference the
    reporter keeps. A reporter who gave an e-mail address gets the reference by e-mail after the commit."""
    try:
        category = ComplaintCategory(category)
    except ValueError:
        raise ServiceError(_l("Choose what is wrong with the label."), field="category") from None
    text = _text(description)
    if text is None:
        raise ServiceError(_l("Describe what you found."), field="description")
    seen_at, contact_name, contact_email, contact_phone = map(
        _text, (seen_at, contact_name, contact_email, contact_phone)
    )
    for field, value, limit in (
        ("description", text, DESCRIPTION_MAX),
        ("seen_at", seen_at, SEEN_AT_MAX),
        ("contact_name", contact_name, NAME_MAX),
        ("contact_email", contact_email, EMAIL_MAX),
        ("contact_phone", contact_phone, PHONE_MAX),
    ):
        _refuse_too_long(field, value, limit)
    refuse_bidi_controls(description=text, seen_at=seen_at, contact_name=contact_name)
    contact_email = _refuse_bad_contact(contact_email, contact_phone)
    stored = _store_photo(session, photo, upload_dir, max_photo_bytes) if photo is not None else None

    received_at = now or utcnow()
    complaint = Complaint(
        reference=references.new_reference(),
        label_id=label.id,
        body_id=label.body_id,
        category=category,
        description=text,
        seen_at=seen_at,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        photo_storage_name=stored.storage_name if stored else None,
        photo_content_type=stored.content_type if stored else None,
        photo_sha256=stored.sha256 if stored else None,
        received_at=received_at,
        status=ComplaintStatus.RECEIVED,
        handler=ComplaintHandler.BODY,
    )
    complaint.label = label
    session.add(complaint)
    session.flush()
    _step(session, actor, complaint, ComplaintAction.RECEIVE, received_at)
    # No contact details in the audit trail: the reference and what the report is about. Not filed under the body
    # either: its audit page shows each event's client address, which would point at an anonymous reporter; the
    # regulator's full trail has it.
    record_event(
        session,
        actor,
        "complaint:receive",
        subject=complaint,
        payload={"reference": complaint.reference, "label": label.certificate_number, "category": category.value},
    )
    if contact_email:
        queue_mail(session, _received_mail(complaint, contact_email, follow_up_link(complaint.reference)))
    return complaint


def _store_photo(session: Session, photo: Photo, upload_dir: Path | None, max_bytes: int) -> documents.StoredFile:
    head = photo.stream.read(documents.SNIFF_BYTES)
    if not head:
        raise ServiceError(_l("The photo is empty. Choose the file again."), field="photo")
    if documents.sniff(head) not in PHOTO_TYPES:
        raise ServiceError(
            _l("The photo must be a JPEG or PNG image (whatever its name says)."),
            field="photo",
        )
    if upload_dir is None:
        raise ValueError("a photo needs the upload folder")
    photo.stream.seek(0)
    try:
        return documents.store(
            session,
            photo.stream,
            name=photo.name,
            kind=DocumentKind.EVIDENCE,
            folder=upload_dir / "complaints",
            max_bytes=max_bytes,
        )
    except ServiceError as error:
        # documents names its own field ("file") and speaks of documents: say it of the photo.
        raise ServiceError(
            _l("The photo is larger than %(size)s. Send a smaller one.", size=documents.human_size(max_bytes)),
            field="photo",
            status=error.status,
        ) from None


def photo_size(max_bytes: int) -> str:
    """The largest photo, as the form says it (5 MB)."""
    return documents.human_size(max_bytes)


def photo_path(upload_dir: Path, complaint: Complaint) -> Path | None:
    if complaint.photo_storage_name is None:
        return None
    return documents.path_of(upload_dir / "complaints", complaint.photo_storage_name)


# --- what the public reads -----------------------------------------------------------------------------------


def find_by_reference(session: Session, typed: str) -> Complaint | None:
    """The complaint a typed reference names, or None (an unknown reference or a typo look the same)."""
    reference = references.normalise(typed[:64])
    if reference is None:
        return None
    return session.scalar(select(Complaint).where(Complaint.reference == reference))


def history(session: Session, complaint: Complaint) -> list[ComplaintStep]:
    return list(
        session.scalars(
            select(ComplaintStep).where(ComplaintStep.complaint_id == complaint.id).order_by(ComplaintStep.id)
        )
    )


@dataclass(frozen=True)
class LabelCounts:
    handled: int
    substantiated: int


def published_counts(session: Session, label: Label) -> LabelCounts:
    """How many reports about ``label`` were closed with a published outcome, and how many of them were upheld."""
    rows = session.execute(
        select(Complaint.outcome, func.count())
        .where(Complaint.label_id == label.id, Complaint.status == ComplaintStatus.CLOSED)
        .group_by(Complaint.outcome)
    ).all()
    counts: dict[ComplaintOutcome | None, int] = {row[0]: row[1] for row in rows}
    return LabelCounts(sum(counts.values()), counts.get(ComplaintOutcome.SUBSTANTIATED, 0))


# --- triage --------------------------------------------------------------------------------------------------


def list_complaints(session: Session, user: User, *, status: ComplaintStatus | None = None) -> list[Complaint]:
    """The complaints this person handles: every one for the regulator, its labels' for a body; open ones first."""
    query = select(Complaint).order_by((Complaint.status == ComplaintStatus.CLOSED), Complaint.id.desc())
    if user.role is Role.BODY_ADMIN:
        query = query.where(Complaint.body_id == user.organisation_id)
    elif user.role is not Role.REGULATOR:
        return []
    if status is not None:
        query = query.where(Complaint.status == status)
    return list(session.scalars(query.limit(500)))


def count_open(session: Session, user: User) -> int:
    query = select(func.count()).select_from(Complaint).where(Complaint.status != ComplaintStatus.CLOSED)
    if user.role is Role.BODY_ADMIN:
        query = query.where(Complaint.body_id == user.organisation_id)
    elif user.role is not Role.REGULATOR:
        return 0
    return session.scalar(query) or 0


def notes(session: Session, complaint: Complaint) -> list[ComplaintNote]:
    return list(
        session.scalars(
            select(ComplaintNote).where(ComplaintNote.complaint_id == complaint.id).order_by(ComplaintNote.id)
        )
    )


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise ServiceError(_l("This complaint is closed or not yours to handle."), status=403)


def _locked(session: Session, complaint: Complaint) -> Complaint:
    """The complaint re-read under a row lock (PostgreSQL; SQLite writers hold the database), so of two handlers
    acting at once the second sees what the first did."""
    # The row alone (the label's eager joins cannot be locked on PostgreSQL's nullable side), then read afresh.
    session.execute(select(Complaint.id).where(Complaint.id == complaint.id).with_for_update())
    session.refresh(complaint)
    return complaint


def start_review(session: Session, actor: Actor, complaint: Complaint, *, now: datetime | None = None) -> Complaint:
    complaint = _locked(session, complaint)
    _refuse_unless(can_handle_complaint(actor.user, complaint))
    rule = COMPLAINTS.rule(ComplaintAction.REVIEW)
    if complaint.status not in rule.sources:
        raise ServiceError(_l("The review of this complaint has already started."), status=409)
    complaint.status = rule.target
    _step(session, actor, complaint, ComplaintAction.REVIEW, now or utcnow())
    _audit(session, actor, complaint, "complaint:review")
    return complaint


def assign(
    session: Session,
    actor: Actor,
    complaint: Complaint,
    handler: ComplaintHandler | str,
    *,
    now: datetime | None = None,
) -> Complaint:
    complaint = _locked(session, complaint)
    _refuse_unless(can_assign_complaint(actor.user, complaint))
    try:
        handler = ComplaintHandler(handler)
    except ValueError:
        raise ServiceError(_l("Choose who handles the complaint."), field="handler") from None
    if handler is complaint.handler:
        raise ServiceError(_l("The complaint is already assigned so."), field="handler")
    complaint.handler = handler
    _step(session, actor, complaint, ComplaintAction.ASSIGN, now or utcnow())
    _audit(session, actor, complaint, "complaint:assign", handler=handler.value)
    return complaint


def add_note(
    session: Session, actor: Actor, complaint: Complaint, text: str, *, now: datetime | None = None
) -> ComplaintNote:
    _refuse_unless(can_note_complaint(actor.user, complaint))
    assert actor.user is not None
    note_text = _text(text)
    if note_text is None:
        raise ServiceError(_l("Write the note."), field="text")
    _refuse_too_long("text", note_text, NOTE_MAX)
    refuse_bidi_controls(text=note_text)
    note = ComplaintNote(complaint_id=complaint.id, at=now or utcnow(), author_id=actor.user.id, text=note_text)
    session.add(note)
    _audit(session, actor, complaint, "complaint:note")  # not the note itself: it stays with the complaint
    return note


def close(
    session: Session,
    actor: Actor,
    complaint: Complaint,
    *,
    outcome: ComplaintOutcome | str,
    outcome_text: str,
    follow_up_link: FollowUpLink,
    now: datetime | None = None,
) -> Complaint:
    """Close the complaint and publish its outcome (the words anyone with the reference reads); the reporter, if
    they left an e-mail address, is told."""
    complaint = _locked(session, complaint)
    _refuse_unless(can_handle_complaint(actor.user, complaint))
    try:
        outcome = ComplaintOutcome(outcome)
    except ValueError:
        raise ServiceError(_l("Choose the outcome."), field="outcome") from None
    words = _text(outcome_text)
    if words is None:
        raise ServiceError(_l("Write the outcome the reporter and the public will read."), field="outcome_text")
    _refuse_too_long("outcome_text", words, OUTCOME_MAX)
    refuse_bidi_controls(outcome_text=words)
    at = now or utcnow()
    complaint.status = COMPLAINTS.rule(ComplaintAction.CLOSE).target  # from any open status (can_handle checked it)
    complaint.outcome = outcome
    complaint.outcome_text = words
    complaint.outcome_published_at = at
    _step(session, actor, complaint, ComplaintAction.CLOSE, at)
    _audit(session, actor, complaint, "complaint:close", outcome=outcome.value)
    if complaint.contact_email:
        queue_mail(session, _outcome_mail(complaint, complaint.contact_email, follow_up_link(complaint.reference)))
    return complaint


def _step(session: Session, actor: Actor, complaint: Complaint, action: ComplaintAction, at: datetime) -> None:
    session.add(
        ComplaintStep(
            complaint_id=complaint.id,
            at=at,
            action=action,
            status=complaint.status,
            handler=complaint.handler,
            actor_id=actor.user.id if actor.user is not None else None,
        )
    )


def _audit(session: Session, actor: Actor, complaint: Complaint, tag: str, **payload: Any) -> None:
    # The body's audit trail shows what happened to its labels' complaints, whoever acted.
    record_event(
        session,
        actor,
        tag,
        subject=complaint,
        organisation_id=complaint.body_id,
        payload={"reference": complaint.reference, "status": complaint.status.value, **payload},
    )


def viewable(user: User | None, complaint: Complaint | None) -> Complaint | None:
    """The complaint if ``user`` may open it in the queue, else None (the view answers 404)."""
    return complaint if complaint is not None and can_view_complaint(user, complaint) else None


# --- the reporter's e-mails, in Chinese then English -------------------------------------------------------------

_RECEIVED_SUBJECT = _l("Your report %(reference)s about label %(label)s")
_RECEIVED_BODY = _l(
    "Thank you: the carbon footprint label registry received your report about label %(label)s.\n\n"
    "Your reference number is %(reference)s. Follow the case, and read its outcome once it is published, at:\n\n"
    "%(link)s\n\nYour contact details are kept confidential and are only used to ask you about this report."
)
_OUTCOME_SUBJECT = _l("The outcome of your report %(reference)s")
_OUTCOME_BODY = _l(
    "The outcome of your report %(reference)s about label %(label)s has been published.\n\n"
    "Outcome: %(outcome)s\n\n%(text)s\n\nThe case, with its history: %(link)s"
)


def _bilingual(to: str, subject: Any, body: Any, params: dict[str, Any]) -> Mail:
    subjects, bodies = [], []
    for locale in ("zh_CN", "en"):
        with in_language(locale):
            values = {key: str(value) for key, value in params.items()}
            subjects.append(str(subject) % values)
            bodies.append(str(body) % values)
    return Mail(to=to, subject=" / ".join(subjects), body="\n\n----\n\n".join(bodies) + "\n")


def _received_mail(complaint: Complaint, to: str, link: str) -> Mail:
    params = {"reference": complaint.reference, "label": complaint.label.certificate_number, "link": link}
    return _bilingual(to, _RECEIVED_SUBJECT, _RECEIVED_BODY, params)


def _outcome_mail(complaint: Complaint, to: str, link: str) -> Mail:
    assert complaint.outcome is not None
    params = {
        "reference": complaint.reference,
        "label": complaint.label.certificate_number,
        "outcome": COMPLAINT_OUTCOME_LABELS[complaint.outcome],  # a lazy name: read in each language of the mail
        "text": complaint.outcome_text,
        "link": link,
    }
    return _bilingual(to, _OUTCOME_SUBJECT, _OUTCOME_BODY, params)
