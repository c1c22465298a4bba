"""The regulator's console through the browser's eyes: the permission matrix of every supervision route for every
role, the forms (order with its PDF, listing, removal), the public list and the notices with their feed."""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.accounts.models import Role, User
from registry.audit.services import Actor
from registry.labels.lifecycle import china_today
from registry.labels.models import Label, LabelCapacity, LabelStatus, LabelTransition
from registry.organisations.models import BarredOrganisation, Organisation
from registry.permissions import ROLE_PERMISSIONS, Permission
from registry.supervision import services
from registry.supervision.models import OrderAction, SupervisionOrder
from tests.conftest import DEMO_ROLE_LOGINS, csrf_token, english, login_as, sign_in

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REASON = "Fabricated the footprint data of three products."


def regulator(session) -> Actor:
    user = session.scalar(select(User).where(User.email == "regulator@example.com"))
    assert user is not None
    return Actor(user)


@pytest.fixture
def label(session) -> Label:
    found = session.scalars(select(Label).order_by(Label.id)).first()
    assert found is not None and found.status is LabelStatus.VALID
    return found


@pytest.fixture
def records(session, label, upload_dir):
    """A listing and an order, each with its decision document, so that every route has something to show."""
    other = session.scalars(
        select(Label).where(Label.holder_id != label.holder_id, Label.status == LabelStatus.VALID).order_by(Label.id)
    ).first()
    assert other is not None
    listing = services.list_enterprise(
        session,
        regulator(session),
        session.get(Organisation, other.holder_id),
        reason=REASON,
        decision_number="京市监信〔2026〕17号",
        listed_from=None,
        listed_until=None,
        document=services.Upload(io.BytesIO(PDF_BYTES), "decision.pdf", upload_dir, 2**20),
    )
    order = services.order(
        session,
        regulator(session),
        other,
        OrderAction.SUSPEND,
        legal_basis="Art. 56",
        decision_number="国市监认〔2026〕3号",
        reason_code="spot_check_failed",
        public_reason="Failed a spot check.",
        resolve_by=china_today() + timedelta(days=30),
        document=services.Upload(io.BytesIO(PDF_BYTES), "order.pdf", upload_dir, 2**20),
    )
    session.flush()
    return listing, order


def routes(label: Label, listing: BarredOrganisation, order: SupervisionOrder) -> list[tuple[str, str, Permission]]:
    return [
        ("GET", "/supervision/", Permission.MANAGE_DISHONEST_LIST),
        ("POST", "/supervision/list", Permission.MANAGE_DISHONEST_LIST),
        ("POST", f"/supervision/list/{listing.id}/remove", Permission.MANAGE_DISHONEST_LIST),
        ("GET", f"/supervision/list/{listing.id}/document", Permission.MANAGE_DISHONEST_LIST),
        ("GET", f"/supervision/labels/{label.public_id}/order", Permission.ISSUE_ORDERS),
        ("POST", f"/supervision/labels/{label.public_id}/order/suspend", Permission.ISSUE_ORDERS),
        ("POST", f"/supervision/labels/{label.public_id}/order/withdraw", Permission.ISSUE_ORDERS),
        ("GET", f"/supervision/orders/{order.id}/document", Permission.ISSUE_ORDERS),
    ]


def test_only_regulators_hold_the_supervision_permissions():
    for role, permissions in ROLE_PERMISSIONS.items():
        held = {Permission.ISSUE_ORDERS, Permission.MANAGE_DISHONEST_LIST} & permissions
        assert held == (
            {Permission.ISSUE_ORDERS, Permission.MANAGE_DISHONEST_LIST} if role is Role.REGULATOR else set()
        )
    # … and a regulator does not do the bodies' work.
    assert (
        not {Permission.REVIEW_APPLICATIONS, Permission.EVALUATE, Permission.DECIDE} & ROLE_PERMISSIONS[Role.REGULATOR]
    )


@pytest.mark.parametrize("role", [*sorted(DEMO_ROLE_LOGINS), "anonymous"])
def test_permission_matrix_of_every_supervision_route(client, session, label, records, role):
    listing, order = records
    if role != "anonymous":
        login_as(client, role)
    token = csrf_token(client, "/login" if role == "anonymous" else "/account/password")
    for method, url, _permission in routes(label, listing, order):
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        if role == "regulator":
            # Allowed: the page, the document, or the form shown again with what is missing (nothing written).
            expected = 200 if method == "GET" else 400
        elif role == "anonymous":
            expected = 302 if method == "GET" else 401
        else:
            expected = 403
        assert response.status_code == expected, (role, method, url, response.status_code)
    session.expire_all()
    assert label.status is LabelStatus.VALID and listing.removed_at is None


def test_a_regulator_cannot_review_or_decide(client, session):
    login_as(client, "regulator")
    token = csrf_token(client, "/account/password")
    from registry.applications.models import Application

    application = session.scalars(select(Application).order_by(Application.id)).first()
    assert application is not None
    for action in ("accept", "reject", "assign", "decide"):
        response = client.post(f"/applications/{application.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403, (action, response.status_code)


def test_the_regulator_orders_a_withdrawal_from_the_label_page(client, session, label):
    login_as(client, "regulator")
    page = client.get(f"/labels/{label.public_id}").get_data(as_text=True)
    assert f"/supervision/labels/{label.public_id}/order" in page
    order_url = f"/supervision/labels/{label.public_id}/order"
    token = csrf_token(client, order_url)
    fields = {
        "csrf_token": token,
        "withdraw-legal_basis": "《认证认可条例》第五十六条",
        "withdraw-decision_number": "国市监认〔2026〕9号",
        "withdraw-reason_code": "false_data",
        "withdraw-public_reason": "Footprint data found to be false by the regulator.",
    }
    # Without the document: refused on its field, nothing moves.
    response = client.post(f"{order_url}/withdraw", data=fields)
    assert response.status_code == 400 and "Attach the decision document (PDF)." in response.get_data(as_text=True)
    session.expire_all()
    assert label.status is LabelStatus.VALID
    response = client.post(
        f"{order_url}/withdraw",
        data={**fields, "withdraw-document": (io.BytesIO(PDF_BYTES), "决定书.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert label.status is LabelStatus.WITHDRAWN
    step = session.scalars(
        select(LabelTransition).where(LabelTransition.label_id == label.id).order_by(LabelTransition.id.desc())
    ).first()
    assert step is not None and step.capacity is LabelCapacity.REGULATOR
    assert step.evidence == [hashlib.sha256(PDF_BYTES).hexdigest()]
    order = session.scalar(select(SupervisionOrder).where(SupervisionOrder.transition_id == step.id))
    assert order is not None and order.decision_number == "国市监认〔2026〕9号"
    # The console lists it, with its document, which only a regulator downloads.
    console = client.get("/supervision/").get_data(as_text=True)
    assert "国市监认〔2026〕9号" in console
    document = client.get(f"/supervision/orders/{order.id}/document")
    assert document.status_code == 200 and document.data == PDF_BYTES
    assert document.headers["Cache-Control"] == "private, no-store"
    # The public notices say the regulator ordered it.
    public = english(client.application.test_client())
    notices = public.get("/notices").get_data(as_text=True)
    assert "By order, decision 国市监认〔2026〕9号" in notices and "Market regulator" in notices


def test_listing_and_removal_through_the_console_are_public(client, session, label):
    holder = session.get(Organisation, label.holder_id)
    login_as(client, "regulator")
    token = csrf_token(client, "/supervision/")
    response = client.post(
        "/supervision/list",
        data={"csrf_token": token, "uscc": holder.uscc, "reason": REASON, "decision_number": "京市监信〔2026〕21号"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    listing = session.scalar(select(BarredOrganisation).where(BarredOrganisation.organisation_id == holder.id))
    assert listing is not None
    console = client.get("/supervision/").get_data(as_text=True)
    assert label.certificate_number in console  # its withdrawal demand

    public = english(client.application.test_client())
    page = public.get("/dishonest").get_data(as_text=True)
    assert holder.uscc in page and REASON in page and "京市监信〔2026〕21号" in page
    assert china_today().isoformat() in page
    notices = public.get("/notices").get_data(as_text=True)
    assert "Listed as a seriously dishonest entity" in notices and holder.uscc in notices
    feed = ET.fromstring(public.get("/notices.atom").data)
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in feed.iter("{http://www.w3.org/2005/Atom}entry")]
    assert any("Listed as a seriously dishonest entity" in (t or "") for t in titles)

    # The body's administrator sees the demand on the dashboard.
    body = english(client.application.test_client())
    sign_in(body, "body.admin@example.com")
    assert label.certificate_number in body.get("/dashboard/").get_data(as_text=True)

    token = csrf_token(client, "/supervision/")
    response = client.post(
        f"/supervision/list/{listing.id}/remove", data={"csrf_token": token, f"remove-{listing.id}-reason": ""}
    )
    assert response.status_code == 400
    response = client.post(
        f"/supervision/list/{listing.id}/remove",
        data={"csrf_token": token, f"remove-{listing.id}-reason": "Credit repaired: penalty paid."},
    )
    assert response.status_code == 302
    page = public.get("/dishonest").get_data(as_text=True)
    assert f"Removed on {china_today().isoformat()}" in page and "Credit repaired: penalty paid." in page
    notices = public.get("/notices").get_data(as_text=True)
    assert notices.index("Removed from the dishonest-entity list") < notices.index("Listed as a seriously dishonest")


def test_an_unknown_credit_code_is_refused_on_its_field(client, session):
    login_as(client, "regulator")
    token = csrf_token(client, "/supervision/")
    response = client.post(
        "/supervision/list",
        data={"csrf_token": token, "uscc": "91110000MA00000000", "reason": REASON, "decision_number": "1"},
    )
    assert response.status_code == 400
    assert "No enterprise in the registry has the unified social credit code" in response.get_data(as_text=True)


def test_the_regulator_s_dashboard_links_the_console(client):
    login_as(client, "regulator")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "/supervision/" in page and "arrive with the supervision tools" not in page


def test_flask_supervision_overdue_runs_the_flagging(runner):
    result = runner.invoke(args=["supervision", "overdue"])
    assert result.exit_code == 0, result.output
    assert "withdrawal demand(s) flagged overdue" in result.output


def test_the_public_list_is_bilingual_and_shows_the_period(app, session, label):
    holder = session.get(Organisation, label.holder_id)
    until = china_today() + timedelta(days=365)
    services.list_enterprise(
        session,
        regulator(session),
        holder,
        reason=REASON,
        decision_number="京市监信〔2026〕30号",
        listed_from=china_today() - timedelta(days=3),
        listed_until=until,
    )
    session.flush()
    chinese = app.test_client()
    chinese.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = chinese.get("/dishonest").get_data(as_text=True)
    assert "严重失信主体名单" in page and "统一社会信用代码" in page and holder.name_zh in page
    assert f"{(china_today() - timedelta(days=3)).isoformat()} – {until.isoformat()}" in page
    english_page = english(app.test_client()).get("/dishonest").get_data(as_text=True)
    assert "Dishonest-entity list" in english_page and "Listed" in english_page


def test_older_notices_go_on_below_both_kinds(app, session, label, records, monkeypatch):
    from registry.disclosure.views import notices as notices_view

    monkeypatch.setattr(notices_view, "PAGE_SIZE", 1)
    client = english(app.test_client())
    first = client.get("/notices").get_data(as_text=True)
    # The order on a label came after the listing: it is first, and the listing is on the next page.
    assert "By order, decision 国市监认〔2026〕3号" in first and "Listed as a seriously dishonest entity" not in first
    older = first.split('href="/notices?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get(f"/notices?{older}").get_data(as_text=True)
    assert "Listed as a seriously dishonest entity" in second and "国市监认〔2026〕3号" not in second
