"""The public label API (``/api/v1/labels``) and the status badge platforms embed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from registry.labels.models import Label, LabelStatus


@pytest.fixture
def labels(session):  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Label).order_by(Label.id)))


def _all(client, url):  # type: ignore[no-untyped-def]
    """Follow ``next`` through every page."""
    items = []
    while url:
        response = client.get(url.replace("https://127.0.0.1:5000", ""))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items += body["data"]
        url = body["next"]
    return items


def test_the_list_carries_what_platforms_need_and_pages_through_everything(client, labels):
    response = client.get("/api/v1/labels?limit=1")
    assert response.headers["Access-Control-Allow-Origin"] == "*" and "max-age=60" in response.headers["Cache-Control"]
    body = response.get_json()
    assert len(body["data"]) == 1 and body["next"]
    item = body["data"][0]
    assert {"id", "certificate_number", "gtin", "status", "scheme", "qr_url"} <= set(item)
    everything = _all(client, "/api/v1/labels?limit=1")
    assert [i["id"] for i in everything] == [label.public_id for label in reversed(labels)]  # newest first, no repeats


def test_sorting_by_footprint_pages_in_order(client, labels):
    ascending = _all(client, "/api/v1/labels?sort=footprint&limit=2")
    values = [float(i["footprint_kg_co2e"]) for i in ascending]
    assert values == sorted(values) and len(values) == len(labels)
    descending = _all(client, "/api/v1/labels?sort=-footprint&limit=2")
    assert [i["id"] for i in descending] == [i["id"] for i in reversed(ascending)]


def test_filters(client, labels):
    label = labels[0]
    assert [i["id"] for i in _all(client, f"/api/v1/labels?q={label.certificate_number}")] == [label.public_id]
    assert label.public_id in [i["id"] for i in _all(client, f"/api/v1/labels?q={label.product.name_en.split()[0]}")]
    # Each demo label has a scheme and a province of its own: the filters leave exactly that label.
    assert [i["id"] for i in _all(client, f"/api/v1/labels?scheme={label.scheme_version.code}")] == [label.public_id]
    grade = label.grade_code
    assert sorted(i["id"] for i in _all(client, f"/api/v1/labels?grade={grade}")) == sorted(
        other.public_id for other in labels if other.grade_code == grade
    )
    region = label.holder.division_code[:2]
    in_region = _all(client, f"/api/v1/labels?region={region}")
    assert [i["id"] for i in in_region] == [label.public_id]
    assert _all(client, "/api/v1/labels?region=99") == []
    if label.product.gtin:
        assert [i["id"] for i in _all(client, f"/api/v1/labels?q={label.product.gtin.lstrip('0')}")] == [
            label.public_id
        ]


def test_status_filter_follows_the_labels(client, session, labels):
    labels[0].status = LabelStatus.SUSPENDED
    session.flush()
    assert [i["id"] for i in _all(client, "/api/v1/labels?status=suspended")] == [labels[0].public_id]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("sort=cheapest", "sort must be one of"),
        ("status=lost", "status must be one of"),
        ("region=Shandong", "province code"),
        ("limit=0", "from 1 to 100"),
        ("limit=ten", "whole number"),
        ("after=garbage!", "first page"),
    ],
)
def test_bad_parameters_get_a_clear_400(client, query, words):
    response = client.get(f"/api/v1/labels?{query}")
    assert response.status_code == 400 and words in response.get_json()["message"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("sort=cheapest", "sort 须为以下之一：newest"),
        ("status=lost", "status 须为以下之一：valid"),
        ("region=Shandong", "省级代码"),
        ("limit=0", "1 至 100"),
        ("limit=ten", "1 至 100"),
        ("after=garbage!", "第一页"),
    ],
)
def test_bad_parameters_are_explained_in_the_readers_language(client, query, words):
    response = client.get(f"/api/v1/labels?{query}", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400 and words in response.get_json()["message"]


def _cursor(key: object) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


# Cursors the API never gives out: not base64 or JSON, the wrong shape, types a column cannot compare with, numbers
# past the 64-bit range the columns hold, numbers that are not finite, and more decimals than a footprint has.
CRAFTED_CURSORS = [
    "garbage!",
    "W3RydWVd",
    _cursor([True]),
    _cursor([10**30]),
    _cursor([-(10**30)]),
    _cursor([2**63]),
    _cursor(1e40),
    _cursor([1e40]),
    _cursor(["NaN", 1]),
    _cursor(["Infinity", 1]),
    _cursor(["-Infinity", 1]),
    _cursor(["sNaN", 1]),
    _cursor(["1e40", 1]),
    _cursor(["1e-40", 1]),
    _cursor(["1.0000001", 1]),
    _cursor([1.5, 1]),
    _cursor([None, 1]),
    _cursor(["1", True]),
    _cursor(["1", 10**30]),
    _cursor(["1", "2"]),
    _cursor(["1", 1, 2]),
    _cursor([]),
    _cursor({}),
    _cursor("x"),
    _cursor(None),
    _cursor([1, 1]),
    "%%%",
    "\u00e9",
    "W1s",
    "=" * 9,
]


@pytest.mark.parametrize("sort", ["newest", "footprint", "-footprint"])
@pytest.mark.parametrize("cursor", CRAFTED_CURSORS)
def test_a_crafted_cursor_is_a_400_that_says_to_start_again(client, sort, cursor):
    from urllib.parse import urlencode

    response = client.get("/api/v1/labels?" + urlencode({"sort": sort, "after": cursor}))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "paging link is broken" in response.get_json()["message"] and "first page" in response.get_json()["message"]


def test_the_broken_cursor_message_reads_in_chinese(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = client.get("/api/v1/labels?after=W3RydWVd")
    assert response.status_code == 400 and "第一页" in response.get_json()["message"]


def test_one_label_and_an_unknown_one(client, labels):
    body = client.get(f"/api/v1/labels/{labels[0].public_id}").get_json()
    assert (
        body["id"] == labels[0].public_id
        and body["record"]["record"]["certificate_number"] == labels[0].certificate_number
    )
    missing = client.get("/api/v1/labels/AAAAAAAAAAAAAAAA")
    assert missing.status_code == 404 and "No label has the id" in missing.get_json()["message"]


def test_the_badge_always_shows_the_current_status(client, session, labels):
    label = labels[0]
    response = client.get(f"/badge/{label.public_id}.svg")
    assert response.status_code == 200 and response.content_type.startswith("image/svg+xml")
    assert "max-age=60" in response.headers["Cache-Control"] and response.headers["Access-Control-Allow-Origin"] == "*"
    svg = ET.fromstring(response.data)
    text = " ".join(svg.itertext())
    assert "有效 Valid" in text and f"{label.footprint.normalize():f} kg" in text
    label.status = LabelStatus.WITHDRAWN
    session.flush()
    withdrawn = " ".join(ET.fromstring(client.get(f"/badge/{label.public_id}.svg").data).itertext())
    assert "已撤销 Withdrawn" in withdrawn and "Valid" not in withdrawn
    assert client.get("/badge/AAAAAAAAAAAAAAAA.svg").status_code == 404
