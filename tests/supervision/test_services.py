"""The regulator's operations (registry.supervision.services): orders recorded as the regulator's with the decision
document's hash, the dishonest-entity list barring submission until credit repair, the withdrawal demands due in
five of China's working days, met by the body's withdrawal and flagged once when overdue."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.applications.services import applicant as applications
from registry.audit.models import AuditEvent
from registry.audit.services import Actor
from registry.database import utcnow
from registry.errors import ServiceError
from registry.labels import lifecycle
from registry.labels.lifecycle import CHINA, china_today
from registry.labels.models import Label, LabelAction, LabelCapacity, LabelReason, LabelStatus, LabelTransition
from registry.notifications.models import Notification
from registry.organisations.models import BarredOrganisation, Organisation
from registry.supervision import services
from registry.supervision.models import (
    DemandStatus,
    DishonestListEvent,
    DueCalendar,
    ListAction,
    OrderAction,
    SupervisionOrder,
    WithdrawalDemand,
)
from registry.supervision.workdays import add_working_days
from tests.applications.test_workflow import submit_refusal

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REASON = "Fabricated the footprint data of three products (administrative penalty decision)."


def actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Actor(user)


@pytest.fixture
def regulator(session):
    return actor(session, "regulator@example.com")


@pytest.fixture
def body_admin(session):
    return actor(session, "body.admin@example.com")


@pytest.fixture
def label(session: Session) -> Label:
    found = session.scalars(select(Label).order_by(Label.id)).first()
    assert found is not None and found.status is LabelStatus.VALID
    return found


def pdf(tmp_path, data: bytes = PDF_BYTES) -> services.Upload:
    return services.Upload(stream=io.BytesIO(data), name="决定书.pdf", folder=tmp_path, max_bytes=2**20)


def china_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=CHINA).astimezone(UTC)


def list_holder(session, regulator, label, tmp_path=None, *, now=None, **kwargs):
    enterprise = session.get(Organisation, label.holder_id)
    arguments = {
        "reason": REASON,
        "decision_number": "京市监信〔2026〕17号",
        "listed_from": None,
        "listed_until": None,
        "document": pdf(tmp_path) if tmp_path is not None else None,
        "now": now,
    }
    return services.list_enterprise(session, regulator, enterprise, **{**arguments, **kwargs})


def refusal(session, call, *args, **kwargs) -> ServiceError:
    savepoint = session.begin_nested()
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    savepoint.rollback()
    return caught.value


# --- working days ----------------------------------------------------------------------------------------------------


def test_five_working_days_skip_china_s_holidays_and_count_its_adjusted_working_days():
    # 2026's National Day holiday is 1–7 October; Saturday 10 October is a working day in its place.
    assert add_working_days(date(2026, 9, 30), 5) == (date(2026, 10, 13), DueCalendar.CHINA)
    # An ordinary week: Monday → the next Monday.
    assert add_working_days(date(2026, 6, 1), 5) == (date(2026, 6, 8), DueCalendar.CHINA)


def test_a_year_the_calendar_does_not_know_falls_back_to_monday_to_friday():
    far = date(2099, 6, 1)  # a Monday, in a year no holiday arrangement exists for
    assert far.weekday() == 0
    assert add_working_days(far, 5) == (far + timedelta(days=7), DueCalendar.WEEKDAYS)


# --- the list ---------------------------------------------------------------------------------------------------------


def test_listing_bars_submission_and_removal_lets_the_enterprise_submit_again(
    session, team, fresh, regulator, tmp_path
):
    enterprise = session.get(Organisation, fresh.applicant_id)
    listing = services.list_enterprise(
        session,
        regulator,
        enterprise,
        reason=REASON,
        decision_number="京市监信〔2026〕17号",
        listed_from=None,
        listed_until=None,
        document=pdf(tmp_path),
    )
    assert listing.document_sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert submit_refusal(session, team, fresh) == (
        "Your organisation is on the dishonest-entity list (decision 京市监信〔2026〕17号), so it cannot submit "
        "applications until a regulator removes it from the list (credit repair)."
    )
    # Listed twice is refused.
    again = {"reason": REASON, "decision_number": "2", "listed_from": None, "listed_until": None}
    assert refusal(session, services.list_enterprise, session, regulator, enterprise, **again).status == 409

    services.remove_listing(session, regulator, listing, reason="Credit repaired: penalty paid and data corrected.")
    session.expire_all()
    applications.submit_application(session, team.applicant, fresh)
    assert fresh.status.value == "submitted"
    events = session.scalars(
        select(DishonestListEvent).where(DishonestListEvent.listing_id == listing.id).order_by(DishonestListEvent.id)
    ).all()
    assert [e.action for e in events] == [ListAction.LISTED, ListAction.REMOVED]
    tags = session.scalars(select(AuditEvent.tag).where(AuditEvent.tag.like("supervision:%"))).all()
    assert tags.count("supervision:list") == 1 and tags.count("supervision:unlist") == 1
    # Removed once is removed: a second removal is refused.
    assert refusal(session, services.remove_listing, session, regulator, listing, reason="again").status == 409


def test_listing_needs_its_reason_and_decision_number_and_an_enterprise(session, regulator, label, tmp_path):
    assert refusal(session, list_holder, session, regulator, label, reason="  ").field == "reason"
    assert refusal(session, list_holder, session, regulator, label, decision_number="").field == "decision_number"
    tomorrow = china_today() + timedelta(days=1)
    assert refusal(session, list_holder, session, regulator, label, listed_from=tomorrow).field == "listed_from"
    certification_body = session.get(Organisation, label.body_id)
    error = refusal(
        session,
        services.list_enterprise,
        session,
        regulator,
        certification_body,
        reason=REASON,
        decision_number="1",
        listed_from=None,
        listed_until=None,
    )
    assert error.field == "uscc"
    not_a_pdf = pdf(tmp_path, b"a,b\n1,2\n")
    assert refusal(session, list_holder, session, regulator, label, document=not_a_pdf).field == "document"
    assert not session.scalar(
        select(func.count())
        .select_from(BarredOrganisation)
        .where(BarredOrganisation.organisation_id == label.holder_id)
    )


@pytest.mark.parametrize("email", ["body.admin@example.com", "applicant@example.com", "admin@example.com"])
def test_only_a_regulator_lists_removes_and_orders(session, label, email, tmp_path):
    someone = actor(session, email)
    assert refusal(session, list_holder, session, someone, label).status == 403
    error = refusal(
        session,
        services.order,
        session,
        someone,
        label,
        OrderAction.WITHDRAW,
        legal_basis="Art. 1",
        decision_number="1",
        reason_code="false_data",
        public_reason="False data.",
        resolve_by=None,
        document=pdf(tmp_path),
    )
    assert error.status == 403
    assert label.status is LabelStatus.VALID


# --- the withdrawal demands -------------------------------------------------------------------------------------------


def live_labels_of(session, holder_id):
    return session.scalars(
        select(Label).where(Label.holder_id == holder_id, Label.status.in_(services.LIVE)).order_by(Label.id)
    ).all()


def test_a_listing_demands_each_live_label_withdrawn_within_five_working_days(session, regulator, label):
    now = china_noon(date(2026, 9, 30))  # the day before the National Day holiday
    listing = list_holder(session, regulator, label, now=now)
    demands = session.scalars(select(WithdrawalDemand).where(WithdrawalDemand.listing_id == listing.id)).all()
    live = live_labels_of(session, label.holder_id)
    assert live and sorted(d.label_id for d in demands) == [lb.id for lb in live]
    expected, calendar = add_working_days(date(2026, 9, 30), 5)
    assert expected == date(2026, 10, 13)
    assert {(d.due_on, d.calendar, d.status) for d in demands} == {(expected, calendar, DemandStatus.OPEN)}
    # Each body's administrators are told, with the due date.
    told = session.scalars(select(Notification).where(Notification.event == "supervision:withdrawal_demand")).all()
    admins = {
        u.id
        for u in session.scalars(select(User).where(User.organisation_id == label.body_id, User.role == "body_admin"))
    }
    assert admins and admins <= {n.user_id for n in told}
    assert all(n.params["due"] == "2026-10-13" for n in told)


def test_overdue_demands_are_flagged_once_and_a_withdrawal_meets_them(session, regulator, body_admin, label):
    now = utcnow()
    listing = list_holder(session, regulator, label, now=now)
    demand = session.scalar(
        select(WithdrawalDemand).where(WithdrawalDemand.listing_id == listing.id, WithdrawalDemand.label_id == label.id)
    )
    assert demand is not None
    # On the due day itself nothing is overdue.
    on_due_day = china_noon(demand.due_on)
    assert services.flag_overdue_withdrawals(session, Actor.system(), on_due_day) == []
    after = china_noon(demand.due_on + timedelta(days=1))
    flagged = services.flag_overdue_withdrawals(session, Actor.system(), after)
    assert demand in flagged and demand.status is DemandStatus.OVERDUE and demand.overdue_at == after
    assert services.flag_overdue_withdrawals(session, Actor.system(), after + timedelta(days=3)) == []
    count = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.tag == "supervision:withdrawal_overdue", AuditEvent.subject_id == str(label.id))
    )
    assert count == 1
    assert demand in services.open_demands(session, body_id=label.body_id)

    step = lifecycle.change_status(
        session,
        label,
        LabelAction.WITHDRAW,
        body_admin,
        reason_code=LabelReason.DISHONEST_LISTING,
        public_reason="Holder listed as a seriously dishonest entity.",
    )
    assert demand.status is DemandStatus.MET and demand.closed_by_id == step.id
    assert demand not in services.open_demands(session)


def test_removal_lifts_the_demands_still_open(session, regulator, label):
    listing = list_holder(session, regulator, label)
    services.remove_listing(session, regulator, listing, reason="Credit repaired.")
    statuses = session.scalars(select(WithdrawalDemand.status).where(WithdrawalDemand.listing_id == listing.id)).all()
    assert statuses and set(statuses) == {DemandStatus.LIFTED}


def test_the_enterprise_is_told_of_its_listing_and_of_its_removal(session, regulator, label):
    members = session.scalars(select(User).where(User.organisation_id == label.holder_id)).all()
    assert members

    def told(event: str) -> set[int]:
        rows = session.scalars(select(Notification).where(Notification.event == event)).all()
        return {row.user_id for row in rows}

    listing = list_holder(session, regulator, label)
    assert told("supervision:listed") == {member.id for member in members}
    services.remove_listing(session, regulator, listing, reason="Credit repaired.")
    assert told("supervision:unlisted") == {member.id for member in members}


# --- orders -----------------------------------------------------------------------------------------------------------


def test_an_order_is_carried_out_at_once_and_recorded_as_the_regulator_s(session, regulator, label, tmp_path):
    row = services.order(
        session,
        regulator,
        label,
        OrderAction.SUSPEND,
        legal_basis="《认证认可条例》第五十六条",
        decision_number="国市监认〔2026〕3号",
        reason_code="spot_check_failed",
        public_reason="Failed the regulator's spot check of 2026.",
        resolve_by=china_today() + timedelta(days=30),
        document=pdf(tmp_path),
    )
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    assert label.status is LabelStatus.SUSPENDED
    step = session.get(LabelTransition, row.transition_id)
    assert step is not None and step.capacity is LabelCapacity.REGULATOR and step.evidence == [digest]
    assert row.document_sha256 == digest and row.decision_number == "国市监认〔2026〕3号"
    assert (tmp_path / row.document_storage[:2] / row.document_storage).read_bytes() == PDF_BYTES
    event = session.scalar(select(AuditEvent).where(AuditEvent.tag == "supervision:order_suspend"))
    assert event is not None and event.payload["document_sha256"] == digest
    # A body cannot restore what a regulator suspended.
    error = refusal(
        session,
        lifecycle.change_status,
        session,
        label,
        LabelAction.RESTORE,
        actor(session, "body.admin@example.com"),
        reason_code="resolved",
        public_reason="Fixed.",
    )
    assert error.status == 403


def test_an_order_needs_its_legal_basis_decision_number_and_document(session, regulator, label, tmp_path):
    def attempt(**kwargs):
        arguments = {
            "legal_basis": "Art. 56",
            "decision_number": "No. 3",
            "reason_code": "false_data",
            "public_reason": "False data.",
            "resolve_by": None,
            "document": pdf(tmp_path),
        }
        return refusal(
            session, services.order, session, regulator, label, OrderAction.WITHDRAW, **{**arguments, **kwargs}
        )

    assert attempt(legal_basis=" ").field == "legal_basis"
    assert attempt(decision_number="").field == "decision_number"
    assert attempt(document=None).field == "document"
    assert attempt(reason_code="resolved").field == "reason_code"
    session.expire_all()
    assert label.status is LabelStatus.VALID
    assert not session.scalar(select(func.count()).select_from(SupervisionOrder))


def test_orders_and_list_history_are_append_only_in_the_database(session, regulator, label, tmp_path):
    list_holder(session, regulator, label)
    services.order(
        session,
        regulator,
        label,
        OrderAction.WITHDRAW,
        legal_basis="Art. 56",
        decision_number="No. 3",
        reason_code="false_data",
        public_reason="False data.",
        resolve_by=None,
        document=pdf(tmp_path),
    )
    session.flush()
    for statement in (
        "UPDATE supervision_orders SET decision_number = 'rewritten'",
        "DELETE FROM supervision_orders",
        "UPDATE dishonest_list_events SET reason = 'rewritten'",
        "DELETE FROM dishonest_list_events",
    ):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        savepoint.rollback()
