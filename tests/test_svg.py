"""The drawing helpers the label artwork and the charts share (registry/svg.py): colour contrast and SVG numbers.
Text measurement and fitting are tested through what they draw (tests/labels/test_artwork.py, tests/disclosure)."""

from __future__ import annotations

import pytest

from registry.disclosure.charts import PALETTE, WHITE
from registry.labels.artwork import GRADE_COLOURS, INK, on_colour
from registry.svg import contrast_ratio, ink_on, relative_luminance, svg_number


def test_relative_luminance_and_contrast_ratio_follow_wcag() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#FFFFFF") == pytest.approx(1)
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)
    assert contrast_ratio("#FFFFFF", "#000000") == contrast_ratio("#000000", "#FFFFFF")
    # The usual reference: #767676 is the lightest grey with 4.5:1 on white.
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#777777", "#FFFFFF") < 4.5


def test_ink_is_whichever_contrasts_more() -> None:
    for background in (*GRADE_COLOURS, *PALETTE):
        for dark, light in ((INK, "#FFFFFF"), ("#000000", WHITE)):
            chosen = ink_on(background, dark, light)
            other = light if chosen == dark else dark
            assert contrast_ratio(background, chosen) >= contrast_ratio(background, other)


def test_the_artworks_grade_badges_take_ink_by_contrast_ratio() -> None:
    # Dark ink on every grade colour but the worst grade's red: with a naive luminance threshold the best grade's
    # green (#00963F) and the orange (#EE7623) had white text, at 3.9:1 and 2.9:1 against 4.5:1 and 6.0:1 for ink.
    assert [on_colour(colour) for colour in GRADE_COLOURS] == [INK] * 6 + ["#FFFFFF"]


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (0, 2, "0"),
        (10, 2, "10"),
        (2.0, 2, "2"),
        (1.004, 2, "1"),
        (12.3456, 2, "12.35"),
        (-0.001, 2, "0"),
        (-1.5, 2, "-1.5"),
        (0.42333333, 6, "0.423333"),
        (76.2, 6, "76.2"),
        (1e-7, 6, "0"),
    ],
)
def test_svg_numbers_have_no_trailing_zeros_and_no_negative_zero(value: float, places: int, text: str) -> None:
    assert svg_number(value, places) == text
