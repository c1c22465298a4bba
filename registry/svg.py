"""Drawing helpers shared by everything the registry draws as SVG: the printable label artwork
(``labels/artwork.py``) and the public charts (``disclosure/charts.py``, ``disclosure/statistics.py``).

- **Text**: SVG has no line breaking and the reader's font is not known, so text is measured with a
  conservative estimate of its width (``text_width``) and fitted in Python: wrapped (``wrap``), cut with an
  ellipsis (``truncate``) or set smaller (``fit_size``). ``clean`` makes user text printable first.
- **Colour**: WCAG 2.x relative luminance and contrast ratio, and ``ink_on``, the more legible of two inks on a
  background.
- **Numbers**: ``svg_number``, a coordinate or length as an attribute value.
"""

from __future__ import annotations

import re
import unicodedata

# --- Text measurement and fitting -------------------------------------------------------------------------------

# Advance widths of printable ASCII (32-126) in Noto Sans CJK SC Bold (the same design as Source Han Sans), in
# thousandths of an em. Bold is wider than regular, so the same table is a safe estimate for both weights.
_ASCII_WIDTHS = (
    227,
    370,
    574,
    590,
    590,
    963,
    740,
    325,
    378,
    378,
    507,
    590,
    325,
    370,
    325,
    387,
    590,
    590,
    590,
    590,
    590,
    590,
    590,
    590,
    590,
    590,
    325,
    325,
    590,
    590,
    590,
    514,
    1007,
    641,
    681,
    656,
    714,
    615,
    585,
    717,
    757,
    330,
    568,
    686,
    578,
    853,
    749,
    770,
    667,
    770,
    682,
    624,
    625,
    748,
    619,
    915,
    627,
    580,
    613,
    378,
    387,
    378,
    590,
    567,
    626,
    591,
    644,
    527,
    644,
    581,
    372,
    597,
    640,
    304,
    306,
    604,
    315,
    964,
    641,
    626,
    644,
    644,
    436,
    495,
    421,
    637,
    576,
    863,
    562,
    574,
    511,
    378,
    296,
    378,
    590,
)
# Headroom for a printer or viewer that substitutes a wider Latin font.
_SAFETY = 1.06
ELLIPSIS = "…"
# Characters a line should not start with (closing punctuation), per Chinese line-breaking custom.
_NO_LINE_START = set("，。、；：？！）》」』】〉,.;:?!)]}%…")
# XML 1.0 forbids most control characters; they cannot be escaped, only removed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
# Zero-width and direction-changing characters would make the printed text differ from what was measured.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean(text: object) -> str:
    """User text as printable text: XML-safe, invisible characters removed, whitespace collapsed."""
    value = unicodedata.normalize("NFC", str(text or ""))
    value = _INVISIBLE.sub("", _NOT_XML.sub("", value))
    return " ".join(value.split())


def char_width(char: str) -> float:
    """Estimated advance of one character, in em."""
    code = ord(char)
    if 32 <= code <= 126:
        return _ASCII_WIDTHS[code - 32] / 1000 * _SAFETY
    if unicodedata.combining(char):
        return 0.0
    # Wide, fullwidth and ambiguous characters (CJK, fullwidth punctuation, the ellipsis) take a full em in
    # CJK fonts; other letters (accented Latin, Greek) are estimated generously.
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 0.78


def text_width(text: str, font_size: float) -> float:
    """Estimated width of ``text`` set at ``font_size`` (same unit as the result), never less than the real one
    in Noto Sans CJK / Source Han Sans."""
    return sum(char_width(char) for char in text) * font_size


def truncate(text: str, font_size: float, max_width: float) -> str:
    """``text`` if it fits on one line, otherwise as much of it as fits followed by an ellipsis."""
    if text_width(text, font_size) <= max_width:
        return text
    budget = max_width - text_width(ELLIPSIS, font_size)
    kept = ""
    for char in text:
        if text_width(kept + char, font_size) > budget:
            break
        kept += char
    # In Latin text, cut at the last space rather than inside a word, unless that loses most of the line.
    if kept and kept[-1].isascii() and kept[-1].isalnum() and text[len(kept)].isalnum():
        space = kept.rfind(" ")
        if space > len(kept) * 0.6:
            kept = kept[:space]
    return kept.rstrip(" -–·,，、") + ELLIPSIS


def _tokens(text: str) -> list[str]:
    """Break opportunities: a Latin word (with its trailing space) stays whole, each CJK character stands alone."""
    tokens: list[str] = []
    for match in re.finditer(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+|.", text):
        token = match.group(0)
        if tokens and token[0] in _NO_LINE_START:
            tokens[-1] += token  # keep closing punctuation on the line before
        else:
            tokens.append(token)
    return tokens


def wrap(text: str, font_size: float, max_width: float, max_lines: int) -> list[str]:
    """``text`` broken into at most ``max_lines`` lines of ``max_width``; what does not fit ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    tokens = _tokens(text)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        candidate = current + token
        if text_width(candidate.rstrip(), font_size) <= max_width:
            current = candidate
            index += 1
            continue
        if not current:
            # One word longer than a whole line: break it between characters.
            head = truncate(token, font_size, max_width)[:-1] or token[0]
            lines.append(head)
            tokens[index] = token[len(head) :]
        else:
            lines.append(current.rstrip())
            current = ""
        if len(lines) == max_lines:
            rest = "".join(tokens[index:])
            lines[-1] = truncate(lines[-1] + (" " if lines[-1][-1:].isascii() else "") + rest, font_size, max_width)
            return lines
    if current.strip():
        lines.append(current.rstrip())
    return lines[:max_lines] or [""]


def fit_size(text: str, preferred: float, max_width: float) -> float:
    """The largest font size up to ``preferred`` at which ``text`` fits in ``max_width``: for what must never be
    cut (the value, the certificate number, the grade code), which is set smaller instead."""
    width = text_width(text, preferred)
    return preferred if width <= max_width else preferred * max_width / width


# --- Colour -----------------------------------------------------------------------------------------------------


def rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as its three channels, 0-255."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return red, green, blue


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB ``#RRGGBB`` colour, 0 (black) to 1 (white)
    (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance).

    The linearisation threshold is the sRGB standard's 0.04045, which WCAG 2.2 adopted in place of WCAG 2.0's
    0.03928; no 8-bit channel value lies between the two, so both give the same luminance here."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio (L1 + 0.05) / (L2 + 0.05), L1 the lighter colour's relative luminance: 1 to 21
    (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ink_on(background: str, dark: str, light: str = "#FFFFFF") -> str:
    """``dark`` or ``light``, whichever contrasts more with ``background`` (``dark`` on a tie)."""
    return dark if contrast_ratio(background, dark) >= contrast_ratio(background, light) else light


# --- Numbers ----------------------------------------------------------------------------------------------------


def svg_number(value: float, places: int) -> str:
    """A coordinate or length as an SVG attribute: at most ``places`` decimals, no trailing zeros, never "-0"."""
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
