"""A user of one organisation gets 404, not 403, for another organisation's private objects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.accounts.models import Invitation, Role, User
from registry.accounts.services import invite_member
from registry.audit.services import Actor
from registry.products.models import Product
from tests.conftest import csrf_token, sign_in


def _product_of(session, email):
    user = session.scalar(select(User).where(User.email == email))
    return session.scalars(select(Product).where(Product.organisation_id == user.organisation_id)).first()


@pytest.mark.parametrize(
    ("viewer", "owner"),
    [
        ("applicant@example.com", "applicant.pv@example.com"),
        ("applicant.pv@example.com", "applicant.steel@example.com"),
        ("applicant.steel@example.com", "applicant@example.com"),
    ],
)
@pytest.mark.parametrize("suffix", ["", "/edit"])
def test_another_enterprises_product_does_not_exist(client, session, viewer, owner, suffix):
    product = _product_of(session, owner)
    own = _product_of(session, viewer)
    sign_in(client, viewer)
    assert client.get(f"/products/{own.id}{suffix}").status_code == 200
    response = client.get(f"/products/{product.id}{suffix}")
    assert response.status_code == 404
    assert product.name_zh not in response.get_data(as_text=True)


def test_editing_another_enterprises_product_by_post_is_404_and_changes_nothing(client, session):
    product = _product_of(session, "applicant.pv@example.com")
    own = _product_of(session, "applicant@example.com")
    sign_in(client, "applicant@example.com")
    token = csrf_token(client, f"/products/{own.id}/edit")
    response = client.post(
        f"/products/{product.id}/edit",
        data={"csrf_token": token, "category_code": "pv-module", "name_zh": "篡改", "model": "X"},
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Product, product.id).name_zh != "篡改"


@pytest.mark.parametrize("role", ["verifier", "decision_maker", "body_admin"])
def test_certification_body_staff_do_not_see_enterprise_products(client, session, role):
    from tests.conftest import login_as

    product = _product_of(session, "applicant@example.com")
    login_as(client, role)
    assert client.get(f"/products/{product.id}").status_code == 404


def test_regulator_sees_any_product_read_only(client, session):
    from tests.conftest import login_as

    product = _product_of(session, "applicant@example.com")
    login_as(client, "regulator")
    page = client.get(f"/products/{product.id}")
    assert page.status_code == 200
    assert f"/products/{product.id}/edit" not in page.get_data(as_text=True)
    assert client.get(f"/products/{product.id}/edit").status_code == 403


def test_another_bodys_invitation_cannot_be_revoked(client, session):
    other_admin = session.scalar(select(User).where(User.email == "body2.admin@example.com"))
    invitation, _token = invite_member(
        session,
        Actor(other_admin),
        organisation=other_admin.organisation,
        email="new.verifier@example.org",
        role=Role.VERIFIER,
        valid_hours=24,
    )
    session.commit()
    sign_in(client, "body.admin@example.com")
    token = csrf_token(client, "/staff")
    response = client.post(f"/staff/invitations/{invitation.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Invitation, invitation.id).revoked_at is None


def test_staff_page_lists_only_the_bodys_own_people(client):
    sign_in(client, "body.admin@example.com")
    page = client.get("/staff").get_data(as_text=True)
    assert "verifier@example.com" in page
    assert "body2.admin@example.com" not in page
    assert "applicant@example.com" not in page
