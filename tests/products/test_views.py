from __future__ import annotations

from sqlalchemy import func, select

from registry.products.models import Product
from tests.conftest import login_as, post_form


def _product(**overrides: str) -> dict[str, str]:
    data = {
        "category_code": "li-battery",
        "name_zh": "动力电池包",
        "name_en": "Traction battery pack",
        "model": "TB-100",
        "trademark": "",
        "factory": "济南",
        "gtin": "",
    }
    data.update(overrides)
    return data


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Product))


def test_applicant_adds_a_product_with_a_gtin_stored_as_gtin14(client, session):
    login_as(client, "applicant")
    response = post_form(client, "/products/new", _product(gtin="4006381333931"))
    assert response.status_code == 302
    product = session.scalar(select(Product).where(Product.model == "TB-100"))
    assert product.gtin == "04006381333931"
    assert client.get(response.headers["Location"]).status_code == 200


def test_wrong_check_digit_names_the_expected_digit_and_writes_nothing(client, session):
    login_as(client, "applicant")
    before = _count(session)
    response = post_form(client, "/products/new", _product(gtin="4006381333932"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "should be 1, not 2" in page
    assert 'value="TB-100"' in page
    assert _count(session) == before


def test_a_gtin_belongs_to_one_product(client, session):
    login_as(client, "applicant")
    taken = session.scalars(select(Product.gtin).where(Product.gtin.is_not(None))).first()
    response = post_form(client, "/products/new", _product(gtin=taken))
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)


def test_category_must_have_a_scheme(client):
    login_as(client, "applicant")
    response = post_form(client, "/products/new", _product(category_code="spaceships"))
    assert response.status_code == 400


def test_editing_keeps_an_audit_trail_of_changes(client, session):
    from registry.audit.models import AuditEvent

    login_as(client, "applicant")
    response = post_form(client, "/products/new", _product())
    product_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    response = post_form(client, f"/products/{product_id}/edit", _product(model="TB-200"))
    assert response.status_code == 302
    event = session.scalars(select(AuditEvent).where(AuditEvent.tag == "product:update")).first()
    assert event.payload == {"changes": {"model": {"from": "TB-100", "to": "TB-200"}}}


def test_a_labelled_products_certified_name_cannot_be_edited_and_the_form_says_why(client, session):
    from registry.labels.models import Label

    login_as(client, "applicant")
    label = session.scalars(select(Label).order_by(Label.id)).first()
    product = label.product
    form = {
        "category_code": product.category_code,
        "name_zh": product.name_zh + "改",
        "name_en": product.name_en or "",
        "model": product.model,
        "trademark": product.trademark or "",
        "factory": product.factory or "",
        "gtin": product.gtin or "",
    }
    response = post_form(client, f"/products/{product.id}/edit", form)
    assert response.status_code == 400
    assert "apply for a new label" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Product, product.id).name_zh == form["name_zh"][:-1]


def test_the_refusal_reads_in_chinese(app, session):
    from registry.labels.models import Label
    from tests.conftest import sign_in

    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    sign_in(client, "applicant@example.com")
    product = session.scalars(select(Label).order_by(Label.id)).first().product
    form = {
        "category_code": product.category_code,
        "name_zh": product.name_zh + "改",
        "name_en": product.name_en or "",
        "model": product.model,
        "trademark": "",
        "factory": product.factory or "",
        "gtin": product.gtin or "",
    }
    response = post_form(client, f"/products/{product.id}/edit", form)
    assert response.status_code == 400 and "请重新申请标识" in response.get_data(as_text=True)
