"""The words a label is found by, in one form both databases index the same way.

A label's search text is its product's names and model and its holder's names, folded: NFKC (so full-width
``ＡＢＣ１２３`` is ``abc123``), case-folded, accents removed, punctuation turned into spaces. Chinese writes no
spaces between words, so every Han character (and kana and hangul) is a token of its own; a Chinese query then
becomes a phrase of its characters, and the full-text index finds it inside any name: ``节能`` in
``高效节能铝型材``. Latin words and numbers stay whole, and the last word of a query matches as a prefix, so
``alu`` finds ``aluminium``.

SQLite indexes the text with FTS5 (``labels_search``), PostgreSQL with a GIN index over
``to_tsvector('simple', search_text)`` (migration 0005); ``registry.disclosure.search`` writes each engine's query.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Han (unified ideographs, extensions A to G, compatibility), kana and hangul syllables: written without spaces.
_UNSPACED = (
    (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF),
)


def _unspaced(character: str) -> bool:
    point = ord(character)
    return any(low <= point <= high for low, high in _UNSPACED)


def tokens(text: str) -> list[str]:
    """The tokens of ``text``: each unspaced-script character alone, every other run of letters and digits whole."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    found: list[str] = []
    word: list[str] = []
    for character in folded:
        if unicodedata.combining(character):
            continue
        if _unspaced(character):
            if word:
                found.append("".join(word))
                word = []
            found.append(character)
        elif character.isalnum():
            word.append(character)
        elif word:
            found.append("".join(word))
            word = []
    if word:
        found.append("".join(word))
    return [unicodedata.normalize("NFC", token) for token in found]


def search_text(*fields: str | None) -> str:
    """What is stored in ``labels.search_text``: the tokens of every field, separated by spaces."""
    return " ".join(token for field in fields if field for token in tokens(field))


def label_search_text(product: object, holder: object) -> str:
    """A label's search text from its product and holder (anything with their name attributes)."""
    return search_text(
        getattr(product, "name_zh", None), getattr(product, "name_en", None), getattr(product, "model", None),
        getattr(holder, "name_zh", None), getattr(holder, "name_en", None),
    )


def query_phrases(query: str) -> list[tuple[list[str], bool]]:
    """A query as phrases that must all match: one per whitespace-separated part, each the part's tokens in order,
    and whether its last token is a prefix (a Latin word or a number still being typed; a Han character is whole)."""
    phrases = []
    for part in query.split():
        words = tokens(part)
        if words:
            phrases.append((words, not _unspaced(words[-1][0])))
    return phrases


def fts5_query(phrases: Iterable[tuple[list[str], bool]]) -> str:
    """SQLite FTS5 syntax: ``"节 能" "alu" *``; tokens hold only letters and digits, so quoting is safe."""
    return " ".join('"' + " ".join(words) + '"' + (" *" if prefix else "") for words, prefix in phrases)


def tsquery(phrases: Iterable[tuple[list[str], bool]]) -> str:
    """PostgreSQL ``to_tsquery`` syntax: ``'节' <-> '能' & 'alu':*``."""
    return " & ".join(
        " <-> ".join(f"'{word}'" + (":*" if prefix and i == len(words) - 1 else "") for i, word in enumerate(words))
        for words, prefix in phrases
    )
