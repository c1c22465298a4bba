"""Reporting a label without an account, following the case by its reference, and its triage by the label's body
and the regulator, up to the published outcome (both engines)."""

from __future__ import annotations

import io
import os
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.complaints.models import Complaint, ComplaintNote, ComplaintStatus, ComplaintStep
from registry.complaints.workflow import COMPLAINTS
from registry.database import db
from registry.labels.models import Label
from tests.conftest import csrf_token, english, login_as, make_test_app, post_form, sign_in

REPORTER = "reporter@example.net"
DESCRIPTION = "The box in the shop says 12.5 kg but the label shows the model number of another product."


def received(mailbox: Path, to: str) -> list[EmailMessage]:
    if not mailbox.exists():
        return []
    messages = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(mailbox.glob("*.eml"))]
    return [message for message in messages if message["To"] == to]  # type: ignore[misc]


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def _report(client, label: Label, **fields):  # type: ignore[no-untyped-def]
    data = {
        "category": "wrong_product",
        "description": DESCRIPTION,
        "seen_at": "Carrefour, Shanghai Gubei",
        "contact_name": "Reporter Person",
        "contact_email": REPORTER,
        "contact_phone": "+86 138 0013 8000",
        **fields,
    }
    url = f"/l/{label.public_id}/report"
    token = csrf_token(client, url)
    return client.post(url, data={**data, "csrf_token": token}, content_type="multipart/form-data")


def _reference(page: str) -> str:
    match = re.search(r"<code data-reference>(TS-[0-9A-Z]{13})</code>", page)
    assert match, page
    return match.group(1)


def _complaint(session: Session, reference: str) -> Complaint:
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference))
    assert complaint is not None
    session.refresh(complaint)
    return complaint


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_label_page_offers_the_report_form(client, label):
    page = client.get(f"/l/{label.public_id}").get_data(as_text=True)
    assert f'href="/l/{label.public_id}/report"' in page
    assert "Report this label" in page
    form = client.get(f"/l/{label.public_id}/report")
    assert form.status_code == 200
    assert "kept confidential" in form.get_data(as_text=True).lower() or "Kept confidential" in form.get_data(
        as_text=True
    )
    assert client.get("/l/doesnotexistatall00/report").status_code == 404


def test_anyone_reports_a_label_and_follows_it_by_reference_without_seeing_the_contact(client, session, label, mailbox):
    answer = _report(client, label)
    assert answer.status_code == 201
    page = answer.get_data(as_text=True)
    reference = _reference(page)
    assert f"/complaints/{reference}" in page
    assert "no-store" in answer.headers["Cache-Control"]

    complaint = _complaint(session, reference)
    assert complaint.label_id == label.id and complaint.status is ComplaintStatus.RECEIVED
    assert complaint.contact_email == REPORTER and complaint.body_id == label.body_id
    [step] = session.scalars(select(ComplaintStep).where(ComplaintStep.complaint_id == complaint.id))
    assert step.status is ComplaintStatus.RECEIVED and step.actor_id is None
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.tag == "complaint:receive").order_by(AuditEvent.id.desc())
    )
    assert event is not None and event.payload["reference"] == reference
    assert REPORTER not in str(event.payload) and "Reporter Person" not in str(event.payload)
    assert event.organisation_id is None  # not on the body's audit page, which shows the reporter's address

    # The reporter's e-mail carries the reference and the link, in Chinese and English.
    [mail] = received(mailbox, REPORTER)
    assert reference in mail["Subject"]
    text_of_mail = body_of(mail)
    assert f"/complaints/{reference}" in text_of_mail
    assert "Your reference number is" in text_of_mail and "您的受理编号" in text_of_mail

    # The public follow-up page: anyone with the reference, signed out.
    stranger = english(client.application.test_client())
    follow = stranger.get(f"/complaints/{reference}")
    assert follow.status_code == 200
    public = follow.get_data(as_text=True)
    assert label.certificate_number in public and "Received" in public
    for secret in (REPORTER, "Reporter Person", "138 0013", "Carrefour", DESCRIPTION):
        assert secret not in public


def test_a_reference_is_looked_up_as_typed_and_an_unknown_one_says_only_that(client, session, label):
    reference = _reference(_report(client, label).get_data(as_text=True))
    body = reference[3:]
    typed = client.get("/complaints", query_string={"reference": f" ts {body[:4]} {body[4:].lower()} "})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/complaints/{reference}")
    assert client.get(f"/complaints/{reference.lower()}").status_code == 302

    wrong = ("0" if body[0] != "0" else "1") + body[1:]  # one character mistyped: the check character catches it
    for unknown in (f"TS-{wrong}", "TS-0000000000000", "nothing"):
        response = client.get(f"/complaints/{unknown}")
        assert response.status_code == 404
        assert "This reference number is not known" in response.get_data(as_text=True)
    chinese = client.get("/complaints/TS-0000000000000", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 404 and "受理编号" in chinese.get_data(as_text=True)
    assert client.get("/complaints").status_code == 200
    in_chinese = client.get(f"/complaints/{reference}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "已受理" in in_chinese and "举报此标识" not in in_chinese


def test_the_body_and_the_regulator_triage_another_body_sees_nothing(app, client, session, label, mailbox):
    reference = _reference(_report(client, label).get_data(as_text=True))
    complaint = _complaint(session, reference)
    detail = f"/complaints/manage/{complaint.id}"

    body2 = english(app.test_client())
    sign_in(body2, "body2.admin@example.com")  # the administrator of another certification body
    assert reference not in body2.get("/complaints/manage").get_data(as_text=True)
    assert body2.get(detail).status_code == 404
    assert post_form(body2, f"{detail}/review", {}, form_url="/complaints/manage").status_code == 404

    verifier = login_as(english(app.test_client()), "verifier")
    assert verifier.get("/complaints/manage").status_code == 403

    regulator = login_as(english(app.test_client()), "regulator")
    assert reference in regulator.get("/complaints/manage").get_data(as_text=True)
    assert regulator.get(detail).status_code == 200

    body = login_as(english(app.test_client()), "body_admin")
    dashboard = body.get("/dashboard/").get_data(as_text=True)
    assert "Complaints about your labels" in dashboard and "1 open" in dashboard
    queue = body.get("/complaints/manage").get_data(as_text=True)
    assert reference in queue
    page = body.get(detail).get_data(as_text=True)
    assert REPORTER in page and "Reporter Person" in page and DESCRIPTION in page  # the contact: here only

    assert post_form(body, f"{detail}/review", {}, form_url=detail).status_code == 302
    assert "Under review" in client.get(f"/complaints/{reference}").get_data(as_text=True)

    note = "Called the shop; they confirm the box was relabelled by a distributor."
    assert post_form(body, f"{detail}/note", {"note-text": note}, form_url=detail).status_code == 302
    assert note in body.get(detail).get_data(as_text=True)
    assert note in regulator.get(detail).get_data(as_text=True)
    assert note not in client.get(f"/complaints/{reference}").get_data(as_text=True)

    outcome_text = "The label was found on a product it was not issued for. The label is suspended pending a check."
    closed = post_form(
        body, f"{detail}/close", {"close-outcome": "substantiated", "close-outcome_text": outcome_text}, form_url=detail
    )
    assert closed.status_code == 302
    after = body.get(detail).get_data(as_text=True)
    assert f'href="/labels/{label.public_id}#change-heading"' in after  # the next step: the label's record page

    public = client.get(f"/complaints/{reference}").get_data(as_text=True)
    assert "Closed: Substantiated" in public and outcome_text in public
    assert public.count("<li><time") == 3  # received, under review, closed: dates and status only
    assert note not in public and REPORTER not in public

    complaint = _complaint(session, reference)
    assert complaint.status is ComplaintStatus.CLOSED and complaint.outcome_published_at is not None
    tags = set(
        session.scalars(
            select(AuditEvent.tag).where(
                AuditEvent.subject_type == "complaints", AuditEvent.subject_id == str(complaint.id)
            )
        )
    )
    assert tags == {"complaint:receive", "complaint:review", "complaint:note", "complaint:close"}
    assert note not in str(list(session.scalars(select(AuditEvent.payload).where(AuditEvent.tag == "complaint:note"))))

    # The reporter is told of the published outcome.
    receipt, outcome_mail = received(mailbox, REPORTER)
    assert "Your reference number is" in body_of(receipt)
    assert reference in outcome_mail["Subject"]
    assert outcome_text in body_of(outcome_mail) and "Substantiated" in body_of(outcome_mail)

    # The label's public page counts it once the outcome is published.
    label_page = english(app.test_client()).get(f"/l/{label.public_id}").get_data(as_text=True)
    assert "1 report about this label handled, 1 substantiated." in label_page

    # A closed complaint takes no more steps.
    assert post_form(body, f"{detail}/review", {}, form_url=detail).status_code == 403


def test_a_complaint_handed_to_the_regulator_is_the_regulator_s_to_close(app, client, session, label):
    reference = _reference(_report(client, label, contact_email="").get_data(as_text=True))
    complaint = _complaint(session, reference)
    detail = f"/complaints/manage/{complaint.id}"
    body = login_as(english(app.test_client()), "body_admin")
    assert post_form(body, f"{detail}/assign", {"assign-handler": "regulator"}, form_url=detail).status_code == 302
    refused = post_form(
        body, f"{detail}/close", {"close-outcome": "not_substantiated", "close-outcome_text": "No."}, form_url=detail
    )
    assert refused.status_code == 403
    assert _complaint(session, reference).status is ComplaintStatus.RECEIVED

    regulator = login_as(english(app.test_client()), "regulator")
    closed = post_form(
        regulator,
        f"{detail}/close",
        {"close-outcome": "not_substantiated", "close-outcome_text": "The product matches its record."},
        form_url=detail,
    )
    assert closed.status_code == 302
    complaint = _complaint(session, reference)
    assert complaint.status is ComplaintStatus.CLOSED and complaint.handler.value == "regulator"
    steps = list(session.scalars(select(ComplaintStep.action).where(ComplaintStep.complaint_id == complaint.id)))
    assert [step.value for step in steps] == ["receive", "assign", "close"]


def test_closing_needs_the_outcome_in_words(app, client, session, label):
    reference = _reference(_report(client, label).get_data(as_text=True))
    complaint = _complaint(session, reference)
    detail = f"/complaints/manage/{complaint.id}"
    regulator = login_as(english(app.test_client()), "regulator")
    answer = post_form(
        regulator, f"{detail}/close", {"close-outcome": "substantiated", "close-outcome_text": "  "}, form_url=detail
    )
    assert answer.status_code == 400
    assert "Write the outcome the reporter and the public will read." in answer.get_data(as_text=True)
    assert _complaint(session, reference).status is ComplaintStatus.RECEIVED


@pytest.mark.parametrize(
    ("fields", "message", "chinese"),
    [
        ({"description": "   "}, "Describe what you found.", "请描述您发现的问题。"),
        ({"description": "x" * 2001}, "At most 2000 characters.", "最多 2000 个字符。"),
        ({"contact_email": "not-an-address"}, "Enter a valid e-mail address", "请输入有效的电子邮箱"),
        ({"contact_phone": "call me maybe"}, "Enter a telephone number", "请输入电话号码"),
        ({"category": "nonsense"}, "Not a valid choice", None),
        ({"description": "fine \u202e text"}, "direction", None),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    client, session, label, upload_dir, fields, message, chinese
):
    before = (_count(session, Complaint), _count(session, ComplaintStep), _count(session, AuditEvent))
    answer = _report(client, label, **fields)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert (_count(session, Complaint), _count(session, ComplaintStep), _count(session, AuditEvent)) == before
    if chinese:
        zh = english(client.application.test_client())
        zh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
        assert chinese in _report(zh, label, **fields).get_data(as_text=True)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_a_photo_is_kept_privately_and_only_handlers_download_it(app, client, session, label, upload_dir):
    folder = upload_dir / "complaints"
    before = set(_files(folder))
    answer = _report(client, label, photo=(io.BytesIO(_png()), "shelf.jpg"))
    assert answer.status_code == 201
    complaint = _complaint(session, _reference(answer.get_data(as_text=True)))
    assert complaint.photo_content_type == "image/png"
    [stored] = set(_files(folder)) - before
    assert stored.stat().st_mode & 0o777 == 0o600
    photo_url = f"/complaints/manage/{complaint.id}/photo"
    assert photo_url not in client.get(f"/complaints/{complaint.reference}").get_data(as_text=True)
    assert english(app.test_client()).get(photo_url).status_code == 302  # to sign in
    body = login_as(english(app.test_client()), "body_admin")
    download = body.get(photo_url)
    assert download.status_code == 200 and download.data == _png()
    assert download.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", b"just some text pretending to be a photo", b""],
)
def test_a_photo_that_is_not_a_jpeg_or_png_is_refused_and_nothing_kept(client, session, label, upload_dir, content):
    folder = upload_dir / "complaints"
    before = (set(_files(folder)), _count(session, Complaint))
    answer = _report(client, label, photo=(io.BytesIO(content), "photo.jpg"))
    assert answer.status_code == 400
    expected = "The photo is empty" if content == b"" else "The photo must be a JPEG or PNG image"
    assert expected in answer.get_data(as_text=True)
    assert (set(_files(folder)), _count(session, Complaint)) == before


def test_a_photo_too_large_is_refused_and_nothing_kept(database_url, upload_dir, session_factory, session, label):
    app = make_test_app(database_url, upload_dir, COMPLAINT_PHOTO_MAX_BYTES=10_000)
    db.bind_sessions(app, session_factory)
    client = english(app.test_client())
    folder = upload_dir / "complaints"
    before = (set(_files(folder)), _count(session, Complaint))
    big = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(big, "PNG")  # noise does not compress
    assert big.tell() > 10_000
    assert "JPEG or PNG, at most 9 KB." in client.get(f"/l/{label.public_id}/report").get_data(as_text=True)
    answer = _report(client, label, photo=(io.BytesIO(big.getvalue()), "big.png"))
    assert answer.status_code == 413
    assert "The photo is larger than" in answer.get_data(as_text=True)
    assert (set(_files(folder)), _count(session, Complaint)) == before


def test_reports_and_lookups_are_rate_limited_per_client(database_url, upload_dir, session_factory, session, label):
    app = make_test_app(
        database_url,
        upload_dir,
        COMPLAINT_LIMIT_PER_ADDRESS="2 per hour",
        COMPLAINT_LOOKUP_LIMIT_PER_ADDRESS="3 per minute",
    )
    db.bind_sessions(app, session_factory)
    client = english(app.test_client())
    statuses = [_report(client, label).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    count = _count(session, Complaint)
    blocked = _report(client, label)
    assert blocked.status_code == 429
    assert "Too many reports were sent from your connection" in blocked.get_data(as_text=True)
    assert _count(session, Complaint) == count
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    zh = _report(chinese, label)
    assert zh.status_code == 429 and "提交的举报过多" in zh.get_data(as_text=True)
    # Another client is not held back by this one's reports.
    other = english(app.test_client())
    other.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert _report(other, label).status_code == 201

    lookups = [client.get("/complaints/TS-0000000000000").status_code for _ in range(4)]
    assert lookups == [404, 404, 404, 429]
    assert "Too many references were looked up" in client.get("/complaints/TS-0000000000000").get_data(as_text=True)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("complaint_steps", "status", "'closed'"), ("complaint_notes", "text", "'rewritten'")],
)
def test_the_history_and_the_notes_cannot_be_rewritten(client, session, label, table, column, value):
    """As tests/test_database.py does for the other append-only tables: every way of rewriting or removing a row is
    refused by the database, and the row stays as it was."""
    reference = _reference(_report(client, label).get_data(as_text=True))
    complaint = _complaint(session, reference)
    author = session.scalar(select(User.id).where(User.email == "body.admin@example.com"))
    session.add(ComplaintNote(complaint_id=complaint.id, at=complaint.received_at, author_id=author, text="internal"))
    session.flush()
    connection = session.connection()
    first = connection.execute(text(f"SELECT * FROM {table} WHERE complaint_id = :id"), {"id": complaint.id}).one()
    columns = ", ".join(first._fields)
    rewritten = (
        f"SELECT {', '.join(f'{value} AS {name}' if name == column else name for name in first._fields)} "
        f"FROM {table} WHERE id = :id"
    )
    statements = [
        f"INSERT INTO {table} ({columns}) {rewritten} ON CONFLICT (id) DO UPDATE SET {column} = {value}",
        f"UPDATE {table} SET {column} = {value} WHERE id = :id",
        f"DELETE FROM {table} WHERE id = :id",
    ]
    if connection.dialect.name == "sqlite":
        statements += [
            f"INSERT OR REPLACE INTO {table} ({columns}) {rewritten}",
            f"REPLACE INTO {table} ({columns}) {rewritten}",
            f"UPDATE OR REPLACE {table} SET {column} = {value} WHERE id = :id",
        ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": first.id})
    assert connection.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": first.id}).one() == first


def test_the_database_allows_exactly_the_status_changes_of_the_table(client, session, label):
    """The guard migration 0009 generates from ``workflow.COMPLAINTS``: every (from, to) pair is tried with raw
    SQL; those the table allows go through, every other is refused, and a complaint cannot be inserted closed."""
    reference = _reference(_report(client, label).get_data(as_text=True))
    complaint = _complaint(session, reference)
    change = text(
        "UPDATE complaints SET status = :s, outcome = CASE WHEN CAST(:s AS VARCHAR(32)) = 'closed' THEN 'overtaken' END,"
        " outcome_text = 'x', outcome_published_at = received_at WHERE id = :id"
    )
    # How to bring the row to each status along steps the table allows.
    paths = {
        ComplaintStatus.RECEIVED: [],
        ComplaintStatus.UNDER_REVIEW: ["under_review"],
        ComplaintStatus.CLOSED: ["closed"],
    }
    for source in ComplaintStatus:
        for target in ComplaintStatus:
            if source == target:
                continue
            with session.begin_nested() as outer:
                for status in paths[source]:
                    session.execute(change, {"s": status, "id": complaint.id})
                if (source, target) in COMPLAINTS.allowed_pairs:
                    session.execute(change, {"s": target.value, "id": complaint.id})
                else:
                    with pytest.raises(DBAPIError, match="complaint status change not allowed"), session.begin_nested():
                        session.execute(change, {"s": target.value, "id": complaint.id})
                outer.rollback()
    assert COMPLAINTS.allowed_pairs == {
        (ComplaintStatus.RECEIVED, ComplaintStatus.UNDER_REVIEW),
        (ComplaintStatus.RECEIVED, ComplaintStatus.CLOSED),
        (ComplaintStatus.UNDER_REVIEW, ComplaintStatus.CLOSED),
    }
    with pytest.raises(DBAPIError, match="complaints start as received"), session.begin_nested():
        session.execute(
            text(
                "INSERT INTO complaints (reference, label_id, body_id, category, description, received_at, status,"
                " handler, outcome, outcome_text, outcome_published_at) SELECT 'TS-AAAAAAAAAAAAA', label_id, body_id,"
                " category, description, received_at, 'closed', handler, 'overtaken', 'x', received_at"
                " FROM complaints WHERE id = :id"
            ),
            {"id": complaint.id},
        )
