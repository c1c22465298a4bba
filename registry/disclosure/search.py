"""Finding labels: the filters the public API (and the catalogue) share, with keyset pagination so a page deep
in the results costs the same as the first."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Integer,
    Row,
    Select,
    and_,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, lazyload

from registry.labels.models import Label, LabelStatus
from registry.labels.searchtext import fts5_query, query_phrases, tsquery
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.models import Scheme, SchemeVersion
from registry.verifier.format import b64url, b64url_decode

SORTS = ("newest", "footprint", "-footprint")
MAX_PAGE = 100


class SearchError(ValueError):
    """A filter value that cannot be used; the message names the parameter and what it accepts (for the API's
    users), ``parameter`` which one it is (for the catalogue page, which names the filter as its form does)."""

    def __init__(self, message: object, parameter: str = "after") -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Filters:
    q: str = ""
    scheme: str = ""
    grade: str = ""
    status: str = ""
    region: str = ""  # a province: the first two digits of the GB/T 2260 division code, e.g. "37" (Shandong)
    sort: str = "newest"

    @classmethod
    def from_args(cls, args: dict[str, str]) -> Filters:
        filters = cls(
            q=(args.get("q") or "").strip()[:100],
            scheme=(args.get("scheme") or "").strip(),
            grade=(args.get("grade") or "").strip(),
            status=(args.get("status") or "").strip(),
            region=(args.get("region") or "").strip()[:2],
            sort=(args.get("sort") or "newest").strip(),
        )
        if filters.sort not in SORTS:
            raise SearchError(_l("sort must be one of %(values)s.", values=", ".join(SORTS)), "sort")
        if filters.status and filters.status not in {s.value for s in LabelStatus}:
            raise SearchError(
                _l("status must be one of %(values)s.", values=", ".join(s.value for s in LabelStatus)), "status"
            )
        if filters.region and not (len(filters.region) == 2 and filters.region.isdigit()):
            raise SearchError(
                _l("region is a province code: the first two digits of a division code, e.g. 37."), "region"
            )
        return filters


def _encode_cursor(label: Label, sort: str) -> str:
    key = [str(label.footprint), label.id] if sort != "newest" else [label.id]
    return b64url(json.dumps(key).encode())


# A cursor's values are compared with BIGINT columns (ids, and footprints in millionths): beyond these a database
# overflows instead of answering.
_BIGINT = range(-(2**63), 2**63)
_FOOTPRINTS = (Decimal(_BIGINT[0]).scaleb(-6), Decimal(_BIGINT[-1]).scaleb(-6))  # MicroDecimal: millionths in a BIGINT
BROKEN_CURSOR = _l(
    "The paging link is broken: after is not a cursor this registry gave out. "
    "Start again from the first page, without after."
)


def _decode_cursor(cursor: str, sort: str) -> list[object]:
    """The key ``_encode_cursor`` wrote, checked value by value: a cursor comes from the URL, so anyone can write
    one, and what reaches the query must be what the columns hold."""
    try:
        key = json.loads(b64url_decode(cursor))
    except (ValueError, RecursionError):  # not base64url (a FormatError), not UTF-8, not JSON
        raise SearchError(BROKEN_CURSOR) from None
    arity = 1 if sort == "newest" else 2
    if not (isinstance(key, list) and len(key) == arity and _is_bigint(key[-1])):
        raise SearchError(BROKEN_CURSOR)
    if sort == "newest":
        return key
    footprint = _footprint(key[0])
    if footprint is None:
        raise SearchError(BROKEN_CURSOR)
    return [footprint, key[1]]


def _is_bigint(value: object) -> bool:
    return type(value) is int and value in _BIGINT  # bool is an int too, and a column cannot compare with it


def _footprint(value: object) -> Decimal | None:
    """A footprint as the cursor writes it (a decimal string) that a ``MicroDecimal`` column can hold: finite, at
    most six decimal places, whole millionths within BIGINT. Else None."""
    if not isinstance(value, str):
        return None
    try:
        footprint = Decimal(value)
    except InvalidOperation:
        return None
    # Compared, never scaled: scaling 1e-999999999 underflows to 0 and 1e999999999 to a million-digit integer.
    exponent = footprint.as_tuple().exponent  # "n", "N" or "F" for a NaN or an infinity
    if not isinstance(exponent, int) or exponent < -6 or not _FOOTPRINTS[0] <= footprint <= _FOOTPRINTS[1]:
        return None
    return footprint


CERTIFICATE = re.compile(r"^CFP-[A-Z0-9]{2,6}-[0-9]{4}-[0-9]{6}$")


def _exact_lookup(q: str) -> ColumnElement[bool] | None:
    """A certificate number or a GTIN (any length, leading zeros optional) is looked up exactly: an index hit."""
    if CERTIFICATE.match(q.upper()):
        return Label.certificate_number == q.upper()
    digits = q.replace(" ", "").replace("-", "")
    if digits.isdigit() and 8 <= len(digits) <= 14:
        return Label.product_id.in_(select(Product.id).where(Product.gtin == digits.zfill(14)))
    return None


def _text_conditions(session: Session, q: str) -> list[ColumnElement[bool]]:
    """Anything but an exact lookup is free text, matched in the product's names and model and the holder's names
    (``registry.labels.searchtext``): every space-separated part of the query must match, Chinese as a run of
    characters, Latin words by prefix. PostgreSQL asks its GIN index here; SQLite's free text is matched by
    ``_sqlite_text_page`` instead (no condition). Only punctuation matches nothing."""
    exact = _exact_lookup(q)
    if exact is not None:
        return [exact]
    phrases = query_phrases(q)
    if not phrases:
        return [false()]
    if session.get_bind().dialect.name == "sqlite":
        return []
    vector: ColumnClause[Any] = literal_column(
        "labels.search_vector"
    )  # generated from search_text, GIN-indexed (migration 0005)
    return [vector.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(phrases)))]


def _sqlite_free_text(session: Session, q: str) -> list[tuple[list[str], bool]]:
    """The phrases ``_sqlite_text_page`` matches: free text on SQLite, else none."""
    if not q or session.get_bind().dialect.name != "sqlite" or _exact_lookup(q) is not None:
        return []
    return query_phrases(q)


# How many labels, in catalogue order, SQLite checks directly before it asks the full-text index for every match.
TEXT_WINDOW = 1000


def _sqlite_text_page(
    session: Session, statement: Select[int, Decimal], phrases: list[tuple[list[str], bool]], want: int
) -> Sequence[Row[*tuple[Any, ...]]]:
    """One page of a free-text search on SQLite, whichever way is cheaper.

    FTS5 answers "which labels match" as a whole set, which for a common word is a large one (a sixth of a
    million labels for 节能 in the bench) that must then be sorted into catalogue order. Most pages of such a
    search are found in the first few hundred labels in that order instead. So the first ``TEXT_WINDOW`` labels
    that pass the other filters, in catalogue order, are read with their search text and checked here (the same
    phrase match as the index: the tokens in order, at token boundaries, the last one as a prefix where it may
    be). If that does not fill the page and there were more labels, the words are rare (under one label in
    ``TEXT_WINDOW / want``) and the full-text index's answer is small: it decides.
    """
    needles = [" " + " ".join(words) + ("" if prefix else " ") for words, prefix in phrases]
    found: list[Row[*tuple[Any, ...]]] = []
    read = 0
    window = session.execute(statement.add_columns(Label.search_text).limit(TEXT_WINDOW))
    for row in window:  # SQLite produces the rows as they are read: a common word stops it early
        read += 1
        if all(needle in f" {row.search_text} " for needle in needles):
            found.append(row)
            if len(found) == want:
                window.close()
                return found
    if read < TEXT_WINDOW:
        return found
    matches = text("SELECT rowid FROM labels_search WHERE labels_search MATCH :match").bindparams(
        match=fts5_query(phrases)
    )
    return session.execute(statement.where(Label.id.in_(matches.columns(column("rowid", Integer)))).limit(want)).all()


def _conditions(session: Session, filters: Filters) -> list[ColumnElement[bool]]:
    """The filters as conditions on the labels table alone, so the database can read an index in catalogue order
    and stop after one page. A scheme is resolved to its version ids first: one version (the usual case) is an
    equality the (scheme version, id) and (scheme version, footprint, id) indexes serve in order."""
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        conditions += _text_conditions(session, filters.q)
    if filters.scheme:
        versions = list(session.scalars(select(SchemeVersion.id).join(Scheme).where(Scheme.code == filters.scheme)))
        conditions.append(
            Label.scheme_version_id == versions[0] if len(versions) == 1 else Label.scheme_version_id.in_(versions)
        )
    if filters.grade:
        conditions.append(Label.grade_code == filters.grade)
    if filters.status:
        conditions.append(Label.status == LabelStatus(filters.status))
    if filters.region:
        holders = select(Organisation.id).where(Organisation.division_code.startswith(filters.region))
        conditions.append(Label.holder_id.in_(holders))
    return conditions


def search(
    session: Session, filters: Filters, *, limit: int = 20, after: str | None = None
) -> tuple[list[Label], str | None]:
    """One page of labels and the cursor of the next page (None on the last). The page's ids are found first on
    the labels table and its indexes alone; then those labels are loaded with what a catalogue row shows."""
    limit = max(1, min(limit, MAX_PAGE))
    statement = select(Label.id, Label.footprint).where(*_conditions(session, filters))
    if filters.sort == "newest":
        if after:
            (last_id,) = _decode_cursor(after, filters.sort)
            statement = statement.where(Label.id < last_id)
        statement = statement.order_by(Label.id.desc())
    else:
        ascending = filters.sort == "footprint"
        if after:
            footprint, last_id = _decode_cursor(after, filters.sort)
            if ascending:
                statement = statement.where(
                    or_(Label.footprint > footprint, and_(Label.footprint == footprint, Label.id > last_id))
                )
            else:
                statement = statement.where(
                    or_(Label.footprint < footprint, and_(Label.footprint == footprint, Label.id < last_id))
                )
        statement = statement.order_by(
            *((Label.footprint, Label.id) if ascending else (Label.footprint.desc(), Label.id.desc()))
        )
    phrases = _sqlite_free_text(session, filters.q)
    if phrases:
        keys = _sqlite_text_page(session, statement, phrases, limit + 1)
    else:
        keys = session.execute(statement.limit(limit + 1)).all()
    ids = [row.id for row in keys[:limit]]
    loaded = {
        label.id: label
        for label in session.scalars(
            select(Label).where(Label.id.in_(ids)).options(lazyload(Label.application), lazyload(Label.signing_key))
        )
    }
    page = [loaded[i] for i in ids]
    return page, (_encode_cursor(page[-1], filters.sort) if len(keys) > limit else None)


def filter_conditions(session: Session, filters: Filters) -> list[ColumnElement[bool]]:
    """The catalogue's filters as conditions on the labels table, for other domains that select labels the same
    way (the spot-check draws of registry.inspections)."""
    return _conditions(session, filters)


def count(session: Session, filters: Filters) -> int:
    """How many labels the search finds in all (the catalogue says so above its first page). SQLite's free text is
    counted through its full-text index, as ``_sqlite_text_page`` finds it when the words are rare."""
    statement = select(func.count()).select_from(Label).where(*_conditions(session, filters))
    phrases = _sqlite_free_text(session, filters.q)
    if phrases:
        matches = text("SELECT rowid FROM labels_search WHERE labels_search MATCH :match").bindparams(
            match=fts5_query(phrases)
        )
        statement = statement.where(Label.id.in_(matches.columns(column("rowid", Integer))))
    return session.scalar(statement) or 0
