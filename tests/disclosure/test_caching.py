"""Every public page and document has a strong validator, anything showing a status may be cached
for at most 60 seconds, and what never changes is immutable."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from registry.labels.models import Label


def _max_age(header: str) -> int:
    match = re.search(r"max-age=(\d+)", header)
    assert match, header
    return int(match.group(1))


@pytest.fixture
def label(session):  # type: ignore[no-untyped-def]
    return session.scalars(select(Label).where(Label.path.like("/01/%")).order_by(Label.id)).first()


def test_pages_and_documents_that_show_a_status_are_fresh_within_a_minute(client, label):
    urls = [
        f"/l/{label.public_id}",
        label.path,
        f"/l/{label.public_id}.json",
        f"/l/{label.public_id}/pact.json",
        f"/l/{label.public_id}/status",
        f"/badge/{label.public_id}.svg",
        f"/embed/{label.public_id}",
        f"/api/v1/labels/{label.public_id}",
        "/api/v1/labels",
        "/catalogue",
        "/statistics",
        "/statistics.csv",
        f"/enterprises/{label.holder.uscc}",
        f"/bodies/{label.body.body_code}",
        "/status/revocation/0",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        etag = response.headers.get("ETag")
        assert etag and not etag.startswith("W/"), url
        assert "public" in response.headers["Cache-Control"] and _max_age(response.headers["Cache-Control"]) <= 60, url
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304, url
        assert "Set-Cookie" not in response.headers, url  # a shared cache must never hand out someone's cookie


def test_pages_without_a_status_carry_a_validator_too(client):
    for url in (
        "/",
        "/schemes/",
        "/schemes/li-battery",
        "/developers",
        "/.well-known/jwks.json",
        "/schemas/label-v1.json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get("ETag"), url
        assert "public" in response.headers["Cache-Control"], url
        assert "Set-Cookie" not in response.headers, url


def test_what_never_changes_is_immutable(client, label):
    for url in (
        f"/l/{label.public_id}/qr.svg",
        f"/l/{label.public_id}/qr.png",
        f"/l/{label.public_id}/label-small.png",
    ):
        response = client.get(url)
        assert (
            "immutable" in response.headers["Cache-Control"] and _max_age(response.headers["Cache-Control"]) >= 31536000
        ), url
