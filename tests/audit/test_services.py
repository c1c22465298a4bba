from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.audit.models import AuditEvent, AuditEventIsAppendOnly
from registry.audit.services import Actor, record_event
from registry.errors import ServiceError
from registry.organisations.models import OrganisationKind
from registry.organisations.services import create_organisation


def _events(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_a_change_and_its_event_are_written_together(session):
    before = _events(session)
    organisation = create_organisation(
        session, Actor(None, "203.0.113.9"), kind=OrganisationKind.REGULATOR, name_zh="某省生态环境厅"
    )
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert _events(session) == before + 1
    assert (event.tag, event.subject_type, event.subject_id, event.address) == (
        "organisation:create",
        "organisations",
        str(organisation.id),
        "203.0.113.9",
    )
    assert event.occurred_at.tzinfo is not None


def test_a_refused_change_leaves_no_event(session):
    before = _events(session)
    with pytest.raises(ServiceError):
        create_organisation(session, Actor.system(), kind=OrganisationKind.ENTERPRISE, name_zh="x", uscc="123")
    assert _events(session) == before


def test_events_cannot_be_edited_through_the_orm(session):
    event = record_event(session, Actor.system(), "test:event")
    session.flush()
    event.tag = "test:rewritten"
    with pytest.raises(AuditEventIsAppendOnly):
        session.flush()


def test_applicants_see_only_their_organisations_events(client, session):
    from registry.accounts.models import User
    from tests.conftest import login_as

    login_as(client, "applicant")
    applicant = session.scalar(select(User).where(User.email == "applicant@example.com"))
    own = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.organisation_id == applicant.organisation_id)
    )
    assert own < _events(session)  # there are other organisations' events to hide
    page = client.get("/audit/").get_data(as_text=True)
    assert "application:footprint:update" in page
    assert "label:issue" not in page  # the body's events, not the applicant's
    assert "LN-ESS" not in page  # payloads are not dumped into the page
    assert page.count("<tr>") - 1 == min(own, 50)  # one page of the organisation's own events
