"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

Every organisation registered in mainland China carries one of these codes,
so the registry uses it as the stable key for applicants and manufacturers.
Codes are often copied by hand from business licences, so the parser tries
hard to say *which* part is wrong rather than just "invalid"; the rules are
checked in a fixed order so that the first message is the most useful one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Powers of 3 modulo 31: every weight is non-zero mod the prime 31, which is
# why any single-character substitution changes the check character.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
REGISTRATION_AUTHORITIES = "123456789ANY"

# GB/T 2260 province-level divisions, keyed by the first two digits of the
# administrative division code (positions 3-4 of the credit code).
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"),
    "12": ("天津市", "Tianjin"),
    "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"),
    "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"),
    "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"),
    "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Xizang (Tibet)"),
    "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"),
    "81": ("香港特别行政区", "Hong Kong SAR"),
    "82": ("澳门特别行政区", "Macao SAR"),
}


class UsccError(ValueError):
    """Carries a machine-readable ``rule`` so forms and APIs can react to the
    kind of mistake, and a lazily translated ``message`` for people."""

    def __init__(self, rule: str, message: object) -> None:
        super().__init__(rule, message)
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _normalise(raw: str) -> str:
    # NFKC folds full-width characters typed with Chinese input methods
    # (“９１３５…”, “－”, ideographic space) onto their ASCII forms.
    text = unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).replace("-", "").upper()


def _check_alphabet(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in ALPHABET:
            raise UsccError(
                "alphabet",
                _l(
                    "The character %(char)s at position %(position)s is not allowed:"
                    " a unified social credit code uses only digits and capital"
                    " letters, and the letters I, O, S, V and Z are never used.",
                    char=char,
                    position=position,
                ),
            )


def uscc_check_character(first17: str) -> str:
    """Public so that fixtures and demo data can mint codes that pass."""
    if len(first17) != 17:
        raise UsccError(
            "length",
            _l("The check character is computed over exactly 17 characters; %(count)s were given.", count=len(first17)),
        )
    _check_alphabet(first17)
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_character(first8: str) -> str:
    """GB 11714 check for the embedded pre-2015 organisation code."""
    if len(first8) != 8 or not all(c.isascii() and c.isalnum() for c in first8):
        raise ValueError("an organisation code body is 8 digits or capital letters")
    values = [int(c) if c.isdigit() else ord(c.upper()) - ord("A") + 10 for c in first8]
    remainder = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


@dataclass(frozen=True)
class Uscc:
    """A code that passed every rule; the parts are kept so that views can
    show where an organisation is registered without re-slicing strings."""

    code: str
    registration_authority: str
    category: str
    division_code: str
    province_code: str
    organisation_code: str
    check_character: str

    @property
    def province_name_zh(self) -> str:
        return PROVINCES[self.province_code[:2]][0]

    @property
    def province_name_en(self) -> str:
        return PROVINCES[self.province_code[:2]][1]

    @property
    def organisation_code_valid(self) -> bool:
        # Informational only: some authorities assign organisation codes that
        # do not follow GB 11714, and such codes are still legally valid.
        body, check = self.organisation_code[:8], self.organisation_code[8]
        return organisation_code_check_character(body) == check

    def __str__(self) -> str:
        return self.code


def parse_uscc(raw: str) -> Uscc:
    """Normalise and validate, failing at the first broken rule so the user
    is told about the most fundamental mistake first."""
    code = _normalise(raw)
    if len(code) != 18:
        raise UsccError(
            "length",
            _l("A unified social credit code has exactly 18 characters; %(count)s were given.", count=len(code)),
        )
    _check_alphabet(code)
    if code[0] not in REGISTRATION_AUTHORITIES:
        raise UsccError(
            "registration_authority",
            _l(
                "The first character (registration authority) must be one of 1-9, A, N or Y, not %(char)s.",
                char=code[0],
            ),
        )
    division = code[2:8]
    if not (division.isascii() and division.isdigit()):
        raise UsccError(
            "division",
            _l(
                "Positions 3-8 must be the six-digit administrative division code, not %(division)s.", division=division
            ),
        )
    if division[:2] not in PROVINCES:
        raise UsccError(
            "division",
            _l(
                "Positions 3-8 (%(division)s) do not start with a province-level"
                " division code: %(province)s is not a code in GB/T 2260.",
                division=division,
                province=division[:2],
            ),
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise UsccError(
            "check_character",
            _l(
                "The check character (position 18) should be %(expected)s, not"
                " %(given)s; please check the code for a typing mistake.",
                expected=expected,
                given=code[17],
            ),
        )
    return Uscc(
        code=code,
        registration_authority=code[0],
        category=code[1],
        division_code=division,
        province_code=division[:2] + "0000",
        organisation_code=code[8:17],
        check_character=code[17],
    )
