"""The public label page a scanned QR code opens, the GS1 resolver, the JSON document, and what never leaks."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.applications.models import Statement
from registry.disclosure import pact, services
from registry.labels.models import Label, LabelStatus
from registry.labels.tokens import public_record
from registry.verifier import format as fmt
from tests.conftest import english, sign_in
from tests.disclosure.conftest import fill_confidential


@pytest.fixture
def labels(session):  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Label).order_by(Label.id)))


@pytest.fixture
def gtin_label(labels):  # type: ignore[no-untyped-def]
    return next(label for label in labels if label.product.gtin)


def test_the_page_shows_the_label_at_a_glance(client, session, labels):
    labels[1].scheme_version_id = labels[0].scheme_version_id  # two of one category, so its histogram is drawn
    session.flush()
    session.expire_all()
    totals = []
    for label in labels:
        response = client.get(f"/l/{label.public_id}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert label.product.name_en in page and label.certificate_number in page
        assert f"{label.footprint.normalize():f}" in page and "kg CO₂e" in page
        assert label.grade().name_en in page and label.body.name_en in page
        assert 'role="alert"' not in page  # valid: no banner
        assert "<svg" in page and "Over the life cycle" in page
        position = services.category(session, label)
        totals.append(position.total)
        histogram = re.search(r'<svg [^>]*class="chart chart-histogram">.*?</svg>', page, re.DOTALL)
        if position.total > 1:
            assert histogram, label.public_id
            chart = histogram.group(0)
            assert 'role="img"' in chart and 'aria-labelledby="category-title category-desc"' in chart
            assert len(re.findall(r'class="chart-bar chart-bar-marked"', chart)) == 1  # this product's bin only
            assert 'class="chart-marker"' in chart and "This product" in chart
            others = position.total - 1  # the product itself is not counted against itself
            assert f"Lower footprint than {position.percentile}% of the other {others} labelled product" in page
        else:
            assert histogram is None and "This is the only labelled product in its category so far." in page
    assert totals == [2, 2, 1]  # both cases were read


def test_the_page_is_cacheable_for_a_minute_with_a_strong_etag(client, labels):
    url = f"/l/{labels[0].public_id}"
    response = client.get(url)
    assert response.headers["Cache-Control"] in ("public, max-age=60", "max-age=60, public")
    assert {"Cookie", "Accept-Language"} <= {v.strip() for v in response.headers["Vary"].split(",")}
    assert not response.headers["ETag"].startswith("W/")
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_a_signed_in_reader_s_page_is_never_cached_by_shared_caches(client, labels):
    sign_in(client, "regulator@example.com")
    response = client.get(f"/l/{labels[0].public_id}")
    assert response.status_code == 200 and "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (LabelStatus.SUSPENDED, "This label is suspended"),
        (LabelStatus.WITHDRAWN, "This label has been withdrawn"),
        (LabelStatus.CANCELLED, "This label has been cancelled"),
        (LabelStatus.EXPIRED, "This label has expired"),
    ],
)
def test_a_label_that_is_not_valid_gets_a_banner_no_one_can_miss(client, session, labels, status, title):
    label = labels[0]
    label.status = status
    session.flush()
    page = client.get(f"/l/{label.public_id}").get_data(as_text=True)
    banner = re.search(r'<div class="status-banner[^"]*" role="alert">(.*?)</div>', page, re.DOTALL)
    assert banner and title in banner.group(1)


def test_a_superseded_label_links_to_the_product_s_current_one(client, session, labels):
    old = labels[0]
    newer = labels[1]
    newer.product_id = old.product_id  # two labels of one product: the newer one is current
    newer.issued_at = old.issued_at + timedelta(days=1)
    old.status = LabelStatus.SUPERSEDED
    session.flush()
    page = client.get(f"/l/{old.public_id}").get_data(as_text=True)
    assert "This label has been replaced" in page
    assert f'href="/l/{newer.public_id}"' in page and newer.certificate_number in page


def test_the_gs1_resolver_shows_the_product_s_current_label(client, session, labels, gtin_label):
    old = next(label for label in labels if label is not gtin_label)
    old.product_id = gtin_label.product_id  # two labels of one product: the newer one is current
    old.issued_at = gtin_label.issued_at - timedelta(days=1)
    old.status = LabelStatus.SUPERSEDED
    session.flush()
    gtin = gtin_label.product.gtin
    for path in (f"/01/{gtin}", f"/01/{gtin}/10/LOT42", f"/01/{gtin}/21/SN9", f"/01/{gtin}/10/LOT42/21/SN9"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert gtin_label.certificate_number in page
        # The page is the newer label's; the old one appears only as a link in the product's history.
        title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
        assert (
            title and gtin_label.certificate_number in title.group(1) and old.certificate_number not in title.group(1)
        )
        assert f"<dd><code>{gtin_label.certificate_number}</code></dd>" in page
        assert f"<dd><code>{old.certificate_number}</code></dd>" not in page
        assert 'role="alert"' not in page  # the current label is valid: no "replaced" banner
        assert f'href="/l/{old.public_id}"' in page  # the old label is still listed, as history


def test_shorter_gtin_forms_redirect_to_the_gtin_14_address(client, gtin_label):
    gtin = gtin_label.product.gtin
    assert gtin.startswith("0"), "the demo GTINs are GTIN-13 padded to 14"
    response = client.get(f"/01/{gtin[1:]}/10/LOT1")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/01/{gtin}/10/LOT1")


@pytest.mark.parametrize(
    "path", ["/01/12345678901234", "/01/00000000000000x", "/01/abc", "/l/AAAAAAAAAAAAAAAA", "/l/x"]
)
def test_unknown_identifiers_get_a_helpful_404_with_a_search_box(client, path):
    response = client.get(path)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "No label found" in page and 'role="search"' in page and 'name="q"' in page


def test_the_search_box_finds_a_label_by_certificate_number_label_id_or_gtin(client, gtin_label):
    assert (
        client.get("/lookup", query_string={"q": gtin_label.certificate_number.lower()})
        .headers["Location"]
        .endswith(f"/l/{gtin_label.public_id}")
    )
    assert (
        client.get("/lookup", query_string={"q": gtin_label.public_id})
        .headers["Location"]
        .endswith(f"/l/{gtin_label.public_id}")
    )
    assert (
        client.get("/lookup", query_string={"q": gtin_label.product.gtin[1:]})
        .headers["Location"]
        .endswith(f"/01/{gtin_label.product.gtin}")
    )
    assert client.get("/lookup", query_string={"q": "nothing-like-this"}).status_code == 404


def test_the_json_document_is_the_signed_public_record(client, labels):
    for label in labels:
        response = client.get(f"/l/{label.public_id}.json")
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        document = response.get_json()
        claims = fmt.parse_claims(fmt.decode_sign1(label.token).payload)
        # Anyone can recompute the hash the token signs from the published record.
        assert fmt.record_hash(document["record"]) == claims.record_hash
        assert document["record"] == json.loads(json.dumps(public_record(label)))
        assert document["status"] == label.status.value and document["qr_url"].endswith(label.token)


def test_the_page_carries_json_ld_and_open_graph(client, gtin_label):
    page = client.get(f"/l/{gtin_label.public_id}").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1))
    assert data["@type"] == "Product" and data["gtin14"] == gtin_label.product.gtin
    assert data["hasCertification"]["identifier"] == gtin_label.certificate_number
    assert '<meta property="og:title"' in page


def test_the_page_reads_in_chinese(app, labels):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get(f"/l/{labels[0].public_id}").get_data(as_text=True)
    assert labels[0].product.name_zh in page and "证书编号" in page and "生命周期" in page


MARKER = "CONFIDENTIAL-MARKER-7f3a"


def test_no_confidential_field_reaches_any_public_output(client, session, labels):
    """Fill every confidential field of the labels' files with a marker, then read everything public: pages,
    JSON, PACT, API, badge, widget, catalogue, comparison, organisation pages, statistics and its CSV."""
    application_ids = [label.application_id for label in labels]
    fill_confidential(session, application_ids, MARKER)
    for statement in session.scalars(select(Statement).where(Statement.application_id.in_(application_ids))):
        assert statement.summary  # the summary is public by design (docs/public-data.md)
    labels[1].scheme_version_id = labels[0].scheme_version_id  # two of one scheme, so the comparison is shown
    session.flush()
    session.expire_all()
    compare = "/compare?" + "&".join(f"id={label.public_id}" for label in labels[:2])
    expected = dict.fromkeys(
        (
            "/catalogue",
            "/catalogue?sort=footprint",
            "/statistics",
            "/statistics.csv",
            "/api/v1/labels?limit=100",
            "/developers",
            compare,
        ),
        200,
    )
    for label in labels:
        expected.update(
            dict.fromkeys(
                (
                    f"/l/{label.public_id}",
                    f"/l/{label.public_id}.json",
                    f"/api/v1/labels/{label.public_id}",
                    f"/badge/{label.public_id}.svg",
                    f"/embed/{label.public_id}",
                    f"/l/{label.public_id}/status",
                    f"/enterprises/{label.holder.uscc}",
                    f"/bodies/{label.body.body_code}",
                ),
                200,
            )
        )
        expected[f"/l/{label.public_id}/pact.json"] = 200 if pact.representable(label) else 404  # PACT has no kW
        if label.product.gtin:
            expected[f"/01/{label.product.gtin}"] = 200
    public = {}
    for url, status in expected.items():
        response = english(client).get(url)
        assert response.status_code == status, url
        public[url] = response.get_data(as_text=True)
    assert labels[1].certificate_number in public[compare]  # the comparison itself was read
    everything = "\n".join(public.values())
    assert MARKER not in everything
    assert "@example.com" not in everything  # no personal data (staff e-mails)
    assert "primary_share" not in everything and "primaryDataShare" not in everything


def test_every_label_document_validates_against_the_published_schema(client, labels):
    """jsonschema, an independent validator, checks the documents against the schema the registry publishes."""
    import jsonschema

    schema_response = client.get("/schemas/label-v1.json")
    assert schema_response.status_code == 200 and schema_response.content_type == "application/schema+json"
    schema = schema_response.get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for label in labels:
        document = client.get(f"/l/{label.public_id}.json").get_json()
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, [error.message for error in errors]
    # And the schema does reject what it should: a document that lost its hash, or gained a private field.
    broken = {**document, "record_hash": "nope"}
    assert list(validator.iter_errors(broken))
    leaky = {**document, "record": {**document["record"], "activity_lines": []}}
    assert list(validator.iter_errors(leaky))


@pytest.mark.parametrize(
    "footprints",
    [
        ["10", "20.5", "31"],
        ["62.4", "62.4", "62.4"],
        ["0.000001", "0.000002", "0.000003"],
        ["1", "1000000", "5000.25"],
        ["12.5", "12.5", "80"],
    ],
)
def test_the_category_counted_in_sql_matches_the_chart_module(session, labels, footprints):
    """The label page counts its category in SQL (it may hold a million labels); the result must be what the
    chart module computes from the values themselves."""
    from decimal import Decimal

    from registry.disclosure import charts, services

    version_id = labels[0].scheme_version_id
    for label, value in zip(labels, footprints, strict=False):
        label.scheme_version_id = version_id
        label.footprint = Decimal(value)
    session.flush()
    session.expire_all()
    values = [Decimal(value) for value in footprints]
    for label in labels:
        position = services.category(session, label)
        assert position.total == len(values)
        assert charts.histogram_bins(position.distribution) == charts.histogram_bins(values)
        assert position.percentile == charts.percentile_rank(values, label.footprint)


def test_open_graph_title_writes_the_value_as_people_do(client, session, gtin_label):
    from decimal import Decimal

    gtin_label.footprint = Decimal("120")  # normalize() alone would print 1.2E+2
    session.flush()
    page = client.get(f"/l/{gtin_label.public_id}").get_data(as_text=True)
    assert re.search(r'<meta property="og:title" content="[^"]* · 120 kg CO₂e">', page)
