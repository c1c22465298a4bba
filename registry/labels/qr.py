"""The label's QR code: error correction M, a 4-module quiet zone, the full URL with the token in its fragment."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

QUIET_ZONE = 4


def _code(url: str, box_size: int = 10) -> qrcode.QRCode[Any]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE, box_size=box_size)
    code.add_data(url)
    code.make(fit=True)
    return code


def matrix(url: str) -> list[list[bool]]:
    """The modules, quiet zone included (True = dark)."""
    return [list(row) for row in _code(url).get_matrix()]


@lru_cache(maxsize=512)
def render_svg(url: str) -> bytes:
    """A standalone SVG, one path, sized in modules (scales to any print size)."""
    image = _code(url).make_image(image_factory=SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=512)
def render_png(url: str, box_size: int = 8) -> bytes:
    image = _code(url, box_size).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
