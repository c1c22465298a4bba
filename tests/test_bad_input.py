"""Text no database column can hold (a NUL character, which PostgreSQL refuses in text) is refused at the edge of
every request with a clear 400 in the reader's language, wherever it arrives: the address, the query string, a
form field, a JSON string. Nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.organisations.models import Organisation
from tests.accounts.test_views import _registration
from tests.conftest import csrf_token


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/lookup?q=abc%00def", "“q”"),
        ("/catalogue?q=%00", "“q”"),
        ("/compare?id=%00&id=x", "“id”"),
        ("/enterprises/91%00", "address"),
        ("/l/abc%00def", "address"),
        ("/01/0690123456789%00", "address"),
        ("/lookup?q%00=x", "parameter name"),
    ],
)
def test_a_nul_in_a_page_address_is_a_clear_400(client, url, where):
    response = client.get(url)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "NUL" in page and where in page and "Remove it" in page


@pytest.mark.parametrize("url", ["/api/v1/labels?grade=%00", "/api/v1/labels?q=a%00", "/api/v1/labels/ab%00c"])
def test_a_nul_in_an_api_request_is_a_json_400(client, url):
    response = client.get(url)
    assert response.status_code == 400 and response.is_json
    assert "NUL" in response.get_json()["error"]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # a platform's page can read why


def test_the_refusal_reads_in_chinese(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/lookup?q=abc%00def").get_data(as_text=True)
    assert "空字符" in page and "“q”" in page
    document = client.get("/api/v1/labels?grade=%00").get_json()
    assert "空字符" in document["error"]["message"]


@pytest.mark.parametrize("field", ["email", "password"])
def test_a_nul_in_the_sign_in_form_is_a_400_and_no_sign_in_attempt(client, session, field):
    events = _count(session, AuditEvent)
    data = {"email": "applicant@example.com", "password": "whatever it is", "csrf_token": csrf_token(client, "/login")}
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert f"“{field}”" in response.get_data(as_text=True)
    assert _count(session, AuditEvent) == events  # refused before the view: not even a failed sign-in is recorded


@pytest.mark.parametrize("field", ["organisation_name_zh", "organisation_name_en", "name", "email", "uscc"])
def test_a_nul_in_the_registration_form_writes_nothing(client, session, field):
    before = (_count(session, Organisation), _count(session, User), _count(session, AuditEvent))
    data = _registration()
    data[field] = data[field] + "\x00"
    response = client.post("/register", data={**data, "csrf_token": csrf_token(client, "/register")})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert (_count(session, Organisation), _count(session, User), _count(session, AuditEvent)) == before


def test_a_nul_in_an_uploaded_file_name_is_refused(client):
    from io import BytesIO

    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "file": (BytesIO(b"%PDF-1.4"), "a\x00.pdf")})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("body", ['{"url": "https://h/\\u0000"}', '{"url\\u0000": "x"}', '{"url": "\\ud800"}'])
def test_a_nul_or_a_lone_surrogate_in_a_json_string_is_a_json_400(client, body):
    response = client.post("/api/v1/verify", data=body, content_type="application/json")
    assert response.status_code == 400 and response.is_json
    assert "JSON" in response.get_json()["error"]["message"]
