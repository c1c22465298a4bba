"""The surveillance pages, the holder's renewal and change forms on the label's record page, the application page's
kind, the dashboards and `flask surveillance overdue`, through the browser's path (forms with their CSRF token)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from registry.applications.models import Application, ApplicationKind
from registry.dates import add_months
from registry.labels.lifecycle import china_today
from registry.labels.models import Label, LabelStatus
from registry.surveillance.models import Surveillance
from tests.conftest import english, login_as, post_form, sign_in


@pytest.fixture
def label(session) -> Label:
    found = session.scalars(select(Label).order_by(Label.id)).first()
    assert found is not None and found.status is LabelStatus.VALID
    return found


@pytest.fixture
def overdue(session, label) -> Label:
    """The label's first surveillance fell due five days ago (its first day moved back, its last kept)."""
    start = add_months(china_today(), -12) - timedelta(days=5)
    session.execute(text("UPDATE labels SET valid_from = :f WHERE id = :id"), {"f": start, "id": label.id})
    session.commit()
    session.refresh(label)
    return label


def test_the_body_assigns_and_the_verifier_suspends_from_the_pages(app, client, session, overdue):
    login_as(client, "body_admin")
    page = client.get("/surveillance/").get_data(as_text=True)
    assert overdue.certificate_number in page and "Overdue by" in page
    assert "Surveillance" in client.get("/dashboard/").get_data(as_text=True)
    assert session.scalar(select(Surveillance).where(Surveillance.label_id == overdue.id)) is None
    from registry.accounts.models import User

    person = session.scalar(select(User).where(User.email == "verifier@example.com"))
    response = post_form(
        client,
        f"/surveillance/labels/{overdue.public_id}/assign",
        {f"l{overdue.id}-verifier_id": str(person.id)},
        form_url="/surveillance/",
    )
    assert response.status_code == 302
    surveillance = session.scalar(select(Surveillance).where(Surveillance.label_id == overdue.id))
    assert surveillance is not None and surveillance.verifier_id == person.id

    other = english(app.test_client())
    sign_in(other, "verifier@example.com")
    assert overdue.certificate_number in other.get("/surveillance/").get_data(as_text=True)
    url = f"/surveillance/{surveillance.id}"
    refused = post_form(
        other, f"{url}/evaluate", {"findings": "Meter data missing.", "outcome": "suspend"}, form_url=url
    )
    assert refused.status_code == 400 and "no conflict of interest" in refused.get_data(as_text=True)
    resolve_by = (china_today() + timedelta(days=30)).isoformat()
    done = post_form(
        other,
        f"{url}/evaluate",
        {
            "no_conflict": "y",
            "findings": "The 2026 meter data does not support the declared electricity use.",
            "outcome": "suspend",
            "public_reason": "Surveillance found the declared footprint unsupported.",
            "resolve_by": resolve_by,
        },
        form_url=url,
    )
    assert done.status_code == 302
    session.refresh(overdue)
    assert overdue.status is LabelStatus.SUSPENDED
    shown = other.get(url).get_data(as_text=True)
    assert "Suspend the label" in shown and "meter data does not support" in shown
    # The holder neither lists surveillance nor reads the findings.
    holder = english(app.test_client())
    sign_in(holder, "applicant@example.com")
    assert holder.get("/surveillance/").status_code == 404
    assert holder.get(url).status_code == 404
    assert "meter data does not support" not in holder.get(f"/labels/{overdue.public_id}").get_data(as_text=True)


def test_the_regulator_sees_every_bodys_overdue_surveillance(client, overdue):
    login_as(client, "regulator")
    assert overdue.certificate_number in client.get("/surveillance/").get_data(as_text=True)
    assert overdue.certificate_number in client.get("/dashboard/").get_data(as_text=True)


def test_the_holder_reports_a_change_from_the_labels_page(client, session, label):
    login_as(client, "applicant")
    url = f"/labels/{label.public_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Report a change" in page and "A renewal can be applied for from" in page
    response = post_form(
        client, f"{url}/report-change", {"what": "factory", "description": "Production moved to Hefei."}, form_url=url
    )
    assert response.status_code == 302
    application = session.scalar(select(Application).where(Application.previous_label_id == label.id))
    assert application is not None and application.kind is ApplicationKind.CHANGE
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Change" in shown and label.certificate_number in shown and "Production moved to Hefei." in shown
    again = post_form(client, f"{url}/report-change", {"what": "product", "description": "New cells."}, form_url=url)
    assert again.status_code == 409 and application.reference in again.get_data(as_text=True)
    early = post_form(client, f"{url}/renew", {}, form_url=url)
    assert early.status_code == 409
    assert application.reference in client.get(url).get_data(as_text=True)


def test_only_the_holder_is_offered_renewal(client, label):
    login_as(client, "body_admin")
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    assert "Report a change" not in page
    assert post_form(client, f"/labels/{label.public_id}/renew", {}, form_url="/labels/").status_code == 403


def test_the_cli_flags_overdue_surveillance_once(runner, session, overdue):
    first = runner.invoke(args=["surveillance", "overdue"])
    assert first.exit_code == 0, first.output
    assert f"{overdue.certificate_number} overdue since" in first.output
    second = runner.invoke(args=["surveillance", "overdue"])
    assert second.exit_code == 0 and overdue.certificate_number not in second.output


def test_the_pages_speak_chinese(app, session, overdue):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(client, "body.admin@example.com")
    page = client.get("/surveillance/").get_data(as_text=True)
    assert "到期与逾期" in page and "已逾期" in page
    holder = app.test_client()
    holder.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(holder, "applicant@example.com")
    assert "报告变更" in holder.get(f"/labels/{overdue.public_id}").get_data(as_text=True)


def test_the_applications_list_marks_a_change(client, session, label):
    login_as(client, "applicant")
    url = f"/labels/{label.public_id}"
    post_form(client, f"{url}/report-change", {"what": "product", "description": "New cells."}, form_url=url)
    assert "Change</small>" in client.get("/applications/").get_data(as_text=True)
