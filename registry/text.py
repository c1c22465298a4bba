"""Free text that people type and the registry shows again: no characters that lie about its direction.

Unicode's directional formatting characters (UAX #9) are invisible, yet an override such as U+202E makes what
follows it display backwards: a model typed as ``AB``, U+202E, ``321`` reads as ``AB123``, and the reversal runs on past the end of
the name into the certificate number beside it. No name, model or reason in this registry needs them (Chinese
and Latin text order themselves; Arabic or Hebrew text does too, by the bidi algorithm's implicit rules), so
they are refused where text comes in, in forms and again in the services (which the CLI and demo data use).

Rows written before that refusal may still hold them, so text is also isolated where it is shown: in HTML a
``<bdi>`` element (the ``bdi`` template filter), where no element can go (page titles, meta tags, plain-text
JSON) the isolate characters FSI … PDI (the ``isolate`` filter). Either way the stored controls are removed
first: a stray PDI inside a name would otherwise close the isolate early and let an override after it escape.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import LazyString, lazy_gettext as _l
from markupsafe import Markup, escape

from registry.errors import ServiceError

# The embeddings and overrides (LRE, RLE, PDF, LRO, RLO), the isolates (LRI, RLI, FSI, PDI), and the three
# marks (LRM, RLM and the Arabic letter mark ALM): the marks reorder neighbouring digits and punctuation just
# as well, so they are used for the same trick. Zero-width joiners and spaces do not change direction (and
# ZWJ is part of many emoji), so they are left alone.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REMOVE = str.maketrans(dict.fromkeys(map(ord, BIDI_CONTROLS)))

FSI = "\u2068"  # FIRST STRONG ISOLATE: the text inside takes its own direction, and keeps it to itself
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE


def bidi_controls_in(text: str | None) -> list[str]:
    """The distinct directional formatting characters in ``text``, in the order they first appear."""
    return list(dict.fromkeys(char for char in text or "" if char in BIDI_CONTROLS))


def describe(characters: Iterable[str]) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: code points and names, which is what a person can search for."""
    import unicodedata

    return ", ".join(f"U+{ord(char):04X} {unicodedata.name(char)}" for char in characters)


def bidi_refusal(characters: Iterable[str]) -> LazyString:
    """The message for text that holds directional formatting characters, in the reader's language."""
    return _l(
        "This text contains invisible characters that change the direction of text (%(characters)s): they can make "
        "a name or number read backwards on screen. Retype it without them (they usually come with text copied "
        "from elsewhere).",
        characters=describe(characters),
    )


def refuse_bidi_controls(**fields: str | None) -> None:
    """Raise a ServiceError on the first of ``fields`` (form field name → value) that holds such characters."""
    for field, value in fields.items():
        found = bidi_controls_in(value)
        if found:
            raise ServiceError(bidi_refusal(found), field=field)


def strip_bidi_controls(text: str | None) -> str:
    return (text or "").translate(_REMOVE)


def isolate(text: str | None) -> str:
    """Plain text that cannot reorder what surrounds it: FSI … PDI around the text without its own controls.
    Empty text stays empty."""
    cleaned = strip_bidi_controls(text)
    return f"{FSI}{cleaned}{PDI}" if cleaned else ""


def bdi(text: str | None) -> Markup:
    """HTML for a name shown inline next to other text: ``<bdi>`` (direction isolated, taken from the name's
    first strong letter) around the escaped text without its own controls. Empty text stays empty."""
    cleaned = strip_bidi_controls(text)
    return Markup("<bdi>%s</bdi>") % escape(cleaned) if cleaned else Markup("")
