from __future__ import annotations

import pytest

from tests.conftest import login_as

WHAT_COMES_NEXT = {
    "applicant": "apply to a certification body",
    "body_admin": "assign verifiers",
    "verifier": "conflict-of-interest declaration",
    "decision_maker": "you may decide only on files you did not evaluate",
    "regulator": "read-only",
    "site_admin": "invite their first member",
}


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
