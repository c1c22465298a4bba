"""The printable label artwork: what a printer, a shopper's phone and a hostile product name do with it."""

from __future__ import annotations

import io
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageFilter, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import PROJECT_ROOT
from registry.labels import artwork, qr
from registry.labels.models import Label
from registry.labels.tokens import qr_version
from registry.schemes.models import SchemeVersion
from tests.conftest import require_zbar

HOST = "registry.example.cn"
SVG = "{http://www.w3.org/2000/svg}"
SIZES = sorted(artwork.SIZES)
MM_PER_INCH = 25.4


def decode(image):  # type: ignore[no-untyped-def]
    """zbar, the independent QR decoder (skips with instructions when libzbar0 is missing, outside CI)."""
    return require_zbar()(image)


@pytest.fixture
def label(session: Session) -> Label:
    label = session.scalars(select(Label).order_by(Label.id)).first()
    assert label is not None, "the demo data should hold at least one granted label"
    return label


@pytest.fixture
def url(label: Label) -> str:
    return label.qr_url(HOST)


@pytest.fixture
def detached(session: Session, label: Label) -> Label:
    """The label, detached from the session, so a test can give it names the database would never hold."""
    session.expunge_all()
    return label


def longest_url() -> str:
    """A URL of 331 characters: the most a version-13 QR code holds at error correction M."""
    base = f"https://{HOST}/01/02000000000015#L1."
    return base + ("Zx9-_AbQ" * 50)[: 331 - len(base)]


def opaque(png: bytes) -> Image.Image:
    """The PNG as printed on white paper, in grey levels."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    paper = Image.new("RGBA", image.size, "white")
    paper.alpha_composite(image)
    return paper.convert("L")


def scanned(image: Image.Image) -> list[str]:
    return [symbol.data.decode("utf-8") for symbol in decode(image) if symbol.type == "QRCODE"]


def parse(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    """Each <text> element as a reader sees it (the tspans of CO₂ joined in)."""
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


def px(mm: float) -> int:
    return round(mm / MM_PER_INCH * 300)


# --- The PNG: resolution, physical size, and a QR code that scans -------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_png_is_300_dpi_at_the_printed_size_and_scans_to_the_url(label: Label, url: str, size: str) -> None:
    png = artwork.render_png(label, url, size)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    spec = artwork.SIZES[size]
    assert image.size == (px(spec.width_mm), px(spec.height_mm))
    assert scanned(opaque(png)) == [url]


def test_the_sizes_are_what_the_documentation_promises() -> None:
    standard, small = artwork.SIZES["standard"], artwork.SIZES["small"]
    assert (standard.width_mm, standard.height_mm) == pytest.approx((50.8, 76.2))
    assert standard.module_mm == pytest.approx(0.4, abs=0.03)
    assert small.module_mm >= 0.33
    assert small.width_mm * small.height_mm < standard.width_mm * standard.height_mm / 2
    assert artwork.minimum_print_size() == {
        "width_mm": round(small.width_mm, 1),
        "height_mm": round(small.height_mm, 1),
        "qr_mm": round(small.qr_mm, 1),
        "module_mm": round(small.module_mm, 3),
    }
    # A version-13 code with its quiet zone: 77 modules.
    assert artwork.minimum_print_size()["qr_mm"] == pytest.approx(77 * small.module_mm, abs=0.05)
    # The README states the minimum printed size; it must be these numbers.
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    minimum = artwork.minimum_print_size()
    assert f"{minimum['width_mm']} × {minimum['height_mm']} mm, whose QR code is {minimum['qr_mm']} mm" in readme


@pytest.mark.parametrize("resample", [Image.Resampling.LANCZOS, Image.Resampling.BILINEAR])
def test_small_label_still_scans_when_photographed_at_200_dpi(
    label: Label, url: str, resample: Image.Resampling
) -> None:
    """A phone photo of the smallest print: two thirds of the 300 dpi pixels, slightly out of focus."""
    image = opaque(artwork.render_png(label, url, "small"))
    photo = image.resize((image.width * 2 // 3, image.height * 2 // 3), resample)
    assert scanned(photo) == [url]
    assert scanned(photo.filter(ImageFilter.GaussianBlur(0.6))) == [url]


@pytest.mark.parametrize("size", SIZES)
def test_the_longest_url_the_registry_issues_scans_from_every_size(label: Label, size: str) -> None:
    url = longest_url()
    assert len(url) == 331 and qr_version(url) == 13
    image = opaque(artwork.render_png(label, url, size))
    assert scanned(image) == [url]
    assert scanned(image.resize((image.width * 2 // 3, image.height * 2 // 3), Image.Resampling.LANCZOS)) == [url]


def test_a_url_too_long_for_version_13_is_refused(label: Label) -> None:
    url = longest_url() + "A" * 40
    assert qr_version(url) > 13
    with pytest.raises(ValueError, match="version"):
        artwork.render_svg(label, url, "small")


def test_an_unknown_size_is_refused(label: Label, url: str) -> None:
    with pytest.raises(ValueError, match="size"):
        artwork.render_svg(label, url, "poster")


# --- The SVG: self-contained, complete, bilingual -----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_svg_is_self_contained_with_the_printed_size_in_mm(label: Label, url: str, size: str) -> None:
    svg = artwork.render_svg(label, url, size)
    assert svg.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(svg)
    spec = artwork.SIZES[size]
    assert root.tag == f"{SVG}svg"
    width, height = root.get("width", ""), root.get("height", "")
    assert width.endswith("mm") and height.endswith("mm")
    assert (float(width[:-2]), float(height[:-2])) == pytest.approx((spec.width_mm, spec.height_mm), abs=1e-5)
    assert root.get("viewBox") == f"0 0 {width[:-2]} {height[:-2]}"
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert not tags & {"script", "image", "foreignObject", "a", "use", "style", "font-face"}
    for element in root.iter():
        for name, value in element.attrib.items():
            assert "href" not in name
            assert not name.startswith("on")
            assert "://" not in value and "url(" not in value.replace("url(#card)", "")
    assert b"@import" not in svg and b"<script" not in svg.lower()


def test_standard_svg_carries_every_fact_in_both_languages(label: Label, url: str) -> None:
    root = parse(artwork.render_svg(label, url, "standard"))
    lines = texts(root)
    text = "\n".join(lines)
    definition = label.scheme_version.definition
    grade = label.grade()
    assert lines[:2] == ["碳足迹标识", "Carbon Footprint Label"]
    assert label.certificate_number in lines
    assert artwork.format_footprint(label.footprint) in lines
    assert "kg CO2e" in lines
    assert "每 " + definition["declared_unit"]["description_zh"] in lines
    assert "per " + definition["declared_unit"]["description_en"] in text.replace("\n", " ")
    assert label.grade_code in lines and grade.name_zh in lines and grade.name_en in lines
    assert "证书编号 Certificate No. " in lines and "有效期 Valid" in lines and "发证机构 Issued by" in lines
    assert label.valid_from.isoformat() in text and label.valid_until.isoformat() in text
    assert label.body.name_zh in text.replace("\n", "")
    assert label.product.name_zh in lines and label.product.model in lines
    title = root.find(f"{SVG}title")
    assert title is not None and label.certificate_number in (title.text or "")


def test_small_svg_keeps_value_unit_grade_certificate_and_qr(label: Label, url: str) -> None:
    root = parse(artwork.render_svg(label, url, "small"))
    lines = texts(root)
    assert artwork.format_footprint(label.footprint) in lines
    assert "kg CO2e / " + artwork.short_unit(label.scheme_version.spec.declared_unit) in lines
    assert label.grade_code in lines
    assert any(label.grade().name_zh in line and label.grade().name_en in line for line in lines)
    assert label.certificate_number in lines
    assert f"有效期至 Valid to {label.valid_until.isoformat()}" in lines
    assert "碳足迹标识" in lines


@pytest.mark.parametrize("size", SIZES)
def test_qr_code_is_one_vector_path_of_exactly_the_dark_modules(label: Label, url: str, size: str) -> None:
    root = parse(artwork.render_svg(label, url, size))
    paths = [path for path in root.iter(f"{SVG}path") if path.get("shape-rendering") == "crispEdges"]
    assert len(paths) == 1
    scale = re.search(r"scale\(([\d.]+)\)", paths[0].get("transform", ""))
    assert scale and float(scale.group(1)) == pytest.approx(artwork.SIZES[size].module_mm, abs=1e-4)
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", paths[0].get("d", ""))
    assert "".join(f"M{x} {y}h{w}v1h-{w2}z" for x, y, w, w2 in runs) == paths[0].get("d")
    drawn = {(int(x) + i, int(y)) for x, y, w, _ in runs for i in range(int(w))}
    matrix = qr.matrix(url)
    assert drawn == {(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}


@pytest.mark.parametrize(
    ("value", "printed"),
    [("62.400000", "62.4"), ("1850.000000", "1850"), ("412.5", "412.5"), ("0.000123", "0.000123"), ("100", "100")],
)
def test_footprint_is_printed_without_trailing_zeros_or_exponent(value: str, printed: str) -> None:
    assert artwork.format_footprint(Decimal(value)) == printed


def test_every_shipped_schemes_declared_unit_is_printed_in_full_in_chinese(
    session: Session, detached: Label, url: str
) -> None:
    versions = session.scalars(select(SchemeVersion)).all()
    assert len(versions) >= 5
    for version in versions:
        detached.scheme_version = version
        detached.grade_code = str(version.definition["grades"][0]["code"])
        art = artwork.layout(detached, url, "standard")
        lines = [text.plain for text in art.texts]
        start = next(i for i, line in enumerate(lines) if line.startswith("每 "))
        printed = "".join(lines[start : start + 2]).replace(" ", "")
        expected = ("每 " + version.definition["declared_unit"]["description_zh"]).replace(" ", "")
        assert printed.startswith(expected), (version.code, printed)
        assert_inside(art)
        assert artwork.render_svg(detached, url, "small")


def test_grade_badge_is_green_for_the_best_grade_and_red_for_the_worst(detached: Label, url: str) -> None:
    grades = [str(grade["code"]) for grade in detached.scheme_version.definition["grades"]]
    detached.grade_code = grades[0]
    best = artwork.render_svg(detached, url, "small")
    detached.grade_code = grades[-1]
    worst = artwork.render_svg(detached, url, "small")
    assert artwork.GRADE_COLOURS[0].encode() in best and artwork.GRADE_COLOURS[-1].encode() not in best
    assert artwork.GRADE_COLOURS[-1].encode() in worst and artwork.GRADE_COLOURS[0].encode() not in worst


# --- The PDF ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_pdf_has_the_printed_page_size_and_embeds_the_cjk_font(label: Label, url: str, size: str) -> None:
    pdf = artwork.render_pdf(label, url, size)
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert len(boxes) == 1
    x0, y0, x1, y1 = (float(n) for n in boxes[0])
    spec = artwork.SIZES[size]
    assert (x1 - x0, y1 - y0) == pytest.approx(
        (spec.width_mm / MM_PER_INCH * 72, spec.height_mm / MM_PER_INCH * 72), abs=0.5
    )
    fonts = re.findall(rb"/BaseFont\s*/([\w+-]+)", pdf)
    assert any(b"Noto" in font and b"CJK" in font for font in fonts), fonts
    assert b"/FontFile" in pdf  # embedded, not merely named


# --- Hostile and oversized input -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_markup_in_names_is_printed_as_text_not_interpreted(detached: Label, url: str, size: str) -> None:
    label = detached
    label.product.name_zh = "<script>alert(1)</script>"
    label.product.name_en = '"><svg onload="alert(2)">'
    label.product.model = "]]><!ENTITY x SYSTEM 'file:///etc/passwd'>&x;"
    label.body.name_zh = "认证\x00中心\x1b<b>&amp;"
    svg = artwork.render_svg(label, url, size)
    root = parse(svg)  # well-formed despite the control characters and markup
    assert not [element for element in root.iter() if element.tag.removeprefix(SVG) in {"script", "b"}]
    assert not [name for element in root.iter() for name in element.attrib if name.startswith("on")]
    assert b"<script" not in svg and b"<svg onload" not in svg and b"<!ENTITY" not in svg
    assert b"&lt;script&gt;" in svg
    if size == "standard":
        assert "<script>alert(1)</script>" in texts(root)
        assert "认证中心<b>&amp;" in "".join(texts(root))


LONG_ZH = ("超长产品名称测试用储能电池模组" * 14)[:200]
LONG_EN = "Extraordinarily long product name for a lithium iron phosphate energy storage battery module " * 3


@pytest.fixture
def oversized(detached: Label) -> Label:
    """Every user-supplied text at (or beyond) its column's length, an issuing body with a long code, the longest
    value the database holds and a scheme whose declared unit needs many lines."""
    label = detached
    label.product.name_zh = LONG_ZH
    label.product.name_en = LONG_EN
    label.product.model = "MODEL-" + "W" * 114
    label.body.name_zh = "长" * 200
    label.body.name_en = "Very Long Certification Body Name " * 6
    label.certificate_number = "CFP-WWWWWWWWWWWWWWWW-2026-000001"
    label.footprint = Decimal("9223372036854.775807")
    definition = label.scheme_version.definition
    label.scheme_version.definition = {
        **definition,
        "declared_unit": {
            **definition["declared_unit"],
            "description_zh": "1 台（件）产品在明示使用寿命内按规定使用情景提供其功能" * 3,
            "description_en": "One unit of the product providing its function over its stated service life under the specified use scenario "
            * 2,
        },
    }
    return label


@pytest.mark.parametrize("size", SIZES)
def test_long_names_are_cut_with_an_ellipsis_and_numbers_are_never_cut(oversized: Label, url: str, size: str) -> None:
    lines = texts(parse(artwork.render_svg(oversized, url, size)))
    assert oversized.certificate_number in lines
    assert "9223372036854.775807" in lines
    if size == "standard":
        product = next(line for line in lines if line.startswith("超长产品名称"))
        assert product.endswith("…") and len(product) < 40
        assert all(len(line) < 80 for line in lines)
        body = [line for line in lines if line.startswith("长")]
        assert 1 <= len(body) <= 2 and body[-1].endswith("…")


@lru_cache(maxsize=4)
def font(bold: bool) -> ImageFont.FreeTypeFont | None:
    """The font the artwork is set in, as fontconfig finds it (None where it is not installed)."""
    pattern = "Noto Sans CJK SC:bold" if bold else "Noto Sans CJK SC"
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}|%{family}", pattern], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path, index, family = found.split("|", 2)
    if "Noto Sans CJK" not in family:
        return None
    return ImageFont.truetype(path, 1000, index=int(index or 0))


@dataclass(frozen=True)
class Extent:
    text: str
    left: float
    right: float
    baseline: float


def extents(art: artwork.Artwork) -> Iterator[Extent]:
    """Where each line of text really ends, measured with the real font (in mm)."""
    for text in art.texts:
        face = font(text.weight == "bold")
        if face is None:
            if os.environ.get("REGISTRY_STRICT_SYSTEM_DEPS"):
                raise AssertionError("Noto Sans CJK SC is missing although CI installs it (make system-deps)")
            pytest.skip("Noto Sans CJK SC is not installed: run `make system-deps` (Debian package fonts-noto-cjk)")
        width = sum(
            face.getlength(span.text) / 1000 * text.size * (artwork.SUBSCRIPT_SCALE if span.subscript else 1)
            for span in text.spans
        )
        left = {"start": text.x, "middle": text.x - width / 2, "end": text.x - width}[text.anchor]
        yield Extent(text.plain, left, left + width, text.y)


def assert_inside(art: artwork.Artwork) -> None:
    """Every line of text ends inside the label's 1 mm margin and clear of the QR code and its quiet zone."""
    margin = 1.0
    qr_left, qr_top = art.qr.x, art.qr.y
    qr_right, qr_bottom = qr_left + art.size.qr_mm, qr_top + art.size.qr_mm
    for extent in extents(art):
        assert margin <= extent.left and extent.right <= art.size.width_mm - margin, extent
        if (
            qr_top <= extent.baseline + 0.5 and extent.baseline - 2.5 <= qr_bottom
        ):  # the line's height overlaps the QR code
            assert extent.right <= qr_left or extent.left >= qr_right, extent
        else:
            assert extent.baseline <= qr_top, extent


@pytest.mark.parametrize("size", SIZES)
def test_no_demo_label_text_runs_off_the_label_or_into_the_qr_code(session: Session, size: str) -> None:
    labels = session.scalars(select(Label)).all()
    assert labels
    for label in labels:
        assert_inside(artwork.layout(label, label.qr_url(HOST), size))


@pytest.mark.parametrize("size", SIZES)
def test_oversized_text_does_not_run_off_the_label_or_into_the_qr_code(oversized: Label, url: str, size: str) -> None:
    assert_inside(artwork.layout(oversized, url, size))


def test_oversized_text_leaves_the_standard_labels_margin_blank(oversized: Label, url: str) -> None:
    """In the printed pixels: nothing but paper between the text and the right-hand border."""
    image = opaque(artwork.render_png(oversized, url, "standard"))
    spec = artwork.SIZES["standard"]
    strip = image.crop((px(spec.width_mm - 2.6), px(11.0), px(spec.width_mm - 0.7), px(spec.height_mm - 1.0)))
    assert strip.getextrema()[0] >= 250


# --- Served to users -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "ext", "content_type"),
    [("standard", "pdf", "application/pdf"), ("small", "png", "image/png"), ("standard", "svg", "image/svg+xml")],
)
def test_the_artwork_downloads_from_the_public_label_address(
    app: Flask, client: FlaskClient, label: Label, size: str, ext: str, content_type: str
) -> None:
    response = client.get(f"/l/{label.public_id}/label-{size}.{ext}")
    assert response.status_code == 200
    assert response.content_type.startswith(content_type)
    assert f"{label.certificate_number}-{size}.{ext}" in response.headers["Content-Disposition"]
    if ext == "png":
        assert len(scanned(opaque(response.data))) == 1
        assert scanned(opaque(response.data)) == [label.qr_url(app.config["PUBLIC_HOST"])]
