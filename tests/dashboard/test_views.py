from __future__ import annotations

import pytest

from tests.conftest import login_as

WHAT_COMES_NEXT = {
    "applicant": "Apply for a label",
    "body_admin": "Manage staff",
    "verifier": "Waiting for you",
    "decision_maker": "Waiting for you",
    "regulator": "Supervision console",
    "site_admin": "invite their first member",
}

# The demo file each role must find in its "waiting for you" queue, and one it must not.
QUEUES = {
    "applicant": ("findings_open", "granted"),
    "body_admin": ("submitted", "under_evaluation"),
    "verifier": ("evaluation_planned", "granted"),
    "decision_maker": ("recommended", "findings_open"),
}


@pytest.mark.parametrize("role", sorted(QUEUES))
def test_each_role_finds_the_files_waiting_for_it(client, session, role):
    from sqlalchemy import select

    from registry.applications.models import Application

    waiting, not_waiting = (
        session.scalar(select(Application).where(Application.status == status).order_by(Application.id).limit(1))
        for status in QUEUES[role]
    )
    login_as(client, role)
    queue = client.get("/dashboard/").get_data(as_text=True).split("Waiting for you", 1)[1].split("</section>", 1)[0]
    assert waiting.reference in queue
    assert not_waiting.reference not in queue


@pytest.mark.parametrize("role", sorted(WHAT_COMES_NEXT))
def test_every_role_sees_its_own_dashboard(client, role):
    login_as(client, role)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert WHAT_COMES_NEXT[role] in page.get_data(as_text=True)


def test_applicant_dashboard_lists_the_enterprises_products(client):
    login_as(client, "applicant")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "LFP energy-storage battery module" in page
    assert "Bifacial monocrystalline PV module" not in page  # another enterprise's product
