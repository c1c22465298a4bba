"""The printable label artwork: a bilingual (Chinese and English) carbon-footprint label with its QR code.

One SVG document is the source of every format: ``render_svg`` fills ``templates/labels/artwork.svg``, and the
PDF (vector, fonts embedded) and the 300 dpi PNG are converted from it with CairoSVG. The QR code is drawn as
vector modules, so it stays sharp at any print resolution.

Sizes are counted in *dots* of 1/300 inch, so the 300 dpi PNG has whole pixels and each QR module covers a
whole number of pixels (no blurred module edges); millimetres are derived from the dots.

SVG has no line breaking and the printer may not have our exact font, so text is fitted in Python with a
conservative estimate of its width (``registry.svg.text_width``): long names are wrapped or cut with an ellipsis,
long numbers are set smaller, and nothing is ever drawn outside the label.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import cairocffi
import cairosvg
import cairosvg.surface
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from PIL import Image

from registry import PROJECT_ROOT
from registry.dates import iso_utc
from registry.labels import qr
from registry.numbers import plain
from registry.svg import (
    clean,
    fit_size,
    ink_on,
    rgb,
    svg_number,
    text_width,
    truncate,
    wrap,
)

if TYPE_CHECKING:
    from registry.labels.models import Label
    from registry.schemes.definition import DeclaredUnit

# Bump whenever the artwork's look changes: it is part of the artwork's HTTP ETag.
VERSION = "3"

DPI = 300
MM_PER_DOT = 25.4 / DPI
# The largest QR code the registry issues (version 13: 69 modules) plus the 4-module quiet zone on each side.
MAX_QR_MODULES = 69 + 2 * qr.QUIET_ZONE

FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', sans-serif"

# Palette: one brand green, ink and a muted grey for captions.
BRAND = "#0B6B45"
BRAND_DARK = "#084F33"
INK = "#1A1A1A"
MUTED = "#56636B"
RULE = "#C5D2CA"
WHITE = "#FFFFFF"
# The subscript 2 of CO₂, relative to the line's font size.
SUBSCRIPT_SCALE = 0.7
# Grade colours from best to worst, as on energy labels; a scheme's grades are spread over them.
GRADE_COLOURS = ("#00963F", "#51B747", "#BDD630", "#FFE500", "#FCB813", "#EE7623", "#E4261E")


@dataclass(frozen=True)
class Size:
    """A print size, in dots of 1/300 inch (whole pixels in the 300 dpi PNG)."""

    name: str
    width_dots: int
    height_dots: int
    module_dots: int  # one QR module

    @property
    def width_mm(self) -> float:
        return self.width_dots * MM_PER_DOT

    @property
    def height_mm(self) -> float:
        return self.height_dots * MM_PER_DOT

    @property
    def module_mm(self) -> float:
        return self.module_dots * MM_PER_DOT

    @property
    def qr_mm(self) -> float:
        """The side of the largest QR code (version 13) with its quiet zone."""
        return MAX_QR_MODULES * self.module_mm


SIZES: dict[str, Size] = {
    # 2 × 3 inches (50.8 × 76.2 mm), QR module 0.423 mm (5 px at 300 dpi): the QR code is 32.6 mm.
    "standard": Size("standard", width_dots=600, height_dots=900, module_dots=5),
    # 48.3 × 27.3 mm for small packages, QR module 0.339 mm (4 px at 300 dpi): the QR code is 26.1 mm.
    "small": Size("small", width_dots=570, height_dots=322, module_dots=4),
}


def minimum_print_size() -> dict[str, float]:
    """The smallest artwork the registry offers (the ``small`` size), in millimetres, for the documentation."""
    size = SIZES["small"]
    return {
        "width_mm": round(size.width_mm, 1),
        "height_mm": round(size.height_mm, 1),
        "qr_mm": round(size.qr_mm, 1),
        "module_mm": round(size.module_mm, 3),
    }


# --- The value and its unit as printed ---------------------------------------------------------------------------

# The certified value as printed: every significant digit, no trailing zeros, no exponent ("62.4", "1850").
format_footprint = plain


def short_unit(unit: DeclaredUnit) -> str:
    """The declared unit in symbols, for the small label: ``kWh``, ``t``, ``m³``, ``1000 kg``."""
    symbol = unit.unit.replace("m3", "m³").replace("m2", "m²")
    return symbol if unit.amount == 1 else f"{plain(unit.amount)} {symbol}"


# --- What the template draws ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    text: str
    subscript: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    size: float
    spans: tuple[Span, ...]
    weight: str = "normal"
    fill: str = INK
    anchor: str = "start"

    @property
    def plain(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str
    radius: float = 0.0


@dataclass(frozen=True)
class QRCode:
    x: float
    y: float
    module: float
    modules: int
    path: str  # in module units; the template scales it

    @property
    def side(self) -> float:
        return self.modules * self.module


@dataclass
class Artwork:
    size: Size
    title: str
    description: str
    qr: QRCode
    mark: tuple[float, float, float]  # x, y, side of the registry mark
    header: Box | None = None
    boxes: list[Box] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)

    def text(self, x: float, y: float, size: float, content: str | Sequence[Span], **style: str) -> None:
        spans = (Span(content),) if isinstance(content, str) else tuple(content)
        self.texts.append(Text(round(x, 3), round(y, 3), round(size, 3), spans, **style))


def co2e(prefix: str = "kg ", suffix: str = "") -> tuple[Span, ...]:
    """ "kg CO₂e" with a real subscript (CJK fonts draw U+2082 a full em wide)."""
    return (Span(prefix + "CO"), Span("2", subscript=True), Span("e" + suffix))


def co2e_width(font_size: float, prefix: str = "kg ", suffix: str = "") -> float:
    return text_width(prefix + "COe" + suffix, font_size) + text_width("2", font_size * SUBSCRIPT_SCALE)


def qr_path(modules: list[list[bool]]) -> str:
    """One SVG path for the dark modules, one rectangle per horizontal run, in module units."""
    parts: list[str] = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return "".join(parts)


def _qr_code(url: str, size: Size, x: float, y: float) -> QRCode:
    modules = qr.matrix(url)
    if len(modules) > MAX_QR_MODULES:
        version = (len(modules) - 2 * qr.QUIET_ZONE - 17) // 4
        raise ValueError(f"QR code version {version} is larger than the artwork prints (at most version 13)")
    return QRCode(x=x, y=y, module=size.module_mm, modules=len(modules), path=qr_path(modules))


def grade_colour(label: Label) -> str:
    grades = [grade.code for grade in label.scheme_version.spec.grades]
    index = grades.index(label.grade_code) if label.grade_code in grades else len(grades) - 1
    step = 0 if len(grades) < 2 else round(index * (len(GRADE_COLOURS) - 1) / (len(grades) - 1))
    return GRADE_COLOURS[step]


def on_colour(background: str) -> str:
    """Ink or white, whichever contrasts more with ``background`` (WCAG contrast ratio)."""
    return ink_on(background, INK, WHITE)


def _grade_names(label: Label) -> tuple[str, str]:
    grade = label.grade()
    return clean(grade.name_zh or ""), clean(grade.name_en or f"Grade {label.grade_code}")


def _description(label: Label) -> str:
    unit = label.scheme_version.spec.declared_unit
    name_zh, name_en = _grade_names(label)
    return (
        f"{clean(label.product.name_zh)} {clean(label.product.model)}: {format_footprint(label.footprint)} kg CO₂e "
        f"/ {clean(unit.description_zh)} ({clean(unit.description_en)}); 等级 Grade {clean(label.grade_code)} "
        f"{name_zh} {name_en}; 证书编号 Certificate No. {clean(label.certificate_number)}; 有效期 Valid "
        f"{_validity(label)}; 发证机构 Issued by {clean(label.body.name_zh)}."
    )


def _lower_first(text: str) -> str:
    """ "One unit of …" → "one unit of …" after "per"; acronyms and units ("LFP", "kWh") are left alone."""
    return text[0].lower() + text[1:] if text[:2].istitle() and text[:1].isalpha() else text


def _validity(label: Label) -> str:
    return f"{label.valid_from.isoformat()} – {label.valid_until.isoformat()}"


# --- Layouts (all lengths in millimetres) ---------------------------------------------------------------------


def _standard(label: Label, url: str, size: Size) -> Artwork:
    width, height = size.width_mm, size.height_mm
    margin = 3.0
    inner = width - 2 * margin
    unit = label.scheme_version.spec.declared_unit

    # The QR code sits in the bottom-left corner, its dark modules aligned on the margins.
    quiet = qr.QUIET_ZONE * size.module_mm
    qr_x = _snap(margin - quiet)
    qr_y = _snap(height - margin + quiet - size.qr_mm)
    art = Artwork(
        size=size,
        title="碳足迹标识 Carbon Footprint Label " + clean(label.certificate_number),
        description=_description(label),
        qr=_qr_code(url, size, qr_x, qr_y),
        mark=(margin, 1.75, 7.0),
    )

    # Header band: the registry mark, the label's name in both languages.
    header_height = 10.5
    art.header = Box(0, 0, width, header_height, BRAND)
    art.text(margin + 8.6, 5.8, 3.4, "碳足迹标识", weight="bold", fill=WHITE)
    art.text(margin + 8.6, 8.6, 1.95, "Carbon Footprint Label", fill=WHITE)

    # Product: Chinese name (bold), English name, model.
    product = label.product
    art.text(margin, 14.1, 2.3, truncate(clean(product.name_zh), 2.3, inner), weight="bold")
    if product.name_en:
        art.text(margin, 16.6, 1.65, truncate(clean(product.name_en), 1.65, inner), fill=MUTED)
    model_caption = "型号 Model "
    art.text(margin, 19.1, 1.45, model_caption, fill=MUTED)
    model_x = margin + text_width(model_caption, 1.45)
    art.text(model_x, 19.1, 1.65, truncate(clean(product.model), 1.65, width - margin - model_x))

    # Certificate number, with its caption; set smaller rather than cut when the body's code is long.
    caption = "证书编号 Certificate No. "
    number = clean(label.certificate_number)
    number_x = margin + text_width(caption, 1.45)
    art.text(margin, 21.8, 1.45, caption, fill=MUTED)
    art.text(number_x, 21.8, fit_size(number, 1.9, width - margin - number_x), number, weight="bold")
    art.rules.append((margin, 23.2, width - margin, 23.2))

    # The footprint, as large as the line allows, with its unit set beside it.
    value = format_footprint(label.footprint)
    unit_size = 3.0
    room = inner - co2e_width(unit_size) - 1.2
    value_size = fit_size(value, 11.5, room)
    art.text(margin, 32.5, value_size, value, weight="bold", fill=BRAND_DARK)
    art.text(margin + text_width(value, value_size) + 1.2, 32.5, unit_size, co2e(), weight="bold", fill=BRAND_DARK)

    # Per declared unit, in both languages, between the value and the QR code's quiet zone.
    zh = "每 " + clean(unit.description_zh)
    en = "per " + _lower_first(clean(unit.description_en))
    for line in _unit_lines(zh, en, top=35.8, bottom=qr_y - 0.3, width=inner):
        art.text(margin, line.y, line.size, line.spans, fill=line.fill)

    # Beside the QR code: the grade badge, the grade scale, the validity and the issuing body.
    column_x = qr_x + size.qr_mm + 0.5
    column = width - margin - column_x
    top = qr_y + quiet
    art.text(column_x, top + 1.3, 1.45, truncate("等级 Grade", 1.45, column), fill=MUTED)
    colour = grade_colour(label)
    ink = on_colour(colour)
    badge_y = top + 2.2
    art.boxes.append(Box(column_x, badge_y, column, 8.6, colour, radius=1.0))
    code = clean(label.grade_code)
    code_size = fit_size(code, 6.4, column * 0.42)
    art.text(column_x + 1.2, badge_y + 6.6, code_size, code, weight="bold", fill=ink)
    name_zh, name_en = _grade_names(label)
    names_x = column_x + 1.2 + text_width(code, code_size) + 1.0
    names_width = column_x + column - 0.8 - names_x
    if name_zh:
        art.text(names_x, badge_y + 3.9, 2.2, truncate(name_zh, 2.2, names_width), weight="bold", fill=ink)
    art.text(names_x, badge_y + 6.6, 1.5, truncate(name_en, 1.5, names_width), fill=ink)
    _grade_scale(art, label, column_x, badge_y + 9.6, column, 1.4)

    y = badge_y + 14.6
    art.text(column_x, y, 1.45, truncate("有效期 Valid", 1.45, column), fill=MUTED)
    validity = _validity(label)
    validity_lines = [validity] if text_width(validity, 1.6) <= column else [validity[:12], validity[13:]]
    for row in validity_lines:
        y += 2.1
        art.text(column_x, y, 1.6, row, weight="bold")

    y += 3.3
    art.text(column_x, y, 1.45, truncate("发证机构 Issued by", 1.45, column), fill=MUTED)
    bottom = height - margin
    body_zh = wrap(clean(label.body.name_zh), 1.55, column, 2)
    body_en = wrap(clean(label.body.name_en or ""), 1.3, column, 3) if label.body.name_en else []
    for row in body_zh:
        y += 2.0
        art.text(column_x, y, 1.55, row, weight="bold")
    for row in body_en:
        if y + 1.75 > bottom:
            break
        y += 1.75
        art.text(column_x, y, 1.3, row, fill=MUTED)
    return art


def _unit_lines(zh: str, en: str, top: float, bottom: float, width: float) -> list[Text]:
    """The declared unit, Chinese (at most two lines) then English, set as large as lets both be complete between
    ``top`` (the first baseline) and ``bottom``; at the smallest size what does not fit is cut with an ellipsis."""
    candidates = ((2.0, 1.65), (1.8, 1.5), (1.65, 1.4))
    lines: list[Text] = []
    for zh_size, en_size in candidates:
        lines = []
        y = top
        zh_lines = wrap(zh, zh_size, width, 2)
        for line in zh_lines:
            lines.append(Text(0, round(y, 3), zh_size, (Span(line),)))
            y += zh_size * 1.25
        y += en_size * 1.45 - zh_size * 1.25
        room = max(0, int((bottom - 0.3 * en_size - y) // (en_size * 1.27)) + 1)
        en_lines = wrap(en, en_size, width, room) if room else []
        for line in en_lines:
            lines.append(Text(0, round(y, 3), en_size, (Span(line),), fill=MUTED))
            y += en_size * 1.27
        if _complete(zh, zh_lines) and _complete(en, en_lines):
            break
    return lines


def _complete(text: str, lines: list[str]) -> bool:
    return "".join(lines).replace(" ", "") == text.replace(" ", "")


def _small(label: Label, url: str, size: Size) -> Artwork:
    width, height = size.width_mm, size.height_mm
    margin = 1.9
    unit = label.scheme_version.spec.declared_unit

    # The QR code fills the right-hand side, its quiet zone just inside the border.
    qr_y = _snap((height - size.qr_mm) / 2)
    qr_x = _snap(width - qr_y - size.qr_mm)
    column = qr_x - margin - 0.2  # the text stops short of the QR code's quiet zone
    art = Artwork(
        size=size,
        title="碳足迹标识 Carbon Footprint Label " + clean(label.certificate_number),
        description=_description(label),
        qr=_qr_code(url, size, qr_x, qr_y),
        mark=(margin, margin, 4.2),
    )

    # Mark and name.
    art.text(margin + 5.0, margin + 1.9, 1.9, "碳足迹标识", weight="bold", fill=BRAND_DARK)
    art.text(margin + 5.0, margin + 3.9, 1.2, truncate("Carbon Footprint", 1.2, column - 5.0), fill=MUTED)

    # The footprint and its unit.
    value = format_footprint(label.footprint)
    value_size = fit_size(value, 7.6, column)
    art.text(margin, 13.2, value_size, value, weight="bold", fill=BRAND_DARK)
    per = " / " + short_unit(unit)
    unit_width = co2e_width(1.9, suffix=per)
    unit_size = 1.9 if unit_width <= column else 1.9 * column / unit_width
    art.text(margin, 16.0, unit_size, co2e(suffix=per), weight="bold", fill=BRAND_DARK)
    description = "每 " + clean(unit.description_zh)
    art.text(margin, 17.9, 1.3, truncate(description, 1.3, column), fill=MUTED)

    # Grade: a coloured badge with the code, and the names beside it.
    colour = grade_colour(label)
    badge = 3.4
    badge_y = 18.7
    art.boxes.append(Box(margin, badge_y, badge, badge, colour, radius=0.5))
    code = clean(label.grade_code)
    code_size = fit_size(code, 2.9, badge - 0.6)
    art.text(
        margin + badge / 2, badge_y + 2.65, code_size, code, weight="bold", fill=on_colour(colour), anchor="middle"
    )
    name_zh, name_en = _grade_names(label)
    grade_text = " ".join(part for part in ("等级", name_zh, name_en) if part)
    art.text(margin + badge + 0.8, badge_y + 2.45, 1.5, truncate(grade_text, 1.5, column - badge - 0.8), weight="bold")

    # Certificate number, set smaller rather than cut when a body's code is long, and the validity under it.
    number = clean(label.certificate_number)
    art.text(margin, 23.6, fit_size(number, 1.45, column), number, weight="bold")
    validity = f"有效期至 Valid to {label.valid_until.isoformat()}"
    art.text(margin, height - margin, fit_size(validity, 1.2, column), validity, fill=MUTED)
    return art


def _grade_scale(art: Artwork, label: Label, x: float, y: float, width: float, height: float) -> None:
    """All of the scheme's grades as a row of coloured steps; the label's own grade is full height."""
    grades = [grade.code for grade in label.scheme_version.spec.grades]
    if len(grades) < 2:
        return
    gap = 0.35
    step = (width - gap * (len(grades) - 1)) / len(grades)
    for index, code in enumerate(grades):
        colour = GRADE_COLOURS[round(index * (len(GRADE_COLOURS) - 1) / (len(grades) - 1))]
        own = code == label.grade_code
        box_height = height if own else height * 0.45
        art.boxes.append(
            Box(x + index * (step + gap), y + height - box_height, step, box_height, colour if own else _faded(colour))
        )


def _faded(colour: str) -> str:
    """The colour mixed 55 % with white: the grades the label does not have."""
    return "#" + "".join(f"{round(c + (255 - c) * 0.55):02X}" for c in rgb(colour))


def _snap(mm: float) -> float:
    """A length on the 300 dpi grid, so QR modules fall on whole pixels."""
    return round(mm / MM_PER_DOT) * MM_PER_DOT


# --- Rendering ------------------------------------------------------------------------------------------------

_LAYOUTS = {"standard": _standard, "small": _small}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Lengths in millimetres to six decimals (1 nm), so module sizes stay exact.
    environment.filters["n"] = lambda value: svg_number(value, 6)
    return environment


def layout(label: Label, url: str, size: str) -> Artwork:
    if size not in SIZES:
        raise ValueError(f"unknown artwork size {size!r}; expected one of {', '.join(SIZES)}")
    return _LAYOUTS[size](label, url, SIZES[size])


def render_svg(label: Label, url: str, size: str) -> bytes:
    """The label as a self-contained SVG document (no scripts, no external fonts or images), sized in mm."""
    art = layout(label, url, size)
    template = _environment().get_template("labels/artwork.svg")
    return template.render(
        art=art,
        font_family=FONT_FAMILY,
        subscript_scale=SUBSCRIPT_SCALE,
        colours={
            "brand": BRAND,
            "brand_dark": BRAND_DARK,
            "ink": INK,
            "muted": MUTED,
            "rule": RULE,
            "white": WHITE,
        },
    ).encode("utf-8")


def render_pdf(label: Label, url: str, size: str) -> bytes:
    """A one-page vector PDF of the artwork at its printed size, fonts embedded. Dated with the label's issuance
    rather than the clock (cairo's default), so the same label renders to the same bytes on every server."""
    svg = render_svg(label, url, size)
    issued = iso_utc(label.issued_at)

    def dated_surface(output: Any, width: float, height: float) -> cairocffi.PDFSurface:
        surface = cairocffi.PDFSurface(output, width, height)
        surface.set_metadata(cairocffi.PDF_METADATA_CREATE_DATE, issued)
        return surface

    class DatedPDFSurface(cairosvg.surface.PDFSurface):  # type: ignore[misc]  # CairoSVG ships no types
        surface_class = staticmethod(dated_surface)

    buffer = io.BytesIO()
    DatedPDFSurface.convert(bytestring=svg, write_to=buffer)
    return buffer.getvalue()


def render_png(label: Label, url: str, size: str) -> bytes:
    """The artwork at 300 dpi (each QR module a whole number of pixels), with its resolution recorded."""
    svg = render_svg(label, url, size)  # refuses an unknown size
    spec = SIZES[size]
    png = cairosvg.svg2png(bytestring=svg, dpi=DPI, output_width=spec.width_dots, output_height=spec.height_dots)
    image = Image.open(io.BytesIO(png))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(DPI, DPI), optimize=True)
    return buffer.getvalue()
