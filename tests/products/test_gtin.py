"""Tests for GTIN normalisation (GS1 General Specifications, mod-10 check)."""

import pytest
from hypothesis import given, strategies as st

from registry.products.gtin import GtinError, gtin_check_digit, normalise_gtin


@pytest.mark.parametrize(
    ("raw", "gtin14"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("96385074", "00000096385074"),  # EAN-8
        ("036000291452", "00036000291452"),  # UPC-A
        ("00036000291452", "00036000291452"),  # GTIN-14 with padding already
        ("10036000291459", "10036000291459"),  # GTIN-14, packaging indicator 1
        ("14006381333938", "14006381333938"),
        (" 4006381-333931 ", "04006381333931"),
        ("4 006381 333931", "04006381333931"),
        ("４００６３８１３３３９３１", "04006381333931"),  # full-width digits
    ],
)
def test_valid_gtins(raw, gtin14):
    assert normalise_gtin(raw) == gtin14


@pytest.mark.parametrize(
    ("body", "digit"),
    [
        ("400638133393", "1"),
        ("9638507", "4"),
        ("03600029145", "2"),
        ("1003600029145", "9"),
    ],
)
def test_check_digit(body, digit):
    assert gtin_check_digit(body) == digit


@pytest.mark.parametrize(
    ("raw", "rule", "mentions"),
    [
        ("40063813339X1", "digits", ["X at position 12"]),
        ("4006381.333931", "digits", ["."]),
        ("", "length", ["8, 12, 13 or 14", "0 were given"]),
        ("40063813339", "length", ["8, 12, 13 or 14", "11 were given"]),
        ("400638133393100", "length", ["15 were given"]),
        ("4006381333933", "check_digit", ["should be 1", "not 3"]),
        ("96385075", "check_digit", ["should be 4", "not 5"]),
        ("036000291450", "check_digit", ["should be 2", "not 0"]),
        ("10036000291458", "check_digit", ["should be 9", "not 8"]),
    ],
)
def test_invalid_gtins(raw, rule, mentions):
    with pytest.raises(GtinError) as excinfo:
        normalise_gtin(raw)
    error = excinfo.value
    assert error.rule == rule
    assert isinstance(error, ValueError)
    message = str(error.message)
    assert str(error) == message
    for text in mentions:
        assert text in message


def test_padding_does_not_change_the_check_digit():
    assert gtin_check_digit("0400638133393") == gtin_check_digit("400638133393")


@given(
    body=st.text("0123456789", min_size=13, max_size=13),
    position=st.integers(0, 13),
    offset=st.integers(1, 9),
)
def test_generated_gtins_roundtrip_and_single_digit_errors_fail(body, position, offset):
    gtin = body + gtin_check_digit(body)
    assert normalise_gtin(gtin) == gtin
    changed_digit = str((int(gtin[position]) + offset) % 10)
    changed = gtin[:position] + changed_digit + gtin[position + 1 :]
    with pytest.raises(GtinError):
        normalise_gtin(changed)
