"""GET requests only read. Every GET route of the url map is opened signed out, and every one that needs signing in
is opened in each role, on a registry where nothing has been made lazily yet (no root key): no statement writes to
the database and no table's row count changes. The routes are read from ``app.url_map`` (as tests/test_permissions.py does), so a new GET route is walked
without touching this file; its path variables are filled with the demo's real objects, so the views run through.

The verify API is a POST, but it only reads too."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, event, func, select

from registry.accounts.models import User
from registry.applications.models import Document
from registry.database import Base
from registry.keys.models import KeyRole, SigningKey
from registry.labels.models import Label
from registry.products.models import Product
from registry.surveillance.models import Surveillance
from tests.conftest import DEMO_ROLE_LOGINS, login_as

# Flask's own static file view reads files only.
SKIPPED_ENDPOINTS = {"static"}
WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|MERGE|CREATE|DROP|ALTER|TRUNCATE)\b", re.IGNORECASE)
# What a registry without a root key cannot publish: the documents the root key signs.
NEEDS_ROOT_KEY = {"keys.trust_list_json", "labels.status_list"}
# Query parameters a route needs to do its real work rather than refuse (its own 400).
QUERIES: dict[str, dict[str, object]] = {
    "tlog.entries": {"start": 0, "end": 3},
    "tlog.inclusion": {"index": 0, "tree_size": 2},
    "tlog.consistency": {"first": 1, "second": 2},
}


def _row_counts(connection) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }


def _without_root_key(session) -> None:  # type: ignore[no-untyped-def]
    """The registry before ``flask setup`` made its root key (labels are signed by body keys, which stay)."""
    session.execute(delete(SigningKey).where(SigningKey.role == KeyRole.ROOT))
    session.commit()  # releases the test's savepoint: the requests see it, the test's transaction still undoes it


def _values(session) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A path variable's value by its name (or ``endpoint:name``): one of the demo's labelled products, its
    application, a document of it, and so on."""
    label = session.scalar(select(Label).join(Product).where(Product.gtin.is_not(None)).order_by(Label.id))
    assert label is not None, "the demo data has a labelled product with a GTIN"
    application = label.application
    document = session.scalar(select(Document).where(Document.application_id == application.id).order_by(Document.id))
    assert document is not None
    # A surveillance of the label, assigned to the demo verifier (registry.surveillance), for its page.
    verifier = session.scalar(select(User).where(User.email == "verifier@example.com"))
    surveillance = Surveillance(
        label_id=label.id,
        due_on=label.valid_from,
        verifier_id=verifier.id,
        assigned_by_id=verifier.id,
        assigned_at=label.issued_at,
    )
    session.add(surveillance)
    session.commit()
    return {
        "surveillance_id": surveillance.id,
        "public_id": label.public_id,
        "gtin": label.product.gtin,
        "lot": "1",
        "serial": "1",
        "application_id": application.id,
        "document_id": document.id,
        "organisation_id": label.holder_id,
        "product_id": label.product_id,
        "uscc": label.holder.uscc,
        "disclosure.body:code": label.body.body_code,
        "schemes.detail:code": label.scheme_version.code,
        "version": label.scheme_version.version,
        "public.set_language:code": "en",
        "size": "standard",
        "ext": "svg",
        "purpose": "revocation",
        "number": label.status_list,
        # The demo has no regulator's order nor listing: their documents are a 404, which reads too.
        "order_id": 1,
        "listing_id": 1,
        "draw_id": 1,  # no draw in the demo data: the spot-check pages answer 404
        "item_id": 1,
        "reference": "TS-0000000000000",  # unknown: the follow-up page's 404
        "complaint_id": 1,
    }


def _get_urls(app, values: dict[str, object], *, public: bool) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every GET route's URL (``public``: with the public ones) and its endpoint."""
    from flask import url_for

    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in SKIPPED_ENDPOINTS or "GET" not in rule.methods:
                continue
            if not public and getattr(app.view_functions[rule.endpoint], "registry_public", False):
                continue
            arguments = {name: values.get(f"{rule.endpoint}:{name}", values.get(name)) for name in rule.arguments}
            missing = [name for name, value in arguments.items() if value is None]
            assert not missing, f"{rule.rule}: no value for {missing}; add one to _values"
            arguments.update(QUERIES.get(rule.endpoint, {}))
            urls.append((rule.endpoint, url_for(rule.endpoint, **arguments)))
    return sorted(urls, key=lambda pair: pair[1])


@pytest.fixture
def writes(connection):  # type: ignore[no-untyped-def]
    """The statements that write, as the requests (whose sessions join ``connection``) send them."""
    seen: list[str] = []

    def _note(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        if WRITES.match(statement):
            seen.append(statement.split("\n", 1)[0][:120])

    event.listen(connection, "before_cursor_execute", _note)
    yield seen
    event.remove(connection, "before_cursor_execute", _note)


@pytest.mark.parametrize("role", [None, *sorted(DEMO_ROLE_LOGINS)])
def test_no_get_request_writes(app, client, session, connection, writes, role):
    _without_root_key(session)
    # Signed out, every page; signed in, those that need it (the public ones differ only by their navigation).
    urls = _get_urls(app, _values(session), public=role is None)
    if role is not None:
        login_as(client, role)  # signing in writes (the audit trail, the session token); what follows must not
    before = _row_counts(connection)
    writes.clear()
    answers = {}
    for endpoint, url in urls:
        status = client.get(url).status_code
        answers[url] = status
        assert status < 500 or (endpoint in NEEDS_ROOT_KEY and status == 503), (url, status)
    assert writes == [], f"GET requests wrote: {writes}"
    assert _row_counts(connection) == before
    assert list(answers.values()).count(200) >= (30 if role is None else 3), answers  # the walk reached real pages


def test_without_a_root_key_the_published_documents_say_so_and_make_none(app, client, session, connection, writes):
    _without_root_key(session)
    label = session.scalar(select(Label).order_by(Label.id))
    assert label is not None
    writes.clear()
    keys = client.get("/.well-known/jwks.json")
    assert keys.status_code == 200
    assert keys.json["keys"] and all(key["kid"] != "" for key in keys.json["keys"])  # the bodies' keys, no root
    for url in ("/.well-known/label-trust-list.json", f"/status/revocation/{label.status_list}"):
        refused = client.get(url)
        assert refused.status_code == 503, url
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
        assert "no-store" in refused.headers["Cache-Control"]
        assert "flask setup" in refused.json["error"]["message"]
    verified = client.post("/api/v1/verify", json={"url": label.qr_url(app.config["PUBLIC_HOST"])})
    assert verified.status_code == 503
    assert writes == []
    assert session.scalar(select(func.count()).select_from(SigningKey).where(SigningKey.role == KeyRole.ROOT)) == 0


def test_the_verify_api_only_reads(app, client, session, connection, writes):
    label = session.scalar(select(Label).order_by(Label.id))
    assert label is not None
    before = _row_counts(connection)
    writes.clear()
    response = client.post("/api/v1/verify", json={"url": label.qr_url(app.config["PUBLIC_HOST"])})
    assert response.status_code == 200 and response.json["verdict"]
    assert writes == []
    assert _row_counts(connection) == before
