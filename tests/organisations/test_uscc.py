"""Tests for unified social credit code parsing (GB 32100-2015)."""

import pytest
from hypothesis import given, strategies as st

from registry.organisations.uscc import (
    ALPHABET,
    PROVINCES,
    REGISTRATION_AUTHORITIES,
    Uscc,
    UsccError,
    organisation_code_check_character,
    parse_uscc,
    uscc_check_character,
)

STANDARD_EXAMPLE = "91350100M000100Y43"  # worked example in GB 32100-2015
HUAWEI = "914403001922038216"  # Huawei Technologies Co., Ltd.
KNOWN_CODES = [STANDARD_EXAMPLE, HUAWEI]


def test_standard_worked_example_check_character_is_3():
    assert uscc_check_character(STANDARD_EXAMPLE[:17]) == "3"


def test_standard_example_parts():
    uscc = parse_uscc(STANDARD_EXAMPLE)
    assert uscc == Uscc(
        code=STANDARD_EXAMPLE,
        registration_authority="9",
        category="1",
        division_code="350100",
        province_code="350000",
        organisation_code="M000100Y4",
        check_character="3",
    )
    assert (uscc.province_name_zh, uscc.province_name_en) == ("福建省", "Fujian")
    assert str(uscc) == STANDARD_EXAMPLE


def test_huawei_parts_and_organisation_code():
    uscc = parse_uscc(HUAWEI)
    assert uscc.division_code == "440300"
    assert uscc.province_code == "440000"
    assert (uscc.province_name_zh, uscc.province_name_en) == ("广东省", "Guangdong")
    assert uscc.organisation_code == "192203821"
    assert organisation_code_check_character("19220382") == "1"
    assert uscc.organisation_code_valid is True


def test_organisation_code_mismatch_is_reported_not_rejected():
    body = "91440300" + "19220382" + "2"  # the GB 11714 check would be 1
    uscc = parse_uscc(body + uscc_check_character(body))
    assert uscc.organisation_code_valid is False


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("19220382", "1"),  # Huawei
        ("D2143569", "X"),  # GB 11714 example D2143569-X: remainder 10
        ("00000000", "0"),  # remainder 11
        ("12345678", "8"),
    ],
)
def test_organisation_code_check_character(body, expected):
    assert organisation_code_check_character(body) == expected


def test_province_table_is_complete():
    assert len(PROVINCES) == 34
    assert PROVINCES["11"] == ("北京市", "Beijing")
    assert PROVINCES["71"] == ("台湾省", "Taiwan")
    assert PROVINCES["81"] == ("香港特别行政区", "Hong Kong SAR")
    assert PROVINCES["82"] == ("澳门特别行政区", "Macao SAR")


@pytest.mark.parametrize(
    "raw",
    [
        "  91350100M000100Y43 ",
        "91350100m000100y43",
        "9135 0100 M000 100Y 43",
        "913501-00M000100-Y43",
        "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width, as typed with a Chinese IME
        "91350100M000100Y43\u3000",  # ideographic space
    ],
)
def test_normalisation(raw):
    assert parse_uscc(raw).code == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("raw", "rule", "mentions"),
    [
        ("91350100M000100Y4", "length", ["18 characters", "17 were given"]),
        ("91350100M000100Y433", "length", ["19 were given"]),
        ("", "length", ["0 were given"]),
        ("91350100M000100O43", "alphabet", ["character O at position 16", "I, O, S, V and Z"]),
        ("91350100M000100I43", "alphabet", ["I", "16"]),
        ("9135010_M000100Y43", "alphabet", ["_", "8"]),
        ("B1350100M000100Y43", "registration_authority", ["B", "1-9, A, N or Y"]),
        ("9135A100M000100Y43", "division", ["35A100", "six-digit"]),
        ("91990100M000100Y43", "division", ["990100", "99", "GB/T 2260"]),
        ("91000000M000100Y43", "division", ["00 is not"]),
        ("91350100M000100Y44", "check_character", ["should be 3", "not 4", "position 18"]),
        ("914403001922038215", "check_character", ["should be 6", "not 5"]),
    ],
)
def test_invalid_codes(raw, rule, mentions):
    with pytest.raises(UsccError) as excinfo:
        parse_uscc(raw)
    error = excinfo.value
    assert error.rule == rule
    assert isinstance(error, ValueError)
    message = str(error.message)
    assert str(error) == message
    for text in mentions:
        assert text in message


def test_rules_are_checked_in_order():
    # Wrong length wins over a forbidden letter, which wins over the rest.
    assert _rule("Z1990100M000100Y4") == "length"
    assert _rule("Z1990100M000100Y43") == "alphabet"
    assert _rule("B1990100M000100Y40") == "registration_authority"
    assert _rule("91990100M000100Y40") == "division"


def _rule(raw):
    with pytest.raises(UsccError) as excinfo:
        parse_uscc(raw)
    return excinfo.value.rule


@pytest.mark.parametrize("code", KNOWN_CODES)
def test_every_single_character_substitution_is_caught(code):
    for position in range(18):
        for char in ALPHABET:
            if char != code[position]:
                changed = code[:position] + char + code[position + 1 :]
                with pytest.raises(UsccError):
                    parse_uscc(changed)


@pytest.mark.parametrize("code", KNOWN_CODES)
def test_every_adjacent_transposition_is_caught(code):
    for position in range(17):
        a, b = code[position], code[position + 1]
        if a != b:
            swapped = code[:position] + b + a + code[position + 2 :]
            with pytest.raises(UsccError):
                parse_uscc(swapped)


def test_check_character_helper_rejects_bad_input():
    with pytest.raises(UsccError) as excinfo:
        uscc_check_character("9135")
    assert excinfo.value.rule == "length"
    with pytest.raises(UsccError) as excinfo:
        uscc_check_character("91350100M000100O4")
    assert excinfo.value.rule == "alphabet"


digits = st.sampled_from("0123456789")
bodies = st.builds(
    lambda authority, category, province, county, org: authority + category + province + "".join(county) + "".join(org),
    st.sampled_from(REGISTRATION_AUTHORITIES),
    st.sampled_from(ALPHABET),
    st.sampled_from(sorted(PROVINCES)),
    st.lists(digits, min_size=4, max_size=4),
    st.lists(st.sampled_from(ALPHABET), min_size=9, max_size=9),
)


@given(body=bodies, position=st.integers(0, 17), offset=st.integers(1, 30))
def test_generated_codes_parse_and_any_substitution_fails(body, position, offset):
    code = body + uscc_check_character(body)
    assert parse_uscc(code).code == code
    replacement = ALPHABET[(ALPHABET.index(code[position]) + offset) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(UsccError):
        parse_uscc(changed)
