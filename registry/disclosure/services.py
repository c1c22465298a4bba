"""What the public may read about a label: the record, its status, its place in its category, and the machine-
readable document. Nothing here touches activity data, documents, findings or people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, func, select, type_coerce
from sqlalchemy.orm import Session, lazyload

from registry.applications.models import Statement
from registry.database import MICRO
from registry.disclosure.charts import Distribution
from registry.labels.models import Label, LabelAction, LabelStatus, LabelTransition
from registry.labels.tokens import public_record
from registry.numbers import plain
from registry.products.models import Product
from registry.schemes.models import SchemeVersion
from registry.supervision.models import DishonestListEvent, SupervisionOrder
from registry.supervision.services import list_events, orders_by_step
from registry.verifier.format import record_hash

# Labels a shopper should rely on; the rest are shown with a banner.
CURRENT_STATUSES = (LabelStatus.VALID,)


def label_by_public_id(session: Session, public_id: str) -> Label | None:
    if not 16 <= len(public_id) <= 32:
        return None
    return session.scalar(select(Label).where(Label.public_id == public_id))


def product_by_gtin(session: Session, gtin14: str) -> Product | None:
    return session.scalar(select(Product).where(Product.gtin == gtin14))


def labels_of_product(session: Session, product: Product) -> list[Label]:
    """Newest first."""
    statement = select(Label).where(Label.product_id == product.id).order_by(Label.issued_at.desc(), Label.id.desc())
    # The history lists numbers and statuses: the label shown loads its application when the page asks for it.
    return list(session.scalars(statement.options(lazyload(Label.application), lazyload(Label.signing_key))))


def current_label(labels: list[Label]) -> Label | None:
    """The label a product carries now: its newest valid one, else its newest (shown with its status)."""
    return next((label for label in labels if label.status in CURRENT_STATUSES), labels[0] if labels else None)


@dataclass(frozen=True)
class Category:
    """Where a label sits in its category, counted in SQL (a category may hold a million labels)."""

    distribution: Distribution
    percentile: int

    @property
    def total(self) -> int:
        return self.distribution.total


def category(session: Session, label: Label, bins: int = 12) -> Category:
    """The valid labels under the same scheme and major version (same declared unit and boundary, so comparable),
    this label included whatever its status: their spread in ``bins`` round bins, and the share of them whose
    footprint is higher than this label's. Counted in SQL over the (status, scheme version, footprint) index."""
    from registry.disclosure import charts

    major = label.scheme_version.version.split(".")[0]
    version_ids = list(
        session.scalars(
            select(SchemeVersion.id).where(
                SchemeVersion.scheme_id == label.scheme_version.scheme_id, SchemeVersion.version.like(f"{major}.%")
            )
        )
    )
    in_scope = (Label.status.in_(CURRENT_STATUSES), Label.scheme_version_id.in_(version_ids))
    included = label.status in CURRENT_STATUSES  # otherwise this label is added to the valid ones
    distribution = counted_distribution(session, in_scope, bins, plus=None if included else label.footprint)
    assert distribution is not None  # it holds this label at least
    total = distribution.total
    higher = (
        session.scalar(select(func.count()).select_from(Label).where(*in_scope, Label.footprint > label.footprint)) or 0
    )
    return Category(distribution, charts.percent_higher(higher, total))


def counted_distribution(
    session: Session,
    in_scope: tuple[ColumnElement[bool], ...],
    bins: int = 12,
    plus: Decimal | None = None,
) -> Distribution | None:
    """The footprints of the labels ``in_scope`` (and ``plus``, one more value, if given) in ``bins`` round bins,
    counted in SQL: a count, a minimum and a maximum, then a count per bin over its footprint range, so nothing
    reads a million values into Python or sorts them. None when there is no value."""
    from registry.disclosure import charts

    raw = type_coerce(Label.footprint, BigInteger)  # MicroDecimal stores millionths: integer arithmetic in SQL
    total, low_raw, high_raw = session.execute(
        select(func.count(), func.min(raw), func.max(raw)).where(*in_scope)
    ).one()
    if plus is not None:
        own = int(plus * MICRO)
        total += 1
        low_raw = own if low_raw is None else min(low_raw, own)
        high_raw = own if high_raw is None else max(high_raw, own)
    if not total:
        return None
    low, high = Decimal(low_raw) / MICRO, Decimal(high_raw) / MICRO
    found = charts.grid(low, high, bins)
    counts = [0] * found.count
    width = found.width * MICRO
    if found.width == 0:
        counts[0] = total
    else:
        if width != int(width):  # bins finer than a millionth: only for categories of near-identical values
            for (value,) in session.execute(select(Label.footprint).where(*in_scope)):
                counts[found.index(value) or 0] += 1
        else:  # one count per bin over its range of the (…, footprint) index: only that bin's entries are read
            for index in range(found.count):
                upper = found.edge(index + 1)
                below = Label.footprint <= upper if index == found.count - 1 else Label.footprint < upper
                counts[index] += (
                    session.scalar(
                        select(func.count())
                        .select_from(Label)
                        .where(*in_scope, Label.footprint >= found.edge(index), below)
                    )
                    or 0
                )
        if plus is not None:
            counts[found.index(plus) or 0] += 1
    return Distribution(low=low, high=high, total=total, grid=found, counts=tuple(counts))


def statement_for(session: Session, label: Label) -> Statement | None:
    # The public part only: never the verifier's user record (joined by default).
    return session.get(Statement, label.application_id, options=[lazyload(Statement.signed_by)])


@dataclass(frozen=True)
class Stage:
    code: str
    value: Decimal


def stages(label: Label) -> list[Stage]:
    return [Stage(stage.stage, stage.value) for stage in sorted(label.application.stages, key=lambda s: s.position)]


def public_document(session: Session, label: Label, host: str) -> dict[str, Any]:
    """``/l/{label-id}.json``: the canonical public record (whose hash the token signs), the record hash, the
    label's current status and status-list entry, the QR URL, and the verification summary. The schema is in
    ``docs/public-data.md``."""
    record = public_record(label)
    statement = statement_for(session, label)
    return {
        "schema": f"https://{host}/schemas/label-v1.json",
        "record": record,
        "record_hash": record_hash(record).hex(),
        "status": label.status.value,
        # Whether the token's signature still verifies: "key_revoked" once the key that signed it is revoked,
        # until the body re-issues the label (registry.labels.reissue).
        "signature": "key_revoked" if label.signature_revoked else "trusted",
        "status_list": {
            "list": label.status_list,
            "index": label.status_index,
            "revocation": f"https://{host}/status/revocation/{label.status_list}",
            "suspension": f"https://{host}/status/suspension/{label.status_list}",
        },
        "qr_url": label.qr_url(host),
        "verification": None
        if statement is None
        else {
            "assurance": statement.assurance.value,
            "opinion": statement.opinion.value,
            "materiality_percent": plain(statement.materiality_percent),
            "summary": statement.summary,
        },
        "links": {
            "page": label.page_url(host),
            "status": f"https://{host}/l/{label.public_id}/status",
            "artwork": {size: f"https://{host}/l/{label.public_id}/label-{size}.pdf" for size in ("standard", "small")},
        },
    }


# --- the labels' public history ---------------------------------------------------------------------------------

# What /notices lists: the changes the public is told of (issues are in the catalogue, expiry is on the label).
NOTICE_ACTIONS = (LabelAction.SUSPEND, LabelAction.RESTORE, LabelAction.WITHDRAW, LabelAction.CANCEL)


def status_changes(session: Session, label: Label) -> list[LabelTransition]:
    """The label's history, from its issue: every status it has had, when, by whom (in which capacity) and why."""
    return list(
        session.scalars(
            select(LabelTransition).where(LabelTransition.label_id == label.id).order_by(LabelTransition.id)
        )
    )


def notices(session: Session, *, before: int | None = None, limit: int = 50) -> list[LabelTransition]:
    """The public notices, newest first, ``limit`` of them before the transition id ``before``."""
    query = (
        select(LabelTransition)
        .where(LabelTransition.action.in_([a.value for a in NOTICE_ACTIONS]))
        .order_by(LabelTransition.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(LabelTransition.id < before)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Notice:
    """One public notice: a label's change (``step``, with the regulator's ``order`` behind it if there was one) or
    a change of the dishonest-entity list (``entry``)."""

    at: datetime
    step: LabelTransition | None = None
    order: SupervisionOrder | None = None
    entry: DishonestListEvent | None = None


def public_notices(
    session: Session, *, before: int | None = None, before_list: int | None = None, limit: int = 50
) -> list[Notice]:
    """The label changes and the dishonest-entity list's changes merged, newest first: ``limit`` of them, the label
    changes before the transition id ``before`` and the list's before the event id ``before_list``."""
    steps = notices(session, before=before, limit=limit)
    events = list_events(session, before=before_list, limit=limit)
    orders = orders_by_step(session, [step.id for step in steps])
    merged = [Notice(at=step.at, step=step, order=orders.get(step.id)) for step in steps]
    merged += [Notice(at=event.at, entry=event) for event in events]
    merged.sort(key=lambda notice: notice.at, reverse=True)
    return merged[:limit]
