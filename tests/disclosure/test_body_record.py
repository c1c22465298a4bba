"""A certification body's public page shows its real record (issue 13 item 11): what the test does through the
workflow, the label lifecycle and the spot checks is what the page counts."""

from __future__ import annotations

import re
import statistics
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationStatus, Capacity, Decision, Outcome
from registry.applications.services import decisions
from registry.audit.services import Actor
from registry.demo.applications import Team, drive_to
from registry.inspections.services import DrawFilter, make_draw, record_result
from registry.labels.lifecycle import change_status, china_today
from registry.labels.models import LabelAction
from registry.organisations.models import Organisation
from tests.conftest import english, sign_in
from tests.inspections.conftest import application_for, granted_label

RECORD = re.compile(r'data-record="(\w+)">([^<]*)<')
REFUSAL_WORDS = "The supplier data does not cover the data period."


def record(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = client.get("/bodies/HTDEMO")
    assert page.status_code == 200
    return dict(RECORD.findall(page.get_data(as_text=True)))


def as_int(values: dict[str, str]) -> dict[str, int]:
    return {k: int(v) for k, v in values.items() if k != "median_days"}


def test_the_body_page_counts_what_the_body_and_the_regulators_did(app, client, session, upload_dir):
    team = Team.demo(session)
    regulator = Actor(session.scalar(select(User).where(User.email == "regulator@example.com")))
    # Signed in, a reader gets the page as it is now (signed-in pages are never served from the page cache).
    sign_in(client, "applicant.pv@example.com")
    before = as_int(record(client))

    first = granted_label(session, team, "LN-PT-18V4Ah", upload_dir)
    second = granted_label(session, team, "LN-EB-48V20Ah", upload_dir)
    resolve_by = china_today() + timedelta(days=20)
    words = {"public_reason": "Footprint data inconsistent with meter readings.", "resolve_by": resolve_by}
    change_status(session, first, LabelAction.SUSPEND, team.admin, reason_code="nonconformity", **words)
    change_status(
        session, first, LabelAction.WITHDRAW, team.admin, reason_code="nonconformity", public_reason="Not corrected."
    )
    change_status(session, second, LabelAction.SUSPEND, regulator, reason_code="misuse", **words)
    change_status(
        session, second, LabelAction.WITHDRAW, regulator, reason_code="misuse", public_reason="Misuse went on."
    )

    refused = application_for(session, team, "LN-HS-10kWh", upload_dir, footprint="73.0")
    drive_to(session, team, refused, ApplicationStatus.REFUSED_FINAL)
    appealed = drive_to(
        session, team, application_for(session, team, "LN-TC-48V100Ah", upload_dir), ApplicationStatus.APPEALED
    )
    decisions.decide_application(
        session,
        team.appeal_decider,
        appealed,
        outcome=Outcome.GRANT,
        reasons="The supplier data was confirmed.",
        on_appeal=True,
    )

    inspectors = [regulator.user.id]  # type: ignore[union-attr]
    made = make_draw(session, regulator, DrawFilter(body="HTDEMO"), 3, inspectors)
    record_result(
        session, regulator, made.items[0], outcome="fail", findings="Grade on the pack differs from the certificate."
    )
    record_result(session, regulator, made.items[1], outcome="pass", findings="Consistent with the certificate.")

    # Every first decision of the body's files, submitted a known number of days before it was made.
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    assert body is not None
    firsts = session.execute(
        select(Application, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .where(Application.body_id == body.id, Decision.capacity == Capacity.DECIDER)
        .order_by(Application.id)
    ).all()
    days = []
    for n, (application, decision) in enumerate(firsts):
        days.append(Decimal(3 * n + 1))
        application.submitted_at = decision.decided_at - timedelta(days=3 * n + 1)
    session.commit()

    after = record(client)
    assert as_int(after) == {
        **before,
        "labels_issued": before["labels_issued"] + 3,  # two granted, one granted on appeal
        "suspensions": before["suspensions"] + 2,
        "withdrawals": before["withdrawals"] + 2,
        "refusals": before["refusals"] + 1,
        "appeals_upheld": before["appeals_upheld"] + 1,
        "spot_check_failures": before["spot_check_failures"] + 1,
    }
    assert after["median_days"] == f"{statistics.median(days):.1f}".rstrip("0").rstrip(".") + " days"
    page = client.get("/bodies/HTDEMO").get_data(as_text=True)
    assert "1 by the body, 1 by regulator order" in page
    assert f"over {len(firsts)} decisions" in page
    assert f"to {china_today().isoformat()} (China time)" in page
    assert REFUSAL_WORDS not in page  # a decision's reasons stay in the file

    # Signed out and in Chinese: the same record, in Chinese.
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    text = chinese.get("/bodies/HTDEMO").get_data(as_text=True)
    assert "履职记录" in text and "抽查不合格" in text
    assert dict(RECORD.findall(text))["spot_check_failures"] == after["spot_check_failures"]
    assert english(app.test_client()).get("/bodies/HTDEMO").status_code == 200
