"""GS1 Global Trade Item Numbers.

Products carrying a carbon label are identified by the barcode on their
packaging.  The same item can be written as GTIN-8, -12 (UPC-A), -13 (EAN)
or -14, so the registry stores the 14-digit form: this makes look-ups and
uniqueness checks independent of how the applicant typed the number.
"""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

ACCEPTED_LENGTHS = (8, 12, 13, 14)
_DIGITS = "0123456789"


class GtinError(ValueError):
    """Carries a machine-readable ``rule`` for forms and APIs, and a lazily
    translated ``message`` for people."""

    def __init__(self, rule: str, message: object) -> None:
        super().__init__(rule, message)
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _check_digits(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in _DIGITS:
            raise GtinError(
                "digits",
                _l(
                    "A GTIN contains only digits; %(char)s at position %(position)s is not a digit.",
                    char=char,
                    position=position,
                ),
            )


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit of everything but the last digit.

    Weights alternate 3, 1 starting from the rightmost body digit, so the
    result does not depend on how many leading zeros pad the number.
    """
    _check_digits(body)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str(-total % 10)


def normalise_gtin(raw: str) -> str:
    """Validate a GTIN as typed and return its GTIN-14 form."""
    # NFKC folds full-width digits and dashes from CJK input methods.
    text = unicodedata.normalize("NFKC", raw)
    digits = "".join(text.split()).replace("-", "")
    _check_digits(digits)
    if len(digits) not in ACCEPTED_LENGTHS:
        raise GtinError("length", _l("A GTIN has 8, 12, 13 or 14 digits; %(count)s were given.", count=len(digits)))
    expected = gtin_check_digit(digits[:-1])
    if digits[-1] != expected:
        raise GtinError(
            "check_digit",
            _l(
                "The check digit should be %(expected)s, not %(given)s; please check the number for a typing mistake.",
                expected=expected,
                given=digits[-1],
            ),
        )
    return digits.zfill(14)
