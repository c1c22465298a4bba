"""Server-rendered, accessible SVG charts for the public label page.

The charts are inline ``<svg>`` elements in the HTML page, drawn here in Python so that a shopper's phone shows
them without JavaScript. They obey the page's strict Content-Security-Policy: no ``<script>``, no ``style=``
attribute and no ``<style>`` element; colours and sizes are SVG presentation attributes (``fill=``,
``font-size=``), which a stylesheet may still override through the ``chart-*`` classes. Fonts are not set: the
text inherits the page's font.

Each chart has a fixed ``viewBox`` 320 units wide and ``width="100%"`` (no height, so browsers keep the aspect
ratio): at phone width one unit is about one CSS pixel, so the 10-11 unit text reads at 10-12 px. On wide screens
the page's CSS should cap the width (e.g. ``max-width: 32rem``), otherwise the text grows with the chart.

Accessibility: ``role="img"`` with ``aria-labelledby`` naming the ``<title>`` and the ``<desc>``; the ids are
``{id_prefix}-title`` and ``{id_prefix}-desc``, so two charts on one page need two prefixes. The page shows the
same numbers in a table beside the chart (``histogram_bins`` gives the histogram's rows).

All numbers are ``Decimal``; every caller-supplied text is cleaned (control and invisible characters removed)
and escaped. Coordinates are floats rounded to 0.01 unit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from markupsafe import Markup, escape

from registry.svg import clean, ink_on, svg_number, text_width, truncate, wrap

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 320

# Site colours (static/css/registry.css) and the chart's own.
INK = "#17211b"
MUTED = "#5b6b61"
LINE = "#8a9a90"
WHITE = "#ffffff"
BAR = "#8ea596"  # the category's other bins: 3:1 against white (WCAG 1.4.11)
BAR_MARKED = "#134d2c"  # the bin holding this product: dark, so it differs from BAR in lightness, not only hue

# Okabe-Ito, the colour-blind-safe palette (Okabe & Ito 2008), ordered so that neighbouring segments differ
# strongly in lightness as well as hue. More than eight stages reuse colours; segments keep a white gap.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#F0E442", "#CC79A7", "#000000")

# Coordinates and sizes are written to 0.01 unit.
_PLACES = 2
# A Decimal context wide enough that no footprint or bin edge is ever rounded in the arithmetic here.
_PRECISION = 100
# Round bin widths: these times a power of ten.
_NICE_STEPS = tuple(Decimal(step) for step in ("1", "1.5", "2", "2.5", "3", "4", "5", "6", "8"))
_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
MINUS = "\u2212"
# Maps a value to its x coordinate in the histogram.
_XOf = Callable[[Decimal], float]

DEFAULT_NEGATIVE_NOTE = (
    "Negative values (credits) are listed but not drawn in the bar; percentages are shares of the positive stages."
)


# --- Numbers ---------------------------------------------------------------------------------------------------


def format_number(value: Decimal, significant: int = 4) -> str:
    """A value as shown in a chart: at most ``significant`` significant digits but never fewer than its integer
    digits, thousands grouped ("1,235", "62.4", "0.01235"), a true minus sign; beyond 10⁷ or below 10⁻⁴ as
    "1.23×10⁹". The page's tables show the exact values."""
    _require_finite(value)
    if value == 0:
        return "0"
    with localcontext() as context:
        context.prec = _PRECISION
        sign = MINUS if value < 0 else ""
        magnitude = abs(value)
        exponent = magnitude.adjusted()
        if exponent >= 7 or exponent < -4:
            mantissa = magnitude.scaleb(-exponent).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if mantissa >= 10:  # 9.996 rounds up to 10.00
                mantissa, exponent = mantissa / 10, exponent + 1
            return f"{sign}{_plain(mantissa):f}×10{str(exponent).translate(_SUPERSCRIPT)}"
        digits = max(significant, exponent + 1)
        rounded = magnitude.quantize(Decimal(1).scaleb(exponent + 1 - digits), ROUND_HALF_UP)
        return f"{sign}{_plain(rounded):,f}"


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros or exponent notation (``Decimal("1E+1")`` becomes ``Decimal("10")``), and
    never a negative zero, so ``'{:f}'.format(...)`` prints it as a person writes it."""
    with localcontext() as context:
        context.prec = _PRECISION
        if value == 0:
            return Decimal(0)
        normal = value.normalize()
        exponent = normal.as_tuple().exponent  # an int: the value is finite
        return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def _require_finite(value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"a chart needs finite Decimal values, not {value!r}")


def _finite(values: Iterable[Decimal]) -> list[Decimal]:
    data = list(values)
    for value in data:
        _require_finite(value)
    return data


def _percent(part: Decimal, whole: Decimal) -> str:
    """A share for the legend: whole per cent, "<1%" for a share that would round to nothing."""
    with localcontext() as context:
        context.prec = _PRECISION
        share = part * 100 / whole
        if 0 < share < Decimal("0.5"):
            return "<1%"
        return f"{int(share.quantize(Decimal(1), ROUND_HALF_UP))}%"


# --- Histogram ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """Equal bins from ``start``: bin i holds ``start + i·width <= v < start + (i+1)·width``, the last bin also
    its upper edge. ``width == 0`` is the degenerate grid of a category whose values are all equal."""

    start: Decimal
    width: Decimal
    count: int

    @property
    def end(self) -> Decimal:
        with localcontext() as context:
            context.prec = _PRECISION
            return self.start + self.width * self.count

    def edge(self, index: int) -> Decimal:
        with localcontext() as context:
            context.prec = _PRECISION
            return self.start + self.width * index

    def index(self, value: Decimal) -> int | None:
        """The bin holding ``value``, or None when it lies outside every bin."""
        if value < self.start or value > self.end:
            return None
        if self.width == 0:
            return 0
        with localcontext() as context:
            context.prec = _PRECISION
            position = ((value - self.start) / self.width).to_integral_value(ROUND_FLOOR)
        return min(int(position), self.count - 1)


def _grid(low: Decimal, high: Decimal, bins: int) -> _Grid:
    """At most ``bins`` bins of a round width (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) with edges on
    multiples of that width, covering ``low``..``high``: the table then reads "60 – 65", not "61.37 – 66.2583".
    Usually ``bins`` or a few fewer."""
    if low == high:
        return _Grid(low, Decimal(0), 1)
    with localcontext() as context:
        context.prec = _PRECISION
        if bins == 1:
            return _Grid(low, high - low, 1)
        raw = (high - low) / bins
        exponent = raw.adjusted()
        # Each step is at least `raw`, so at most bins + 1 bins are needed; once the width reaches the whole range
        # (within log10(bins) + 1 decades) at most 2 are, so the search always ends.
        for decade in range(exponent, exponent + len(str(bins)) + 3):
            for step in _NICE_STEPS:
                width = step.scaleb(decade)
                if width < raw:
                    continue
                start = (low / width).to_integral_value(ROUND_FLOOR) * width
                count = max(1, int(((high - start) / width).to_integral_value(ROUND_CEILING)))
                if count <= bins:
                    return _Grid(start, width, count)
    raise AssertionError("unreachable: a width of the whole range always fits")  # pragma: no cover


def _histogram(values: Sequence[Decimal], bins: int) -> tuple[_Grid, list[int]]:
    grid = _grid(min(values), max(values), bins)
    counts = [0] * grid.count
    for value in values:
        index = grid.index(value)
        assert index is not None
        counts[index] += 1
    return grid, counts


@dataclass(frozen=True)
class Distribution:
    """A histogram counted elsewhere (in SQL, for categories of a million labels): the smallest and largest
    value, the number of values, and the count in each bin of ``grid(low, high, bins)``."""

    low: Decimal
    high: Decimal
    total: int
    grid: _Grid
    counts: tuple[int, ...]


def grid(low: Decimal, high: Decimal, bins: int = 12) -> _Grid:
    """The bins ``histogram_bins`` uses for values from ``low`` to ``high``, for callers that count elsewhere:
    bin i holds ``grid.edge(i) <= v < grid.edge(i + 1)`` (the last bin also its upper edge)."""
    return _grid(low, high, bins)


def _data_of(values: list[Decimal] | Distribution, bins: int) -> tuple[_Grid, list[int], Decimal, Decimal, int] | None:
    if isinstance(values, Distribution):
        if values.total == 0:
            return None
        return values.grid, list(values.counts), values.low, values.high, values.total
    data = _finite(values)
    if not data:
        return None
    found_grid, counts = _histogram(data, bins)
    return found_grid, counts, min(data), max(data), len(data)


def percent_higher(higher: int, total: int) -> int:
    """``percentile_rank`` from counts: ``higher`` of the ``total`` values (this product included) are higher; the
    share is of the others, ``total - 1``, so a product is not counted against itself."""
    others = total - 1
    if others < 1:
        return 0
    with localcontext() as context:
        context.prec = _PRECISION
        share = int((Decimal(100 * higher) / others).quantize(Decimal(1), ROUND_HALF_UP))
    return share if higher >= others else min(share, 99)


def histogram_bins(values: list[Decimal] | Distribution, *, bins: int = 12) -> list[tuple[Decimal, Decimal, int]]:
    """``(lower, upper, count)`` per bin, lowest first; the counts add up to ``len(values)``.

    The bins have equal, round widths (see ``_grid``), so there are at most ``bins`` of them, usually ``bins`` or a
    few fewer; the first starts at or below the smallest value and the last ends at or above the largest. A value
    on an inner edge belongs to the bin above it; the largest value always lies in the last bin. Empty bins
    between others are included (they are part of the distribution's shape). All values equal: one bin
    ``(v, v, n)``. No values: ``[]``. Edges are plain Decimals (no exponent, no trailing zeros)."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    found = _data_of(values, bins)
    if found is None:
        return []
    grid, counts = found[0], found[1]
    if grid.width == 0:
        return [(_plain(grid.start), _plain(grid.start), counts[0])]
    return [(_plain(grid.edge(i)), _plain(grid.edge(i + 1)), count) for i, count in enumerate(counts)]


def percentile_rank(values: list[Decimal], value: Decimal) -> int:
    """ "This product has a lower footprint than N % of the other products of its category":
    ``100 · count(v > value) / (len(values) - 1)``, rounded half up to a whole per cent. ``values`` is the whole
    category, this product included (a value not among them is counted as if it were, as one more).

    Ties do not count (an equal footprint is not a higher one). Fewer than two values (no category, or this product
    alone) give 0: there is nothing to compare with. The result is 100 only when every other value is higher;
    otherwise it is capped at 99, so a product is never said to beat all the others when one is not higher."""
    _require_finite(value)
    data = _finite(values)
    if len(data) < 2:
        return 0
    total = len(data) if value in data else len(data) + 1
    return percent_higher(sum(1 for item in data if item > value), total)


# Histogram layout, in viewBox units.
_H_HEIGHT = 120
_H_LEFT, _H_RIGHT = 14.0, 306.0  # the plot; the margins hold the arrow of a product outside the range
_H_LABEL_Y = 11.0  # baseline of the marker's label
_H_TRIANGLE = (14.0, 21.0)  # top and tip of the marker's triangle
_H_BAR_TOP, _H_BASELINE = 26.0, 94.0
_H_TICK = 4.0
_H_AXIS_Y = 110.0  # baseline of the min / max labels
_H_FONT = 10.0
_H_MIN_FONT = 7.0
_H_MIN_BAR = 1.5  # a bin holding one product among thousands stays visible


def histogram_svg(
    values: list[Decimal] | Distribution,
    marked: Decimal,
    *,
    bins: int = 12,
    title: str,
    marked_label: str,
    unit: str,
    id_prefix: str = "hist",
    desc: str | None = None,
) -> Markup:
    """A histogram of the category's footprints (viewBox 320×120, ``width="100%"``), the bin holding ``marked``
    drawn dark and a marker (triangle and line) at ``marked`` labelled ``marked_label``; under the axis, the
    smallest and largest values with ``unit``.

    ``values`` empty: returns ``Markup("")`` (falsy), so the page can show its own sentence instead; the function
    has no words of its own to say "nothing to compare". One value, or all equal: a single bar in the middle.
    ``marked`` beyond the bins: no bin is highlighted and an arrow at that edge points outwards, labelled with
    ``marked_label`` and the value. ``desc`` is the ``<desc>`` text; the default is an English summary ("42
    products, from 12.3 to 98.7 kg CO₂e. This product: 62.4 kg CO₂e."), so a page in another language passes
    its own."""
    check_prefix(id_prefix)
    _require_finite(marked)
    if bins < 1:
        raise ValueError("bins must be at least 1")
    found = _data_of(values, bins)
    if found is None:
        return Markup("")
    title_text, label_text, unit_text = clean(title), clean(marked_label), clean(unit)
    grid, counts, low, high, total = found
    marked_bin = grid.index(marked)

    plot_width = _H_RIGHT - _H_LEFT
    if grid.width == 0:
        centre = (_H_LEFT + _H_RIGHT) / 2
        slot = min(plot_width / bins, 40.0)
        bin_edges = [centre - slot / 2, centre + slot / 2]

        def x_of(value: Decimal) -> float:
            return centre
    else:
        span = grid.end - grid.start

        def x_of(value: Decimal) -> float:
            with localcontext() as context:
                context.prec = _PRECISION
                return _H_LEFT + float((value - grid.start) / span) * plot_width

        bin_edges = [x_of(grid.edge(i)) for i in range(grid.count + 1)]

    parts: list[str] = []
    # Bars.
    tallest = max(counts)
    bar_area = _H_BASELINE - _H_BAR_TOP
    marked_top = _H_BASELINE  # top of the marked bin's bar, where the marker's line ends
    for index, count in enumerate(counts):
        if count == 0:
            continue
        left, right = bin_edges[index], bin_edges[index + 1]
        gap = 1.0 if right - left >= 4 else 0.0
        height = max(_H_MIN_BAR, bar_area * count / tallest)
        is_marked = index == marked_bin
        if is_marked:
            marked_top = _H_BASELINE - height
        parts.append(
            svg_element(
                "rect",
                x=left + gap / 2,
                y=_H_BASELINE - height,
                width=right - left - gap,
                height=height,
                fill=BAR_MARKED if is_marked else BAR,
                class_="chart-bar chart-bar-marked" if is_marked else "chart-bar",
            )
        )
    # Axis line and the min / max ticks and labels.
    parts.append(
        svg_element(
            "line",
            x1=_H_LEFT,
            y1=_H_BASELINE,
            x2=_H_RIGHT,
            y2=_H_BASELINE,
            stroke=LINE,
            stroke_width=1,
            class_="chart-axis",
        )
    )
    parts.extend(_axis_labels(low, high, x_of, unit_text))
    # The marker.
    parts.extend(_marker(marked, marked_bin, marked_top, grid, x_of, label_text, unit_text))

    if desc is None:
        products = "1 product" if total == 1 else f"{total} products"
        spread = (
            f"all {format_number(low)} {unit_text}"
            if low == high
            else f"from {format_number(low)} to {format_number(high)} {unit_text}"
        )
        desc = f"{products}, {spread}. {label_text}: {format_number(marked)} {unit_text}."
    return svg_root(
        parts, height=_H_HEIGHT, title=title_text, desc=clean(desc), id_prefix=id_prefix, kind="chart-histogram"
    )


def _axis_labels(low: Decimal, high: Decimal, x_of: _XOf, unit: str) -> list[str]:
    """Ticks under the smallest and largest values and their labels, the unit on both when it fits, else only on
    the largest, else smaller type."""
    suffix = f" {unit}" if unit else ""
    parts: list[str] = []
    x_low, x_high = x_of(low), x_of(high)
    for x in sorted({x_low, x_high}):
        parts.append(
            svg_element(
                "line",
                x1=x,
                y1=_H_BASELINE,
                x2=x,
                y2=_H_BASELINE + _H_TICK,
                stroke=LINE,
                stroke_width=1,
                class_="chart-axis",
            )
        )
    if low == high:
        text = format_number(low) + suffix
        size = min(_H_FONT, max(_H_MIN_FONT, _H_FONT * WIDTH / max(text_width(text, _H_FONT), 1)))
        parts.append(
            svg_text(
                truncate(text, size, WIDTH),
                x_low,
                _H_AXIS_Y,
                size=size,
                anchor="middle",
                fill=MUTED,
                class_="chart-axis-label",
            )
        )
        return parts
    options = [
        (format_number(low) + suffix, format_number(high) + suffix),
        (format_number(low), format_number(high) + suffix),
    ]
    gap = 8.0
    left_text, right_text = options[-1]
    size = _H_FONT
    for left_option, right_option in options:
        if text_width(left_option, _H_FONT) + text_width(right_option, _H_FONT) + gap <= WIDTH:
            left_text, right_text = left_option, right_option
            break
    else:
        needed = text_width(left_text, _H_FONT) + text_width(right_text, _H_FONT) + gap
        size = max(_H_MIN_FONT, _H_FONT * WIDTH / needed)
        right_text = truncate(right_text, size, WIDTH / 2 - gap / 2)
        left_text = truncate(left_text, size, WIDTH / 2 - gap / 2)
    left_width, right_width = text_width(left_text, size), text_width(right_text, size)
    # Under their ticks when there is room, else pushed out to the chart's edges.
    left_x = min(x_low, WIDTH - right_width - gap - left_width)
    right_x = max(x_high, left_x + left_width + gap + right_width)
    left_x, right_x = max(0.0, left_x), min(float(WIDTH), right_x)
    parts.append(
        svg_text(left_text, left_x, _H_AXIS_Y, size=size, anchor="start", fill=MUTED, class_="chart-axis-label")
    )
    parts.append(
        svg_text(right_text, right_x, _H_AXIS_Y, size=size, anchor="end", fill=MUTED, class_="chart-axis-label")
    )
    return parts


def _marker(
    marked: Decimal, marked_bin: int | None, bar_top: float, grid: _Grid, x_of: _XOf, label: str, unit: str
) -> list[str]:
    """A triangle at ``marked`` with its label above and a line down to the top of its bin's bar (crossing the
    dark bar would split it in two); beyond the bins, an arrow at that edge."""
    parts: list[str] = []
    top, tip = _H_TRIANGLE
    if marked_bin is not None:
        x = x_of(marked)
        if bar_top - tip > 6:
            parts.append(svg_element("line", x1=x, y1=tip, x2=x, y2=bar_top, stroke=INK, stroke_width=1.5))
        parts.append(svg_element("polygon", points=_points((x - 5, top), (x + 5, top), (x, tip)), fill=INK))
        text = truncate(label, _H_FONT, WIDTH)
        half = text_width(text, _H_FONT) / 2
        parts.append(
            svg_text(
                text,
                min(max(x, half), WIDTH - half),
                _H_LABEL_Y,
                size=_H_FONT,
                anchor="middle",
                fill=INK,
                weight="bold",
                class_="chart-marker-label",
            )
        )
    else:
        # Outside the bins: the value is part of the label, since the axis does not reach it.
        text = f"{label} ({format_number(marked)}{' ' + unit if unit else ''})".strip()
        middle = _H_LABEL_Y - 3.5
        room = WIDTH - 14.0
        text = truncate(text, _H_FONT, room)
        if marked < grid.start:
            parts.append(
                svg_element("polygon", points=_points((2, middle), (10, middle - 5), (10, middle + 5)), fill=INK)
            )
            parts.append(
                svg_text(
                    text,
                    13.0,
                    _H_LABEL_Y,
                    size=_H_FONT,
                    anchor="start",
                    fill=INK,
                    weight="bold",
                    class_="chart-marker-label",
                )
            )
        else:
            parts.append(
                svg_element(
                    "polygon",
                    points=_points((WIDTH - 2, middle), (WIDTH - 10, middle - 5), (WIDTH - 10, middle + 5)),
                    fill=INK,
                )
            )
            parts.append(
                svg_text(
                    text,
                    WIDTH - 13.0,
                    _H_LABEL_Y,
                    size=_H_FONT,
                    anchor="end",
                    fill=INK,
                    weight="bold",
                    class_="chart-marker-label",
                )
            )
    return [f'<g class="chart-marker">{"".join(parts)}</g>']


# --- Life-cycle bar ----------------------------------------------------------------------------------------------

# Layout, in viewBox units.
_L_BAR_Y, _L_BAR_HEIGHT = 2.0, 26.0
_L_FONT = 11.0
_L_SMALL = 10.0
_L_HEADER_Y = 48.0  # baseline of the legend's header row (the unit, "%")
_L_ROW_GAP = 8.0
_L_LINE = 14.0
_L_SWATCH = 12.0
_L_NAME_X = 18.0
_L_COLUMN_GAP = 12.0


def lifecycle_svg(
    stages: list[tuple[str, Decimal]],
    *,
    title: str,
    unit: str,
    id_prefix: str = "lc",
    desc: str | None = None,
    negative_note: str = DEFAULT_NEGATIVE_NOTE,
    total_label: str | None = None,
) -> Markup:
    """A horizontal bar the chart's full width split into the positive life-cycle stages, each segment one
    Okabe-Ito colour (its share printed inside when it fits), with a legend below: swatch, stage name (wrapped to
    two lines), value and share, under a header row naming ``unit`` and "%".

    Shares are of the sum of the positive stages, which is what the bar shows. A zero stage is listed at 0 % with
    no segment. A negative stage (an end-of-life credit, say) is listed with its value, a hollow swatch and no
    share, left out of the bar, and ``negative_note`` is printed under the legend (pass it translated; the default
    is English). ``total_label``, when given, adds a last row with the net total (credits included). With no
    positive stage the bar is an empty outline. No stages: ``Markup("")``. ``desc`` defaults to a
    language-neutral list "name: value unit (share)"."""
    check_prefix(id_prefix)
    rows = [(clean(name), value) for name, value in stages]
    for _, value in rows:
        _require_finite(value)
    if not rows:
        return Markup("")
    unit_text = clean(unit)
    with localcontext() as context:
        context.prec = _PRECISION
        positive_total = sum((value for _, value in rows if value > 0), Decimal(0))
        net_total = sum((value for _, value in rows), Decimal(0))
    has_negative = any(value < 0 for _, value in rows)
    shares = [_percent(value, positive_total) if positive_total > 0 and value >= 0 else "–" for _, value in rows]
    colours = [PALETTE[index % len(PALETTE)] for index in range(len(rows))]

    parts: list[str] = []
    # The bar: segment edges are rounded cumulative positions, so the widths add up to the bar exactly.
    if positive_total > 0:
        segments: list[str] = []
        separators: list[str] = []
        cumulative = Decimal(0)
        left = 0.0
        for (_, value), share, colour in zip(rows, shares, colours, strict=True):
            if value <= 0:
                continue
            with localcontext() as context:
                context.prec = _PRECISION
                cumulative += value
                right = round(float(cumulative / positive_total) * WIDTH, 2)
            width = round(right - left, 2)
            segments.append(
                svg_element(
                    "rect", x=left, y=_L_BAR_Y, width=width, height=_L_BAR_HEIGHT, fill=colour, class_="chart-segment"
                )
            )
            if width >= text_width(share, _L_SMALL) + 6:
                segments.append(
                    svg_text(
                        share,
                        left + width / 2,
                        _L_BAR_Y + _L_BAR_HEIGHT / 2 + 3.5,
                        size=_L_SMALL,
                        anchor="middle",
                        fill=ink_on(colour, "#000000", WHITE),
                        class_="chart-segment-label",
                    )
                )
            if left > 0:
                separators.append(
                    svg_element(
                        "line", x1=left, y1=_L_BAR_Y, x2=left, y2=_L_BAR_Y + _L_BAR_HEIGHT, stroke=WHITE, stroke_width=1
                    )
                )
            left = right
        parts.append(f'<g class="chart-bar">{"".join(segments + separators)}</g>')
    else:
        parts.append(
            svg_element(
                "rect",
                x=0.5,
                y=_L_BAR_Y + 0.5,
                width=WIDTH - 1,
                height=_L_BAR_HEIGHT - 1,
                fill="none",
                stroke=LINE,
                stroke_width=1,
                class_="chart-bar chart-bar-empty",
            )
        )

    # The legend: columns sized to their longest entry, the name column takes what is left.
    values = [format_number(value) for _, value in rows]
    total_text = format_number(net_total)
    share_width = max(text_width(text, _L_FONT) for text in [*shares, "%"])
    value_width = max(text_width(text, _L_FONT) for text in [*values, total_text, unit_text])
    share_right = float(WIDTH)
    value_right = share_right - share_width - _L_COLUMN_GAP
    name_width = max(40.0, value_right - value_width - _L_COLUMN_GAP - _L_NAME_X)

    legend: list[str] = [
        svg_text(
            unit_text, value_right, _L_HEADER_Y, size=_L_SMALL, anchor="end", fill=MUTED, class_="chart-legend-head"
        ),
        svg_text("%", share_right, _L_HEADER_Y, size=_L_SMALL, anchor="end", fill=MUTED, class_="chart-legend-head"),
    ]
    y = _L_HEADER_Y + _L_ROW_GAP  # top of the next row
    for (name, value), value_text, share, colour in zip(rows, values, shares, colours, strict=True):
        lines = wrap(name, _L_FONT, name_width, 2) if name else [""]
        baseline = y + _L_LINE - 3
        if value < 0:
            # Hollow and dashed: a credit has no segment in the bar.
            swatch = svg_element(
                "rect",
                x=0.75,
                y=y + 2.75,
                width=_L_SWATCH - 1.5,
                height=_L_SWATCH - 1.5,
                fill=WHITE,
                stroke=MUTED,
                stroke_width=1.5,
                stroke_dasharray="2 1.5",
                class_="chart-swatch",
            )
        else:
            swatch = svg_element(
                "rect", x=0, y=y + 2, width=_L_SWATCH, height=_L_SWATCH, fill=colour, class_="chart-swatch"
            )
        row = [swatch]
        row.extend(
            svg_text(line, _L_NAME_X, baseline + i * _L_LINE, size=_L_FONT, anchor="start", fill=INK)
            for i, line in enumerate(lines)
        )
        row.append(svg_text(value_text, value_right, baseline, size=_L_FONT, anchor="end", fill=INK))
        row.append(svg_text(share, share_right, baseline, size=_L_FONT, anchor="end", fill=INK))
        legend.append(f'<g class="chart-legend-row{" chart-legend-negative" if value < 0 else ""}">{"".join(row)}</g>')
        y += len(lines) * _L_LINE + _L_ROW_GAP
    if total_label is not None:
        legend.append(
            svg_element(
                "line",
                x1=_L_NAME_X,
                y1=y - _L_ROW_GAP / 2,
                x2=WIDTH,
                y2=y - _L_ROW_GAP / 2,
                stroke=LINE,
                stroke_width=1,
            )
        )
        baseline = y + _L_LINE - 3
        legend.append(
            '<g class="chart-legend-total">'
            + svg_text(
                truncate(clean(total_label), _L_FONT, name_width),
                _L_NAME_X,
                baseline,
                size=_L_FONT,
                anchor="start",
                fill=INK,
                weight="bold",
            )
            + svg_text(total_text, value_right, baseline, size=_L_FONT, anchor="end", fill=INK, weight="bold")
            + "</g>"
        )
        y += _L_LINE + _L_ROW_GAP
    parts.append(f'<g class="chart-legend">{"".join(legend)}</g>')
    if has_negative and clean(negative_note):
        note_lines = wrap(clean(negative_note), _L_SMALL, WIDTH, 4)
        y += 2
        for line in note_lines:
            y += _L_LINE - 1
            parts.append(svg_text(line, 0, y, size=_L_SMALL, anchor="start", fill=MUTED, class_="chart-note"))
    height = round(y + 4)

    if desc is None:
        unit_suffix = f" {unit_text}" if unit_text else ""
        listed = [
            f"{name}: {value_text}{unit_suffix}" + (f" ({share})" if share != "–" else "")
            for (name, _), value_text, share in zip(rows, values, shares, strict=True)
        ]
        desc = "; ".join(listed) + "."
    return svg_root(
        parts, height=height, title=clean(title), desc=clean(desc), id_prefix=id_prefix, kind="chart-lifecycle"
    )


# --- SVG writing ---------------------------------------------------------------------------------------------------


def check_prefix(id_prefix: str) -> None:
    if not isinstance(id_prefix, str) or not _ID_PREFIX.match(id_prefix):
        raise ValueError(f"id_prefix must be a letter followed by letters, digits, '-' or '_', not {id_prefix!r}")


def _points(*points: tuple[float, float]) -> str:
    return " ".join(f"{svg_number(x, _PLACES)},{svg_number(y, _PLACES)}" for x, y in points)


def svg_element(tag: str, **attributes: object) -> str:
    """An empty element; ``class_`` becomes ``class`` and ``stroke_width`` ``stroke-width``; floats are rounded."""
    rendered = []
    for key, value in attributes.items():
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float | int) and not isinstance(value, bool):
            text = svg_number(value, _PLACES)
        else:
            text = str(value)
        rendered.append(f'{name}="{escape(text)}"')
    return f"<{tag} {' '.join(rendered)}/>"


def svg_text(
    content: str,
    x: float,
    y: float,
    *,
    size: float,
    anchor: str,
    fill: str,
    weight: str | None = None,
    class_: str | None = None,
) -> str:
    attributes = {
        "x": svg_number(x, _PLACES),
        "y": svg_number(y, _PLACES),
        "font-size": svg_number(size, _PLACES),
        "text-anchor": anchor,
        "fill": fill,
    }
    if weight:
        attributes["font-weight"] = weight
    if class_:
        attributes["class"] = class_
    rendered = " ".join(f'{name}="{escape(value)}"' for name, value in attributes.items())
    return f"<text {rendered}>{escape(content)}</text>"


def svg_root(parts: list[str], *, height: float, title: str, desc: str, id_prefix: str, kind: str) -> Markup:
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    return Markup(  # noqa: S704  (every interpolated text is escaped above)
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {WIDTH} {svg_number(height, _PLACES)}" width="100%" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" class="chart {kind}">'
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(desc)}</desc>'
        + "".join(parts)
        + "</svg>"
    )
