"""The public label page's SVG charts: the category histogram, the percentile sentence and the life-cycle bar.

Every chart is parsed as XML (so it is well-formed), searched for anything a strict Content-Security-Policy would
block, and measured: bins against counts, the marked bin against the value, segment widths against the stages.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings, strategies as st
from markupsafe import Markup

from registry.disclosure.charts import (
    BAR,
    BAR_MARKED,
    PALETTE,
    WIDTH,
    format_number,
    histogram_bins,
    histogram_svg,
    lifecycle_svg,
    percentile_rank,
)
from registry.svg import text_width

NS = "{http://www.w3.org/2000/svg}"
D = Decimal
HOSTILE = "<script>alert(\"x\")</script> & 'quotes' ]]> <!-- \x00\x1b"
# The plot area of the histogram (see charts._H_LEFT / _H_RIGHT); the tests check positions against it.
PLOT_LEFT, PLOT_RIGHT = 14.0, 306.0


def ds(*values: float | str) -> list[Decimal]:
    return [D(str(value)) for value in values]


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    root = ET.fromstring(str(markup))
    assert root.tag == f"{NS}svg"
    return root


def histogram(values: list[Decimal], marked: Decimal, **kwargs: object) -> ET.Element:
    options: dict[str, object] = {"title": "Footprints", "marked_label": "This product", "unit": "kg CO₂e"}
    options.update(kwargs)
    return parse(histogram_svg(values, marked, **options))  # type: ignore[arg-type]


def lifecycle(stages: list[tuple[str, Decimal]], **kwargs: object) -> ET.Element:
    options: dict[str, object] = {"title": "By stage", "unit": "kg CO₂e"}
    options.update(kwargs)
    return parse(lifecycle_svg(stages, **options))  # type: ignore[arg-type]


def bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{NS}rect") if "chart-bar" in rect.get("class", "").split()]


def marked_bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in bars(root) if "chart-bar-marked" in rect.get("class", "").split()]


def segments(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{NS}rect") if rect.get("class") == "chart-segment"]


def texts(root: ET.Element, css_class: str | None = None) -> list[str]:
    return [text.text or "" for text in root.iter(f"{NS}text") if css_class is None or text.get("class") == css_class]


def marker_tip_x(root: ET.Element) -> float:
    """The x of the marker triangle's tip (its third point)."""
    polygon = next(root.iter(f"{NS}polygon"))
    tip = polygon.get("points", "").split()[2]
    return float(tip.split(",")[0])


def assert_csp_safe(markup: Markup) -> None:
    """Nothing a strict CSP blocks and nothing that runs: no style attribute or element, no script, no handlers."""
    text = str(markup)
    assert not re.search(r"<\s*script", text, re.IGNORECASE)
    assert not re.search(r"\sstyle\s*=", text, re.IGNORECASE)
    root = ET.fromstring(text)
    for element in root.iter():
        assert element.tag not in (f"{NS}script", f"{NS}style", f"{NS}foreignObject")
        assert "style" not in element.attrib
        assert not any(name.lower().startswith("on") for name in element.attrib)
        assert not any("javascript:" in value.lower() for value in element.attrib.values())


def assert_accessible(root: ET.Element, prefix: str, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{prefix}-title {prefix}-desc"
    title_element = root.find(f"{NS}title")
    desc_element = root.find(f"{NS}desc")
    assert title_element is not None and title_element.get("id") == f"{prefix}-title"
    assert desc_element is not None and desc_element.get("id") == f"{prefix}-desc"
    assert title_element.text == title
    assert desc_element.text
    # The title comes first, as SVG requires for it to name its parent.
    assert next(iter(root)) is title_element


def assert_text_inside(root: ET.Element) -> None:
    """Every text, at its estimated (generous) width, lies within the viewBox horizontally."""
    width = float(root.get("viewBox", "").split()[2])
    for element in root.iter(f"{NS}text"):
        x, size = float(element.get("x", "0")), float(element.get("font-size", "0"))
        measured = text_width(element.text or "", size)
        left = {"start": x, "middle": x - measured / 2, "end": x - measured}[element.get("text-anchor", "start")]
        assert left >= -0.5 and left + measured <= width + 0.5, (element.text, left, measured)


# --- histogram_bins ------------------------------------------------------------------------------------------------

TWELVE = [D(i) for i in range(13)]  # 0..12: one bin per unit, the last holding 11 and 12


def test_bins_worked_example_with_edges_belonging_to_the_bin_above() -> None:
    result = histogram_bins(TWELVE)
    assert [(lower, upper) for lower, upper, _ in result] == [(D(i), D(i + 1)) for i in range(12)]
    # 1..10 sit on inner edges and count in the bin above; 12 is the top edge and counts in the last bin.
    assert [count for *_, count in result] == [1] * 11 + [2]


def test_bins_have_round_edges_and_counts_add_up() -> None:
    values = ds(61.37, 66.2583, 70.1, 72.9, 80.05, 93.4, 99.99, 64.0)
    result = histogram_bins(values)
    assert sum(count for *_, count in result) == len(values)
    assert 1 <= len(result) <= 12
    widths = {upper - lower for lower, upper, _ in result}
    assert widths == {D("4")}  # (99.99 - 61.37) / 12 = 3.2 rounds up to 4
    assert result[0][0] == D(60) and result[-1][1] == D(100)
    for lower, upper, _ in result:
        assert "E" not in f"{lower:f}{upper:f}" and "E" not in str(lower) + str(upper)


def test_bins_special_cases() -> None:
    assert histogram_bins([]) == []
    assert histogram_bins(ds(62.4)) == [(D("62.4"), D("62.4"), 1)]
    assert histogram_bins(ds(5, 5, 5)) == [(D(5), D(5), 3)]
    assert histogram_bins(ds(1, 7, 3), bins=1) == [(D(1), D(7), 3)]
    with pytest.raises(ValueError, match="bins must be at least 1"):
        histogram_bins(ds(1, 2), bins=0)
    with pytest.raises(ValueError, match="finite"):
        histogram_bins([D(1), D("NaN")])
    with pytest.raises(ValueError, match="finite"):
        histogram_bins([D(1), D("Infinity")])


def test_bins_over_a_huge_range_and_negative_values() -> None:
    values = ds("0.001", 5, 7, 1234567890)
    result = histogram_bins(values)
    assert sum(count for *_, count in result) == 4
    assert result[0][0] <= D("0.001") and result[-1][1] >= D(1234567890)
    assert result[0][2] == 3 and result[-1][2] == 1
    for lower, upper, _ in result:
        assert "E" not in str(lower) + str(upper)
    negative = histogram_bins(ds(-3.5, -1, 0, 2.25))
    assert negative[0][0] <= D("-3.5") and negative[-1][1] >= D("2.25")
    assert sum(count for *_, count in negative) == 4
    assert all(str(lower) != "-0" for lower, _, _ in negative)


decimals = st.decimals(min_value=D("-1e12"), max_value=D("1e12"), allow_nan=False, allow_infinity=False, places=4)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(decimals, min_size=1, max_size=60), bins=st.integers(min_value=1, max_value=30))
def test_bins_property(values: list[Decimal], bins: int) -> None:
    result = histogram_bins(values, bins=bins)
    assert 1 <= len(result) <= bins
    assert sum(count for *_, count in result) == len(values)
    assert result[0][0] <= min(values) and result[-1][1] >= max(values)
    for (_, upper, _), (lower, _, _) in pairwise(result):
        assert upper == lower  # contiguous
    assert len({upper - lower for lower, upper, _ in result}) == 1  # equal widths
    # Recount by the documented rule: lower <= v < upper, the last bin also holding its upper edge.
    for index, (lower, upper, count) in enumerate(result):
        last = index == len(result) - 1
        assert count == sum(1 for v in values if lower <= v < upper or (last and v == upper))


# --- percentile_rank -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "value", "expected"),
    [
        (ds(10, 20, 30, 40), D(20), 67),  # 30 and 40 are higher: 2 of the 3 others
        (ds(10, 20, 30), D(10), 100),  # both others are higher
        (ds(10, 20, 30), D(30), 0),  # the highest beats nobody
        (ds(10, 10, 20, 30), D(10), 67),  # a tie is not higher: 2 of 3 others
        (ds(1, 2, 3, 4, 5, 6, 7, 8), D(7), 14),  # 1 of 7 = 14.3
        (ds(1, 2, 3, 4, 5, 6, 7, 8), D(3), 71),  # 5 of 7 = 71.4
        (ds(1, 2, 3, 4, 5, 6, 7, 8, 9), D(6), 38),  # 3 of 8 = 37.5, rounded half up (not to even)
        (ds(5, 6, 7), D(1), 100),  # not itself in the list: counted as one more, every other value is higher
        ([D(i) for i in range(1, 251)], D(1), 100),  # the lowest of 250: all 249 others are higher
        ([D(i) for i in range(1, 251)], D(2), 99),  # 248 of 249 = 99.6, but never 100 while one is not higher
        ([], D(5), 0),
        (ds(5), D(5), 0),  # this product alone
        (ds(5), D(1), 0),  # one value: nothing to compare with
    ],
)
def test_percentile_rank_worked_examples(values: list[Decimal], value: Decimal, expected: int) -> None:
    assert percentile_rank(values, value) == expected


def test_percentile_rank_rejects_non_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        percentile_rank(ds(1, 2), D("NaN"))


# --- histogram_svg --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marked", "expected_bin"),
    [
        (D(0), 0),  # the minimum
        (D(12), 11),  # the maximum: on the top edge, in the last bin
        (D(5), 5),  # exactly on an inner edge: the bin above
        (D("4.999"), 4),  # just below that edge
        (D("5.5"), 5),
        (D(11), 11),  # the last inner edge
    ],
)
def test_the_bin_holding_the_marked_value_is_highlighted(marked: Decimal, expected_bin: int) -> None:
    root = histogram(TWELVE, marked)
    drawn = bars(root)
    assert len(drawn) == 12  # every bin of 0..12 holds a value, so bars and bins correspond one to one
    assert [rect.get("class") for rect in drawn].count("chart-bar chart-bar-marked") == 1
    assert drawn[expected_bin].get("class") == "chart-bar chart-bar-marked"
    assert drawn[expected_bin].get("fill") == BAR_MARKED
    assert all(rect.get("fill") == BAR for index, rect in enumerate(drawn) if index != expected_bin)
    # The marker stands at the value, on the scale 0..12 -> plot, and over the marked bar.
    expected_x = PLOT_LEFT + float(marked) / 12 * (PLOT_RIGHT - PLOT_LEFT)
    tip = marker_tip_x(root)
    assert tip == pytest.approx(expected_x, abs=0.01)
    bar = drawn[expected_bin]
    left, width = float(bar.get("x", "0")), float(bar.get("width", "0"))
    assert left - 1 <= tip <= left + width + 1
    assert "This product" in texts(root, "chart-marker-label")


def test_bars_are_proportional_to_counts() -> None:
    root = histogram(ds(1, 1, 1, 1, 2, 2, 3), D(2), bins=2)
    heights = [float(rect.get("height", "0")) for rect in bars(root)]
    assert len(heights) == 2
    assert heights[0] / heights[1] == pytest.approx(4 / 3, rel=0.01)
    tops = [float(rect.get("y", "0")) + float(rect.get("height", "0")) for rect in bars(root)]
    assert len(set(tops)) == 1  # one baseline


@pytest.mark.parametrize(("marked", "side"), [(D(-1), "left"), (D("12.001"), "right"), (D(500), "right")])
def test_a_product_outside_the_range_gets_an_arrow_at_the_edge(marked: Decimal, side: str) -> None:
    root = histogram(TWELVE, marked)
    assert marked_bars(root) == []
    label = texts(root, "chart-marker-label")
    assert len(label) == 1 and "This product" in label[0] and format_number(marked) in label[0]
    arrow = [float(point.split(",")[0]) for point in next(root.iter(f"{NS}polygon")).get("points", "").split()]
    if side == "left":
        assert max(arrow) < PLOT_LEFT and arrow[0] < arrow[1]  # in the left margin, tip pointing left
    else:
        assert min(arrow) > PLOT_RIGHT and arrow[0] > arrow[1]
    assert_text_inside(root)


def test_a_single_value_and_all_equal_values() -> None:
    for values in (ds(62.4), ds(62.4, 62.4, 62.4)):
        markup = histogram_svg(values, D("62.4"), title="T", marked_label="This product", unit="kg CO₂e")
        root = parse(markup)
        assert len(bars(root)) == 1 and len(marked_bars(root)) == 1
        assert texts(root, "chart-axis-label") == ["62.4 kg CO₂e"]
        assert_csp_safe(markup)
        assert_text_inside(root)
    # A different product in a category of one: outside, arrow to the right.
    root = histogram(ds(62.4), D(70))
    assert marked_bars(root) == [] and "70" in texts(root, "chart-marker-label")[0]


def test_an_empty_category_gives_no_chart() -> None:
    result = histogram_svg([], D(5), title="T", marked_label="This product", unit="kg")
    assert isinstance(result, Markup) and result == Markup("") and not result


def test_the_histogram_is_labelled_and_summarised() -> None:
    values = ds(36.6, 50, 62.4, 86.8)
    markup = histogram_svg(
        values,
        D("62.4"),
        title="Footprints of the category",
        marked_label="This product",
        unit="kg CO₂e",
        id_prefix="category",
    )
    root = parse(markup)
    assert_accessible(root, "category", "Footprints of the category")
    desc = root.find(f"{NS}desc")
    assert desc is not None
    assert desc.text == "4 products, from 36.6 to 86.8 kg CO₂e. This product: 62.4 kg CO₂e."
    assert root.get("width") == "100%" and root.get("viewBox") == "0 0 320 120"
    assert texts(root, "chart-axis-label") == ["36.6 kg CO₂e", "86.8 kg CO₂e"]
    assert_csp_safe(markup)
    assert_text_inside(root)
    # A page in another language passes its own summary.
    chinese = parse(
        histogram_svg(values, D("62.4"), title="同类", marked_label="本产品", unit="kg CO₂e", desc="共 4 个产品")
    )
    assert chinese.find(f"{NS}desc").text == "共 4 个产品"  # type: ignore[union-attr]


def test_a_huge_range_stays_readable() -> None:
    values = ds("0.001", 5, 7, 1234567890)
    markup = histogram_svg(values, D(5), title="T", marked_label="This product", unit="kg CO₂e per 1000 kg")
    root = parse(markup)
    labels = texts(root, "chart-axis-label")
    assert labels[0].startswith("0.001") and labels[1].startswith("1.23×10⁹")
    assert len(marked_bars(root)) == 1
    assert_text_inside(root)
    assert_csp_safe(markup)


def test_long_labels_are_fitted_inside_the_chart() -> None:
    values = ds(1234567.891, 9876543.21)
    root = histogram(
        values,
        D("9876543.21"),
        marked_label="A very long marker label " * 4,
        unit="kilograms of carbon dioxide equivalent per declared unit",
    )
    assert_text_inside(root)
    root = histogram(
        ds(1, 2, 3),
        D(3),
        marked_label="本产品本产品本产品本产品本产品本产品本产品本产品本产品本产品本产品本产品本产品",
        unit="千克二氧化碳当量",
    )
    assert_text_inside(root)


def test_hostile_text_is_escaped_in_the_histogram() -> None:
    markup = histogram_svg(ds(1, 2, 3), D(2), title=HOSTILE, marked_label=HOSTILE, unit=HOSTILE, desc=HOSTILE)
    assert_csp_safe(markup)
    root = parse(markup)
    title = root.find(f"{NS}title")
    assert title is not None and title.text is not None
    # Control characters are dropped (XML cannot carry them), the rest arrives as text, not markup.
    assert title.text.startswith("<script>alert(\"x\")</script> & 'quotes'")
    assert "&lt;script&gt;" in str(markup)
    assert any("<script>" in text for text in texts(root))


def test_ids_are_unique_with_different_prefixes_and_checked() -> None:
    page = (
        "<div>"
        + "".join(
            [
                str(histogram_svg(ds(1, 2), D(1), title="A", marked_label="m", unit="u", id_prefix="category")),
                str(histogram_svg(ds(1, 2), D(2), title="B", marked_label="m", unit="u", id_prefix="history")),
                str(lifecycle_svg([("a", D(1))], title="C", unit="u", id_prefix="lifecycle")),
            ]
        )
        + "</div>"
    )
    ids = [element.get("id") for element in ET.fromstring(page).iter() if element.get("id")]
    assert len(ids) == 6 and len(set(ids)) == 6
    # The default prefixes differ between the two chart kinds.
    defaults = [
        parse(histogram_svg(ds(1), D(1), title="A", marked_label="m", unit="u")),
        parse(lifecycle_svg([("a", D(1))], title="C", unit="u")),
    ]
    default_ids = [element.get("id") for root in defaults for element in root.iter() if element.get("id")]
    assert len(set(default_ids)) == 4
    for bad in ("", "1abc", 'a"b', "a b", "<x>"):
        with pytest.raises(ValueError, match="id_prefix"):
            histogram_svg(ds(1), D(1), title="A", marked_label="m", unit="u", id_prefix=bad)
        with pytest.raises(ValueError, match="id_prefix"):
            lifecycle_svg([("a", D(1))], title="C", unit="u", id_prefix=bad)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(decimals, min_size=1, max_size=40), marked=decimals, bins=st.integers(1, 20))
def test_histogram_property(values: list[Decimal], marked: Decimal, bins: int) -> None:
    markup = histogram_svg(values, marked, bins=bins, title="T", marked_label="This product", unit="kg")
    root = parse(markup)
    result = histogram_bins(values, bins=bins)
    assert len(bars(root)) == sum(1 for *_, count in result if count)
    inside = result[0][0] <= marked <= result[-1][1]
    holding = [
        index
        for index, (lower, upper, count) in enumerate(result)
        if lower <= marked < upper or (index == len(result) - 1 and marked == upper)
    ]
    expected_marked = 1 if inside and holding and result[holding[0]][2] > 0 else 0
    assert len(marked_bars(root)) == expected_marked
    assert len(texts(root, "chart-marker-label")) == 1
    assert_text_inside(root)


# --- lifecycle_svg --------------------------------------------------------------------------------------------------

STAGES = [
    ("Raw materials", D(3)),
    ("Manufacturing", D(1)),
    ("Use", D(0)),
    ("Recycling credit", D(-2)),
    ("End of life", D(4)),
]


def test_segments_are_proportional_and_fill_the_bar() -> None:
    root = lifecycle(STAGES)
    drawn = segments(root)
    assert len(drawn) == 3  # zero and negative stages have no segment
    widths = [float(rect.get("width", "0")) for rect in drawn]
    assert widths == pytest.approx([120, 40, 160], abs=0.01)  # 3, 1 and 4 of 8
    assert sum(widths) == pytest.approx(WIDTH, abs=0.01 * len(widths))
    lefts = [float(rect.get("x", "0")) for rect in drawn]
    assert lefts[0] == 0
    for (left, next_left), width in zip(pairwise(lefts), widths, strict=False):  # the last has no next
        assert left + width == pytest.approx(next_left, abs=0.011)
    # Each stage keeps its colour by position, so legend and bar agree; the colours differ.
    assert [rect.get("fill") for rect in drawn] == [PALETTE[0], PALETTE[1], PALETTE[4]]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.decimals(min_value=D("-50"), max_value=D("1e9"), places=3), min_size=1, max_size=12))
def test_segment_widths_property(values: list[Decimal]) -> None:
    root = lifecycle([(f"Stage {index}", value) for index, value in enumerate(values)])
    positive = [value for value in values if value > 0]
    widths = [float(rect.get("width", "0")) for rect in segments(root)]
    assert len(widths) == len(positive)
    if positive:
        total = sum(positive)
        assert sum(widths) == pytest.approx(WIDTH, abs=0.01 * len(widths))
        for width, value in zip(widths, positive, strict=True):
            assert width == pytest.approx(float(value / total) * WIDTH, abs=0.02)
    assert_text_inside(root)


def test_thirds_add_up_to_the_bar_exactly() -> None:
    widths = [float(rect.get("width", "0")) for rect in segments(lifecycle([("a", D(1)), ("b", D(1)), ("c", D(1))]))]
    assert widths == pytest.approx([106.67, 106.66, 106.67], abs=0.001)
    assert sum(widths) == pytest.approx(WIDTH, abs=1e-6)


def test_the_legend_lists_every_stage_with_value_and_share() -> None:
    markup = lifecycle_svg(STAGES, title="By stage", unit="kg CO₂e", total_label="Total")
    root = parse(markup)
    rows = [group for group in root.iter(f"{NS}g") if "chart-legend-row" in group.get("class", "")]
    assert len(rows) == len(STAGES)
    cells = [[text.text for text in row.iter(f"{NS}text")] for row in rows]
    assert cells == [
        ["Raw materials", "3", "38%"],  # 3 of 8 = 37.5
        ["Manufacturing", "1", "13%"],  # 12.5
        ["Use", "0", "0%"],
        ["Recycling credit", "−2", "–"],  # listed, no share
        ["End of life", "4", "50%"],
    ]
    assert "chart-legend-negative" in rows[3].get("class", "")
    swatch = rows[3].find(f"{NS}rect")
    assert swatch is not None and swatch.get("fill") == "#ffffff" and swatch.get("stroke-dasharray")
    notes = texts(root, "chart-note")
    assert notes and "Negative values" in " ".join(notes)
    total = [
        text.text
        for group in root.iter(f"{NS}g")
        if group.get("class") == "chart-legend-total"
        for text in group.iter(f"{NS}text")
    ]
    assert total == ["Total", "6"]  # net: 3 + 1 + 0 - 2 + 4
    assert texts(root, "chart-legend-head") == ["kg CO₂e", "%"]
    assert_accessible(root, "lc", "By stage")
    desc = root.find(f"{NS}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("Raw materials: 3 kg CO₂e (38%); Manufacturing: 1 kg CO₂e (13%)")
    assert "Recycling credit: −2 kg CO₂e;" in desc.text
    assert_csp_safe(markup)
    assert_text_inside(root)


def test_no_note_without_negatives_and_a_translated_note() -> None:
    root = lifecycle([("a", D(2)), ("b", D(1))])
    assert texts(root, "chart-note") == []
    root = lifecycle([("a", D(2)), ("b", D(-1))], negative_note="负值（抵扣）未计入条形图。")
    assert texts(root, "chart-note") == ["负值（抵扣）未计入条形图。"]


def test_tiny_shares_and_labels_inside_segments() -> None:
    root = lifecycle([("big", D(999)), ("tiny", D(1))])
    rows = [
        [text.text for text in group.iter(f"{NS}text")]
        for group in root.iter(f"{NS}g")
        if "chart-legend-row" in group.get("class", "")
    ]
    assert rows == [["big", "999", "100%"], ["tiny", "1", "<1%"]]
    # The wide segment carries its share, the sliver does not.
    assert texts(root, "chart-segment-label") == ["100%"]


@pytest.mark.parametrize("stages", [[("a", D(0)), ("b", D(0))], [("credit", D(-3))], [("a", D(0)), ("b", D(-1))]])
def test_no_positive_stage_draws_an_empty_bar(stages: list[tuple[str, Decimal]]) -> None:
    markup = lifecycle_svg(stages, title="T", unit="kg")
    root = parse(markup)
    assert segments(root) == []
    outline = [rect for rect in root.iter(f"{NS}rect") if "chart-bar-empty" in rect.get("class", "")]
    assert len(outline) == 1 and outline[0].get("fill") == "none"
    assert all(
        text == "–"
        for row in root.iter(f"{NS}g")
        if "chart-legend-row" in row.get("class", "")
        for text in [list(row.iter(f"{NS}text"))[-1].text]
    )
    assert_csp_safe(markup)


def test_no_stages_gives_no_chart() -> None:
    assert lifecycle_svg([], title="T", unit="kg") == Markup("")


def test_hostile_stage_names_are_escaped() -> None:
    markup = lifecycle_svg(
        [(HOSTILE, D(1)), ("<img src=x onerror=alert(1)>", D(-1))],
        title=HOSTILE,
        unit=HOSTILE,
        total_label=HOSTILE,
        negative_note=HOSTILE,
    )
    assert_csp_safe(markup)
    assert "<img" not in str(markup)
    root = parse(markup)
    joined = " ".join(texts(root))
    assert "<script>" in joined or "<script" in joined  # shown as text
    assert "onerror" in (root.find(f"{NS}desc").text or "")  # type: ignore[union-attr]


def test_long_and_chinese_stage_names_wrap_inside_the_chart() -> None:
    stages = [
        ("Raw material acquisition and pre-processing including upstream transport", D("41.2")),
        ("原材料获取与预处理（包括上游运输和包装材料的生产）", D("12.5")),
        ("Distribution", D("1234567.5")),
    ]
    root = lifecycle(stages)
    assert_text_inside(root)
    first_row = next(group for group in root.iter(f"{NS}g") if "chart-legend-row" in group.get("class", ""))
    assert len(list(first_row.iter(f"{NS}text"))) == 4  # two name lines, value, share
    height = float(root.get("viewBox", "").split()[3])
    last_y = max(float(text.get("y", "0")) for text in root.iter(f"{NS}text"))
    assert last_y < height  # the viewBox grows with the legend


def test_more_stages_than_colours_still_renders() -> None:
    root = lifecycle([(f"Stage {i}", D(i + 1)) for i in range(10)])
    fills = [rect.get("fill") for rect in segments(root)]
    assert len(fills) == 10 and len(set(fills[:8])) == 8
    assert all(fill in PALETTE for fill in fills)


# --- number formatting ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0", "0"),
        ("62.4", "62.4"),
        ("62.40", "62.4"),
        ("1234.56", "1,235"),
        ("1850", "1,850"),
        ("-4.3", "−4.3"),
        ("0.0123456", "0.01235"),
        ("9999999.6", "10,000,000"),
        ("1234567890", "1.23×10⁹"),
        ("0.00001234", "1.23×10⁻⁵"),
        ("99960000", "1×10⁸"),
    ],
)
def test_format_number(value: str, text: str) -> None:
    assert format_number(D(value)) == text
