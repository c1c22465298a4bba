"""The words a label is found by, in one form both databases index the same way.

A label's search text is its product's names and model and its holder's names, folded: NFKC (so full-width
``ＡＢＣ１２３`` is ``abc123``), case-folded, accents removed, punctuation turned into spaces. Chinese writes no
spaces between words, so every Han character (and kana and hangul) is a token of its own, and every pair of
neighbouring characters too; a Chinese query is then a chain of pairs, and the full-text index finds it inside
any name: ``节能`` in ``高效节能铝型材``. Latin words and numbers stay whole, and the last word of a query matches as
a prefix, so ``alu`` finds ``aluminium``.

Traditional characters are folded to simplified ones (OpenCC's ``t2s``) on both sides, so ``電池`` finds ``电池``;
and a label's text carries the other words of the few synonym groups it holds (``SYNONYMS``: ``钢筋``/``rebar``,
``光伏``/``solar``), so a shopper searching in either language finds a product named in the other. Labels stored
before a change to these are refreshed by migration 0013.

SQLite indexes the text with FTS5 (``labels_search``), PostgreSQL with a GIN index over a generated column
``search_vector = to_tsvector('simple', search_text)`` (migration 0005); ``registry.disclosure.search`` writes each
engine's query.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import opencc

# Traditional to simplified Chinese, characters and common phrases (OpenCC's own table, kept by its project).
_SIMPLIFIED = opencc.OpenCC("t2s")

# Words a shopper may search by in the other language, or by another name: a label whose names hold one word of a
# group is also found by the others. Latin words whole and folded; Chinese in simplified characters.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("钢筋", "rebar"),
    ("光伏", "solar", "photovoltaic", "pv"),
    ("电池", "battery", "batteries"),
    ("锂", "lithium"),
    ("铝", "aluminium", "aluminum"),
    ("钢", "steel"),
    ("水泥", "cement"),
    ("轮胎", "tyre", "tire", "tyres", "tires"),
    ("纺织", "textile", "textiles"),
    ("手机", "smartphone", "phone"),
)

# Han (unified ideographs, extensions A to G, compatibility), kana and hangul syllables: written without spaces.
_UNSPACED = (
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)


def _unspaced(character: str) -> bool:
    point = ord(character)
    return any(low <= point <= high for low, high in _UNSPACED)


def _pieces(text: str) -> list[str | list[str]]:
    """``text`` folded into its pieces: a Latin word or number as a string (accents dropped), a run of
    unspaced-script characters (Han, kana, hangul) as the list of its characters (kept whole: ガ stays ガ)."""
    pieces: list[str | list[str]] = []
    word: list[str] = []
    run: list[str] = []

    def end_word() -> None:
        if word:
            pieces.append(unicodedata.normalize("NFC", "".join(word)))
            word.clear()

    for character in _SIMPLIFIED.convert(unicodedata.normalize("NFKC", text)).casefold():
        if _unspaced(character):
            end_word()
            run.append(character)
            continue
        if run:
            pieces.append(run)
            run = []
        for part in unicodedata.normalize("NFKD", character):
            if unicodedata.combining(part):
                continue
            if part.isalnum():
                word.append(part)
            else:
                end_word()
    end_word()
    if run:
        pieces.append(run)
    return pieces


def _bigrams(run: list[str]) -> list[str]:
    return [run[i] + run[i + 1] for i in range(len(run) - 1)]


def tokens(text: str) -> list[str]:
    """The tokens of ``text``: each unspaced-script character alone, every other run of letters and digits whole."""
    return [token for piece in _pieces(text) for token in ([piece] if isinstance(piece, str) else piece)]


def search_text(*fields: str | None) -> str:
    """What is stored in ``labels.search_text``: the tokens of every field, then the bigrams (pairs of neighbouring
    characters) of every run of Han characters, all separated by spaces. A Chinese query of two or more
    characters is looked up as its chain of bigrams: a selective lookup (节能 is one token, not the thousands of
    labels holding 节 and the thousands holding 能), which cannot match across a space, a punctuation mark or the
    end of a field."""
    pieces = [piece for field in fields if field for piece in _pieces(field)]
    pieces += _synonyms(pieces)
    singles = [token for piece in pieces for token in ([piece] if isinstance(piece, str) else piece)]
    pairs = [pair for piece in pieces if isinstance(piece, list) for pair in _bigrams(piece)]
    return " ".join(singles + pairs)


def _synonyms(pieces: list[str | list[str]]) -> list[str | list[str]]:
    """The pieces of the synonyms of the words ``pieces`` hold that they do not hold already."""
    words = {piece for piece in pieces if isinstance(piece, str)}
    runs = ["".join(piece) for piece in pieces if isinstance(piece, list)]

    def holds(word: str) -> bool:
        return any(word in run for run in runs) if _unspaced(word[0]) else word in words

    added: list[str | list[str]] = []
    for group in SYNONYMS:
        if any(holds(word) for word in group):
            added += [word if not _unspaced(word[0]) else list(word) for word in group if not holds(word)]
    return added


def label_search_text(product: object, holder: object) -> str:
    """A label's search text from its product and holder (anything with their name attributes)."""
    return search_text(
        getattr(product, "name_zh", None),
        getattr(product, "name_en", None),
        getattr(product, "model", None),
        getattr(holder, "name_zh", None),
        getattr(holder, "name_en", None),
    )


def query_phrases(query: str) -> list[tuple[list[str], bool]]:
    """A query as phrases that must all match, each its tokens in order and whether the last one is a prefix (a
    Latin word or a number still being typed). Per whitespace-separated part of the query:

    - Han characters alone: one character is itself; two or more are the chain of their bigrams;
    - Latin words and numbers (``energy-sto``): their tokens in order, the last as a prefix;
    - both (``LFP电池``, ``铝型材12345``): all the part's tokens in order, and the bigram chain of each Han run of
      two or more characters as well (the same matches, found through the selective bigrams).
    """
    phrases: list[tuple[list[str], bool]] = []
    for part in query.split():
        pieces = _pieces(part)
        if not pieces:
            continue
        runs = [piece for piece in pieces if isinstance(piece, list)]
        if len(pieces) == 1 and runs:
            phrases.append((_bigrams(runs[0]) if len(runs[0]) > 1 else runs[0], False))
            continue
        phrases.append((tokens(part), isinstance(pieces[-1], str)))
        phrases += [(_bigrams(run), False) for run in runs if len(run) > 1]
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
