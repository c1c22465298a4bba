"""Reference numbers: unguessable, unique, easy to type, and a typo is caught by the check character."""

from __future__ import annotations

import re

from registry.complaints import references
from registry.complaints.references import ALPHABET, new_reference, normalise


def test_a_reference_is_ts_and_thirteen_unambiguous_characters():
    for _ in range(200):
        reference = new_reference()
        assert re.fullmatch(r"TS-[0-9A-HJKMNP-TV-Z]{13}", reference), reference
        assert normalise(reference) == reference


def test_references_do_not_repeat():
    drawn = [new_reference() for _ in range(20_000)]
    assert len(set(drawn)) == len(drawn)


def test_a_reference_typed_loosely_is_still_found():
    reference = new_reference()
    body = reference[3:]
    spaced = " ".join(body[i : i + 4] for i in range(0, len(body), 4))
    assert normalise(spaced.lower()) == reference
    assert normalise(f"ts-{body[:6]}-{body[6:]}") == reference
    assert normalise(body) == reference  # without the prefix
    # I and L are read as 1, O as 0 (Crockford's rule), so a reference holding 1 or 0 survives the confusion.
    with_digits = next(r for r in iter(new_reference, None) if "1" in r[3:] and "0" in r[3:])
    assert normalise(with_digits.replace("1", "l").replace("0", "O")) == with_digits


def test_every_single_wrong_character_and_every_swap_of_neighbours_is_caught():
    for _ in range(30):
        reference = new_reference()
        body = reference[3:]
        for position in range(len(body)):
            for symbol in ALPHABET:
                if symbol != body[position]:
                    typo = body[:position] + symbol + body[position + 1 :]
                    assert normalise(typo) is None, (reference, typo)
        for position in range(len(body) - 1):
            if body[position] != body[position + 1]:
                swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
                assert normalise(swapped) is None, (reference, swapped)


def test_what_cannot_be_a_reference_is_refused():
    reference = new_reference()
    for typed in ("", "TS-", reference[:-1], reference + "7", reference.replace(reference[5], "U"), "TS-!!!!!!!!!!!!!"):
        assert normalise(typed) is None, typed
    assert references.LENGTH == len(reference) == 16
