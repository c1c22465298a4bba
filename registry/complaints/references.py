"""Complaint reference numbers: ``TS-`` and 13 characters of Crockford base32, the last a check character.

Twelve random characters (60 bits from ``secrets``) make a reference nobody can guess; Crockford's alphabet has no
I, L, O or U, so a reference read aloud or typed from a note is unambiguous, and a typed I or L reads as 1, an O as
0. The check character is Crockford's (the number's value modulo 37), which catches any one wrong character and
any two neighbours swapped. References are drawn until that value is below 32, so the check is always one of the 32
ordinary characters (never Crockford's extra ``*~$=U``): 60 bits less a fifth of a bit.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "TS-"
RANDOM_LENGTH = 12
LENGTH = len(PREFIX) + RANDOM_LENGTH + 1
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READS_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _check_value(symbols: str) -> int:
    number = 0
    for symbol in symbols:
        number = number * 32 + _VALUE[symbol]
    return number % 37


def new_reference() -> str:
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
        check = _check_value(body)
        if check < 32:
            return PREFIX + body + ALPHABET[check]


def normalise(typed: str) -> str | None:
    """The reference someone typed, in its one written form, or None if it cannot be one (wrong length, a
    character outside the alphabet, or a check character that does not match: a typo)."""
    text = "".join(typed.split()).upper().replace("-", "").translate(_READS_AS)
    if len(text) == RANDOM_LENGTH + 3 and text.startswith("TS"):  # the prefix typed too (its dash is gone)
        text = text[2:]
    if len(text) != RANDOM_LENGTH + 1 or any(symbol not in _VALUE for symbol in text):
        return None
    body, check = text[:-1], text[-1]
    if _check_value(body) != _VALUE[check]:
        return None
    return PREFIX + text
