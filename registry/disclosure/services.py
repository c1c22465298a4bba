"""What the public may read about a label: the record, its status, its place in its category, and the machine-
readable document. Nothing here touches activity data, documents, findings or people."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.applications.models import Statement
from registry.labels.models import Label, LabelStatus
from registry.labels.tokens import public_record
from registry.products.models import Product
from registry.schemes.models import Scheme, SchemeVersion
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
    return list(session.scalars(select(Label).where(Label.product_id == product.id).order_by(Label.issued_at.desc(), Label.id.desc())))


def current_label(labels: list[Label]) -> Label | None:
    """The label a product carries now: its newest valid one, else its newest (shown with its status)."""
    return next((label for label in labels if label.status in CURRENT_STATUSES), labels[0] if labels else None)


def category_footprints(session: Session, label: Label) -> list[Decimal]:
    """Footprints of the valid labels under the same scheme and major version (same declared unit and boundary,
    so comparable), this label included whatever its status."""
    major = label.scheme_version.version.split(".")[0]
    rows = session.execute(
        select(Label.id, Label.footprint, SchemeVersion.version)
        .join(SchemeVersion, Label.scheme_version_id == SchemeVersion.id)
        .where(SchemeVersion.scheme_id == label.scheme_version.scheme_id, Label.status.in_(CURRENT_STATUSES))
    ).all()
    values = [footprint for label_id, footprint, version in rows if version.split(".")[0] == major and label_id != label.id]
    return [*values, label.footprint]


def statement_for(session: Session, label: Label) -> Statement | None:
    return session.get(Statement, label.application_id)


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
        "status_list": {"list": label.status_list, "index": label.status_index,
                        "revocation": f"https://{host}/status/revocation/{label.status_list}",
                        "suspension": f"https://{host}/status/suspension/{label.status_list}"},
        "qr_url": label.qr_url(host),
        "verification": None if statement is None else {
            "assurance": statement.assurance.value, "opinion": statement.opinion.value,
            "materiality_percent": f"{statement.materiality_percent.normalize():f}", "summary": statement.summary,
        },
        "links": {
            "page": f"https://{host}/l/{label.public_id}",
            "status": f"https://{host}/l/{label.public_id}/status",
            "artwork": {size: f"https://{host}/l/{label.public_id}/label-{size}.pdf" for size in ("standard", "small")},
        },
    }


def scheme_of(session: Session, label: Label) -> Scheme:
    return label.scheme_version.scheme
