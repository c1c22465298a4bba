"""Finding labels: the filters the public API (and the catalogue) share, with keyset pagination so a page deep
in the results costs the same as the first."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from registry.labels.models import Label, LabelStatus
from registry.organisations.models import Organisation
from registry.products.models import Product
from registry.schemes.models import Scheme, SchemeVersion

SORTS = ("newest", "footprint", "-footprint")
MAX_PAGE = 100


class SearchError(ValueError):
    """A filter value that cannot be used; the message names the parameter and what it accepts."""


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
            q=(args.get("q") or "").strip()[:100], scheme=(args.get("scheme") or "").strip(),
            grade=(args.get("grade") or "").strip(), status=(args.get("status") or "").strip(),
            region=(args.get("region") or "").strip()[:2], sort=(args.get("sort") or "newest").strip(),
        )
        if filters.sort not in SORTS:
            raise SearchError(f"sort must be one of {', '.join(SORTS)}")
        if filters.status and filters.status not in {s.value for s in LabelStatus}:
            raise SearchError(f"status must be one of {', '.join(s.value for s in LabelStatus)}")
        if filters.region and not (len(filters.region) == 2 and filters.region.isdigit()):
            raise SearchError("region is a province code: the first two digits of a division code, e.g. 37")
        return filters


def _encode_cursor(label: Label, sort: str) -> str:
    key = [str(label.footprint), label.id] if sort != "newest" else [label.id]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> list[object]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort == "newest":
            assert isinstance(key, list) and len(key) == 1 and isinstance(key[0], int)
            return key
        assert isinstance(key, list) and len(key) == 2 and isinstance(key[1], int)
        return [Decimal(key[0]), key[1]]
    except (ValueError, AssertionError, InvalidOperation, TypeError):
        raise SearchError("after is not a cursor this API gave out; start again without it") from None


CERTIFICATE = re.compile(r"^CFP-[A-Z0-9]{2,6}-[0-9]{4}-[0-9]{6}$")


def _text_condition(q: str, holder: type[Organisation]) -> ColumnElement[bool]:
    """A certificate number or a GTIN is looked up exactly (an index hit); anything else is matched, case-blind,
    inside the product's names and model and the holder's names."""
    if CERTIFICATE.match(q.upper()):
        return Label.certificate_number == q.upper()
    digits = q.replace(" ", "").replace("-", "")
    if digits.isdigit() and 8 <= len(digits) <= 14:
        return Product.gtin == digits.zfill(14)
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        Product.name_zh.ilike(pattern, escape="\\"), Product.name_en.ilike(pattern, escape="\\"),
        Product.model.ilike(pattern, escape="\\"), holder.name_zh.ilike(pattern, escape="\\"),
        holder.name_en.ilike(pattern, escape="\\"),
    )


def query(filters: Filters) -> Select[tuple[Label]]:
    holder = aliased(Organisation)
    statement = (
        select(Label)
        .join(Product, Label.product_id == Product.id)
        .join(holder, Label.holder_id == holder.id)
        .join(SchemeVersion, Label.scheme_version_id == SchemeVersion.id)
        .join(Scheme, SchemeVersion.scheme_id == Scheme.id)
    )
    if filters.q:
        statement = statement.where(_text_condition(filters.q, holder))
    if filters.scheme:
        statement = statement.where(Scheme.code == filters.scheme)
    if filters.grade:
        statement = statement.where(Label.grade_code == filters.grade)
    if filters.status:
        statement = statement.where(Label.status == LabelStatus(filters.status))
    if filters.region:
        statement = statement.where(holder.division_code.startswith(filters.region))
    return statement


def search(session: Session, filters: Filters, *, limit: int = 20, after: str | None = None) -> tuple[list[Label], str | None]:
    """One page of labels and the cursor of the next page (None on the last)."""
    limit = max(1, min(limit, MAX_PAGE))
    statement = query(filters)
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
                statement = statement.where(or_(Label.footprint > footprint, and_(Label.footprint == footprint, Label.id > last_id)))
            else:
                statement = statement.where(or_(Label.footprint < footprint, and_(Label.footprint == footprint, Label.id < last_id)))
        statement = statement.order_by(*((Label.footprint, Label.id) if ascending else (Label.footprint.desc(), Label.id.desc())))
    rows = list(session.scalars(statement.limit(limit + 1)))
    page = rows[:limit]
    return page, (_encode_cursor(page[-1], filters.sort) if len(rows) > limit else None)
