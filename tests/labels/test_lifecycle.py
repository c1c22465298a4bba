"""The label lifecycle (registry.labels.lifecycle): what may move a label, who may, what each move leaves behind
(history, audit event, notifications, status-list bits, what the public reads), the CLI, expiry and supersession."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationStatus, Outcome
from registry.applications.services import decisions
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.demo.applications import Team
from registry.errors import ServiceError
from registry.labels import lifecycle
from registry.labels.lifecycle import LIFECYCLE, REASONS, change_status, china_today
from registry.labels.models import Label, LabelAction, LabelCapacity, LabelReason, LabelStatus, LabelTransition
from registry.notifications.models import Notification
from registry.verifier import format as fmt
from tests.conftest import csrf_token, english, post_form, sign_in

A, S = LabelAction, LabelStatus
WORDS = "Footprint data of the 2025 period found inconsistent with the meter readings."


def actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Actor(user)


@pytest.fixture
def label(session: Session) -> Label:
    """The demo's first label: HTDEMO's, held by applicant@example.com's enterprise."""
    found = session.scalars(select(Label).order_by(Label.id)).first()
    assert found is not None and found.status is S.VALID
    return found


@pytest.fixture
def body(session):
    return actor(session, "body.admin@example.com")


@pytest.fixture
def regulator(session):
    return actor(session, "regulator@example.com")


@pytest.fixture
def holder(session):
    return actor(session, "applicant@example.com")


def move(session, label, action, who, **kwargs):
    defaults = {"reason_code": REASONS[action][0], "public_reason": WORDS}
    if action is A.SUSPEND:
        defaults["resolve_by"] = china_today() + timedelta(days=30)
    return change_status(session, label, action, who, **{**defaults, **kwargs})


def refusal(session, *args, **kwargs) -> ServiceError:
    savepoint = session.begin_nested()
    with pytest.raises(ServiceError) as caught:
        move(session, *args, **kwargs)
    savepoint.rollback()
    return caught.value


def bits(client, label) -> tuple[bool, bool]:
    """The label's (revocation, suspension) bits, read from the published lists."""
    out = []
    for purpose in ("revocation", "suspension"):
        token = client.get(f"/status/{purpose}/{label.status_list}").get_data(as_text=True)
        credential = json.loads(fmt.b64url_decode(token.split(".")[1]))
        raw = gzip.decompress(fmt.b64url_decode(credential["credentialSubject"]["encodedList"][1:]))
        out.append(bool(raw[label.status_index // 8] & (0x80 >> (label.status_index % 8))))
    return out[0], out[1]


# --- the table ---------------------------------------------------------------------------------------------------


def test_final_statuses_are_the_ones_the_issue_names():
    assert LIFECYCLE.final == {S.WITHDRAWN, S.CANCELLED, S.EXPIRED, S.SUPERSEDED}
    assert LIFECYCLE.initial is S.VALID
    assert {LIFECYCLE.rule(a).target for a in A} == set(S) - {S.VALID} | {S.VALID}


def test_every_action_names_its_reasons():
    assert set(REASONS) == set(A)
    assert all(REASONS[a] for a in A)


@pytest.mark.parametrize("action", [A.SUSPEND, A.RESTORE, A.WITHDRAW, A.CANCEL])
@pytest.mark.parametrize("status", list(S))
def test_each_action_moves_a_label_only_from_its_sources(session, label, body, regulator, holder, action, status):
    if status is not S.VALID:
        session.execute(text("UPDATE labels SET status = :s WHERE id = :id"), {"s": status.value, "id": label.id}) if (
            S.VALID,
            status,
        ) in LIFECYCLE.allowed_pairs else pytest.skip("not reachable from valid in one step")
        session.refresh(label)
    who = holder if action is A.CANCEL else regulator
    if status in LIFECYCLE.rule(action).sources:
        row = move(session, label, action, who)
        assert label.status is LIFECYCLE.rule(action).target and row.from_status is status
    else:
        assert refusal(session, label, action, who).status == 409
        assert label.status is status


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [A.SUSPEND, A.WITHDRAW])
@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("body.admin@example.com", True),
        ("regulator@example.com", True),
        ("applicant@example.com", False),
        ("verifier@example.com", False),
        ("decision@example.com", False),
        ("admin@example.com", False),
        ("applicant.pv@example.com", False),
    ],
)
def test_the_regulator_and_the_issuing_body_suspend_and_withdraw_and_nobody_else(
    session, label, action, email, allowed
):
    who = actor(session, email)
    before = session.scalar(select(func.count()).select_from(LabelTransition))
    if allowed:
        move(session, label, action, who)
        assert label.status is LIFECYCLE.rule(action).target
    else:
        assert refusal(session, label, action, who).status == 403
        assert label.status is S.VALID
        assert session.scalar(select(func.count()).select_from(LabelTransition)) == before


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("applicant@example.com", True),
        ("body.admin@example.com", True),
        ("regulator@example.com", False),
        ("applicant.pv@example.com", False),
        ("verifier@example.com", False),
    ],
)
def test_the_holder_cancels_its_label_and_its_body_may_on_its_request(session, label, email, allowed):
    who = actor(session, email)
    if allowed:
        move(session, label, A.CANCEL, who, reason_code="holder_request", public_reason="Product line closed.")
        assert label.status is S.CANCELLED
    else:
        assert refusal(session, label, A.CANCEL, who).status == 403


def test_nobody_takes_the_registrys_own_steps(session, label, regulator, body):
    for action in (A.EXPIRE, A.SUPERSEDE):
        assert refusal(session, label, action, regulator).status == 403
        assert refusal(session, label, action, body).status == 403


def test_an_inactive_account_cannot_act(session, label, body):
    body.user.is_active_account = False
    assert refusal(session, label, A.SUSPEND, body).status == 403


def test_only_a_regulator_restores_what_a_regulator_suspended(session, label, body, regulator):
    move(session, label, A.SUSPEND, regulator, reason_code="false_data")
    error = refusal(session, label, A.RESTORE, body, reason_code="resolved")
    assert error.status == 403 and "regulator" in str(error.message)
    move(session, label, A.RESTORE, regulator, reason_code="resolved", public_reason="Data corrected and re-verified.")
    assert label.status is S.VALID


def test_the_body_restores_its_own_suspension(session, label, body):
    move(session, label, A.SUSPEND, body)
    move(session, label, A.RESTORE, body, reason_code="resolved", public_reason="Corrective action verified on site.")
    assert label.status is S.VALID


# --- reasons, dates, evidence --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason_code": "holder_request"}, "reason_code"),  # a code of another action
        ({"reason_code": "made_up"}, "reason_code"),
        ({"reason_code": None}, "reason_code"),
        ({"public_reason": "   "}, "public_reason"),
        ({"public_reason": None}, "public_reason"),
        ({"public_reason": "x" * 2001}, "public_reason"),
        ({"public_reason": "Fake\u202ereason"}, "public_reason"),
        ({"resolve_by": None}, "resolve_by"),
        ({"resolve_by": china_today() - timedelta(days=400)}, "resolve_by"),
        ({"resolve_by": china_today()}, "resolve_by"),
        ({"resolve_by": china_today() + timedelta(days=181)}, "resolve_by"),
        ({"evidence": ["not-a-hash"]}, "evidence"),
    ],
)
def test_a_suspension_without_proper_reasons_is_refused_and_writes_nothing(session, label, body, kwargs, field):
    before = session.scalar(select(func.count()).select_from(LabelTransition))
    error = refusal(session, label, A.SUSPEND, body, **kwargs)
    assert error.status == 400 and error.field == field
    assert label.status is S.VALID
    assert session.scalar(select(func.count()).select_from(LabelTransition)) == before


def test_a_change_leaves_its_history_row_audit_event_and_notifications(session, label, body):
    evidence = hashlib.sha256(b"meter readings 2025").hexdigest()
    resolve_by = china_today() + timedelta(days=20)
    events = session.scalar(select(func.count()).where(AuditEvent.tag == "label:suspend"))
    row = move(
        session, label, A.SUSPEND, body, reason_code="nonconformity", evidence=[evidence.upper()], resolve_by=resolve_by
    )
    session.flush()
    assert (row.from_status, row.to_status, row.capacity, row.reason_code) == (
        S.VALID,
        S.SUSPENDED,
        LabelCapacity.BODY,
        LabelReason.NONCONFORMITY,
    )
    assert row.actor_id == body.user.id and row.actor_role == "body_admin"
    assert row.public_reason == WORDS and row.resolve_by == resolve_by and row.evidence == [evidence]
    assert label.status_changed_at == row.at
    assert session.scalar(select(func.count()).where(AuditEvent.tag == "label:suspend")) == events + 1
    told = set(session.scalars(select(Notification.user_id).where(Notification.event == "label:suspend")))
    holders = set(
        session.scalars(select(User.id).where(User.organisation_id == label.holder_id, User.role == "applicant"))
    )
    assert holders and holders <= told and body.user.id not in told
    assert [t.action for t in lifecycle.history(session, label)] == ["issue", "suspend"]


def test_the_history_is_append_only_in_the_database(session, label, body):
    move(session, label, A.SUSPEND, body)
    session.flush()
    for statement in ("UPDATE label_transitions SET public_reason = 'rewritten'", "DELETE FROM label_transitions"):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        savepoint.rollback()


# --- the database guard --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_the_database_allows_exactly_the_tables_pairs(session, label, source, target):
    if source == target:
        return
    path = [] if source is S.VALID else [source]
    savepoint = session.begin_nested()
    try:
        for step in path:
            session.execute(text("UPDATE labels SET status = :s WHERE id = :id"), {"s": step.value, "id": label.id})
    except DBAPIError:
        savepoint.rollback()
        pytest.skip(f"{source} is not reachable from valid in one step")
    attempt = session.begin_nested()
    try:
        session.execute(text("UPDATE labels SET status = :s WHERE id = :id"), {"s": target.value, "id": label.id})
        allowed = True
    except DBAPIError as error:
        assert "lifecycle" in str(error)
        allowed = False
    attempt.rollback()
    savepoint.rollback()
    assert allowed == ((source, target) in LIFECYCLE.allowed_pairs)


def test_a_label_cannot_be_inserted_in_another_status_than_valid(session, label):
    columns = [c.name for c in Label.__table__.columns if c.name not in ("id", "status")]
    copy = ", ".join(columns)
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="labels start as valid"):
        session.execute(
            text(f"INSERT INTO labels ({copy}, status) SELECT {copy}, 'suspended' FROM labels WHERE id = :id"),
            {"id": label.id},
        )
    savepoint.rollback()


# --- what readers see --------------------------------------------------------------------------------------------


def test_every_reader_sees_a_suspension_then_a_withdrawal(client, session, label, regulator):
    assert bits(client, label) == (False, False)
    move(session, label, A.SUSPEND, regulator, reason_code="spot_check_failed")
    session.flush()
    assert bits(client, label) == (False, True)
    assert client.get(f"/l/{label.public_id}/status").get_json()["status"] == "suspended"
    assert client.get(f"/l/{label.public_id}.json").get_json()["status"] == "suspended"
    move(session, label, A.WITHDRAW, regulator, reason_code="false_data")
    session.flush()
    assert bits(client, label) == (True, False)
    scanned = label.qr_url(client.application.config["PUBLIC_HOST"])
    verdict = client.post("/api/v1/verify", json={"url": scanned}).get_json()
    assert (verdict["verdict"], verdict["record_status"]) == ("revoked", "withdrawn"), verdict


# --- the registry's own steps --------------------------------------------------------------------------------------


def _backdate(session, label, valid_until: date) -> None:
    session.execute(
        text("UPDATE labels SET valid_from = :f, valid_until = :u WHERE id = :id"),
        {"f": valid_until - timedelta(days=365), "u": valid_until, "id": label.id},
    )
    session.refresh(label)


def test_expiry_takes_labels_past_their_last_day_in_china_and_no_others(session, label):
    today = china_today()
    _backdate(session, label, today - timedelta(days=1))
    live = session.scalar(select(func.count()).where(Label.status == S.VALID, Label.valid_until >= today))
    expired = lifecycle.expire_due(session, Actor.system())
    assert expired == [label] and label.status is S.EXPIRED
    row = lifecycle.history(session, label)[-1]
    assert (row.action, row.capacity, row.reason_code, row.actor_id) == (
        "expire",
        LabelCapacity.SYSTEM,
        LabelReason.VALIDITY_ENDED,
        None,
    )
    assert session.scalar(select(func.count()).where(Label.status == S.VALID)) == live
    assert lifecycle.expire_due(session, Actor.system()) == []  # nothing left to do: it can run as often as wanted


def test_a_label_on_its_last_day_has_not_expired(session, label):
    _backdate(session, label, china_today())
    assert lifecycle.expire_due(session, Actor.system()) == []
    # … and once that day has passed in China, it has: a moved clock, not a fixed date.
    tomorrow = lifecycle.utcnow() + timedelta(days=1)
    assert lifecycle.expire_due(session, Actor.system(), tomorrow) == [label]


def test_a_suspended_label_expires_too(session, label, body):
    move(session, label, A.SUSPEND, body)
    _backdate(session, label, china_today() - timedelta(days=3))
    assert lifecycle.expire_due(session, Actor.system()) == [label]


def _appealed_for_a_labelled_product(session: Session) -> tuple[Application, Label]:
    old = session.scalar(
        select(Label)
        .join(Application, Application.product_id == Label.product_id)
        .where(Application.status == ApplicationStatus.APPEALED, Label.status == S.VALID)
    )
    assert old is not None, "the demo has an appealed file for a product with a label"
    appealed = session.scalar(
        select(Application).where(
            Application.product_id == old.product_id, Application.status == ApplicationStatus.APPEALED
        )
    )
    return appealed, old


def test_a_grant_on_appeal_supersedes_the_products_label_under_the_scheme(session):
    appealed, old = _appealed_for_a_labelled_product(session)
    team = Team.demo(session)
    new = decisions.decide_application(
        session,
        team.appeal_decider,
        appealed,
        outcome=Outcome.GRANT,
        reasons="The supplier data covers the period.",
        on_appeal=True,
    )
    session.flush()
    assert new is not None and new.status is S.VALID
    assert old.status is S.SUPERSEDED and old.superseded_by_id == new.id
    row = lifecycle.history(session, old)[-1]
    assert (row.action, row.capacity, row.successor_id) == ("supersede", LabelCapacity.SYSTEM, new.id)
    assert row.actor_id == team.appeal_decider.user.id  # who set it going
    live = session.scalar(
        select(func.count()).where(Label.product_id == old.product_id, Label.status.in_((S.VALID, S.SUSPENDED)))
    )
    assert live == 1


# --- the command line ----------------------------------------------------------------------------------------------


def test_the_cli_suspends_restores_and_withdraws_by_certificate_number(runner, session, label, caplog):
    caplog.set_level(logging.INFO, logger="registry.mail")
    number = label.certificate_number
    until = (china_today() + timedelta(days=30)).isoformat()
    result = runner.invoke(
        args=[
            "labels",
            "suspend",
            number,
            "--reason-code",
            "nonconformity",
            "--reason",
            WORDS,
            "--actor",
            "regulator@example.com",
            "--resolve-by",
            until,
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "suspended"
    result = runner.invoke(
        args=[
            "labels",
            "restore",
            number,
            "--reason-code",
            "resolved",
            "--reason",
            "Corrected.",
            "--actor",
            "regulator@example.com",
        ]
    )
    assert (result.exit_code, result.output.strip()) == (0, "valid")
    result = runner.invoke(
        args=[
            "labels",
            "withdraw",
            number.lower(),
            "--reason-code",
            "false_data",
            "--reason",
            WORDS,
            "--actor",
            "body.admin@example.com",
        ]
    )
    assert (result.exit_code, result.output.strip()) == (0, "withdrawn")
    session.expire_all()
    assert [t.action for t in lifecycle.history(session, label)] == ["issue", "suspend", "restore", "withdraw"]
    # The holder's e-mail leaves after the command's commit, in both languages like every other.
    subjects = [r.getMessage() for r in caplog.records if r.name == "registry.mail" and number in r.getMessage()]
    assert any("was withdrawn" in line and "撤销" in line for line in subjects), subjects


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            [
                "CFP-NOPE-2026-000001",
                "--reason-code",
                "holder_request",
                "--reason",
                "x",
                "--actor",
                "applicant@example.com",
            ],
            "No label",
        ),
        (
            ["{number}", "--reason-code", "holder_request", "--reason", "x", "--actor", "nobody@example.com"],
            "No active account",
        ),
        (
            ["{number}", "--reason-code", "false_data", "--reason", "x", "--actor", "applicant@example.com"],
            "reason code",
        ),
        (["{number}", "--reason-code", "holder_request", "--reason", "x", "--actor", "applicant.pv@example.com"], ""),
    ],
)
def test_the_cli_says_why_it_refuses_and_writes_nothing(runner, session, label, args, says):
    before = session.scalar(select(func.count()).select_from(LabelTransition))
    result = runner.invoke(args=["labels", "cancel", *[a.format(number=label.certificate_number) for a in args]])
    assert result.exit_code == 1
    assert says in result.output
    if says == "reason code":
        chinese = runner.invoke(
            args=["labels", "cancel", *[a.format(number=label.certificate_number) for a in args], "--lang", "zh_CN"]
        )
        assert chinese.exit_code == 1 and "原因代码" in chinese.output and "注销" in chinese.output
        assert "“Cancel”" in result.output  # the action named in the language the refusal is in
    session.expire_all()
    assert label.status is S.VALID
    assert session.scalar(select(func.count()).select_from(LabelTransition)) == before


def test_the_cli_expires_what_is_due(runner, session, label):
    _backdate(session, label, china_today() - timedelta(days=2))
    session.flush()
    result = runner.invoke(args=["labels", "expire"])
    assert result.exit_code == 0, result.output
    assert f"{label.certificate_number} expired" in result.output
    session.expire_all()
    assert label.status is S.EXPIRED


# --- the pages -----------------------------------------------------------------------------------------------------


def _form_post(client, label, action, data):
    return post_form(
        client,
        f"/labels/{label.public_id}/{action}",
        {f"{action}-{k}": v for k, v in data.items()},
        form_url=f"/labels/{label.public_id}",
    )


def test_a_regulator_suspends_by_order_from_the_labels_page_and_everyone_sees_the_history(client, session, label):
    sign_in(client, "regulator@example.com")
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    # The regulator's way is the order (registry.supervision), with its legal basis and decision document; the
    # generic form does not offer suspension or withdrawal to a regulator, and refuses them if posted anyway.
    assert f"/supervision/labels/{label.public_id}/order" in page
    assert f'action="/labels/{label.public_id}/suspend"' not in page
    until = (china_today() + timedelta(days=14)).isoformat()
    response = _form_post(
        client, label, "suspend", {"reason_code": "spot_check_failed", "public_reason": WORDS, "resolve_by": until}
    )
    assert response.status_code == 403
    order_url = f"/supervision/labels/{label.public_id}/order"
    token = csrf_token(client, order_url)
    response = client.post(
        f"{order_url}/suspend",
        data={
            "csrf_token": token,
            "suspend-legal_basis": "Art. 56",
            "suspend-decision_number": "No. 3",
            "suspend-document": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "decision.pdf"),
            "suspend-reason_code": "spot_check_failed",
            "suspend-public_reason": WORDS,
            "suspend-resolve_by": until,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert label.status is S.SUSPENDED
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    assert "Failed a spot check" in page and WORDS in page and until in page
    # Restoring is still the form's.
    assert f'action="/labels/{label.public_id}/restore"' in page


def test_a_refused_change_keeps_what_was_typed_and_says_why(client, session, label):
    sign_in(client, "body.admin@example.com")
    response = _form_post(
        client, label, "suspend", {"reason_code": "nonconformity", "public_reason": WORDS, "resolve_by": ""}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the date by which the suspension is to be resolved." in page and WORDS in page
    session.expire_all()
    assert label.status is S.VALID


def test_the_holder_is_offered_only_cancellation_and_others_nothing(app, client, session, label):
    sign_in(client, "applicant@example.com")
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    assert f"/labels/{label.public_id}/cancel" in page and f"/labels/{label.public_id}/suspend" not in page
    client = english(app.test_client())
    sign_in(client, "verifier@example.com")
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    assert "/cancel" not in page and "/suspend" not in page
    # … and a form posted anyway is refused.
    assert client.post(f"/labels/{label.public_id}/suspend", data={}).status_code in (400, 403)
    session.expire_all()
    assert label.status is S.VALID


def test_another_enterprise_cannot_even_see_the_labels_record(client, label):
    sign_in(client, "applicant.pv@example.com")
    assert client.get(f"/labels/{label.public_id}").status_code == 404
    assert client.post(f"/labels/{label.public_id}/cancel", data={}).status_code in (400, 404)


def test_notices_list_each_change_newest_first_with_a_feed(client, session, label, regulator, body):
    assert "No label has been suspended" in client.get("/notices").get_data(as_text=True)
    move(session, label, A.SUSPEND, body, reason_code="nonconformity")
    move(session, label, A.WITHDRAW, regulator, reason_code="false_data", public_reason="Data were invented.")
    with client.application.app_context():
        session.commit()  # the commit starts a new page-cache generation: the page read before is not served again
    page = client.get("/notices").get_data(as_text=True)
    assert page.index("Data were invented.") < page.index(WORDS)  # newest first
    assert label.certificate_number in page and f"/l/{label.public_id}" in page
    feed = client.get("/notices.atom")
    assert feed.content_type.startswith("application/atom+xml") and feed.headers["Access-Control-Allow-Origin"] == "*"
    root = ET.fromstring(feed.get_data())
    atom = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(f"{atom}entry")
    assert len(entries) == 2 and "Data were invented." in entries[0].find(f"{atom}summary").text
    host = client.application.config["PUBLIC_HOST"]
    assert entries[0].find(f"{atom}link").get("href") == f"https://{host}/l/{label.public_id}"


def test_the_public_label_page_says_why_and_shows_the_history(client, session, label, regulator):
    move(session, label, A.SUSPEND, regulator, reason_code="spot_check_failed")
    with client.application.app_context():
        session.commit()
    page = client.get(f"/l/{label.public_id}").get_data(as_text=True)
    banner = page[page.index("status-banner") : page.index("</div>", page.index("status-banner"))]
    assert "Failed a spot check" in banner and WORDS in banner and "Market regulator" in banner
    history = page[page.index("History of this label") : page.index("Labels of this product")]
    assert history.index("Issue") < history.index("Suspend")
    # The regulator's name is not on the public page: the capacity is.
    assert regulator.user.name not in page
