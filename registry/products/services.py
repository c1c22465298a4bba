"""Registering and editing an enterprise's products. Services flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit.services import Actor, record_event
from registry.errors import ServiceError
from registry.organisations.models import Organisation, OrganisationKind
from registry.products.gtin import GtinError, normalise_gtin
from registry.products.models import Product
from registry.schemes.services import category_codes
from registry.text import refuse_bidi_controls


@dataclass
class ProductDetails:
    category_code: str
    name_zh: str
    model: str
    name_en: str | None = None
    trademark: str | None = None
    factory: str | None = None
    gtin: str | None = None


def _clean(session: Session, details: ProductDetails, *, product_id: int | None) -> ProductDetails:
    if details.category_code not in category_codes(session):
        raise ServiceError(
            _l("Choose one of the product categories that have a certification scheme."), field="category_code"
        )
    refuse_bidi_controls(
        name_zh=details.name_zh,
        name_en=details.name_en,
        model=details.model,
        trademark=details.trademark,
        factory=details.factory,
    )
    name_zh = details.name_zh.strip()
    model = details.model.strip()
    if not name_zh:
        raise ServiceError(_l("Enter the product name in Chinese."), field="name_zh")
    if not model:
        raise ServiceError(_l("Enter the model or specification."), field="model")
    gtin = None
    if details.gtin and details.gtin.strip():
        try:
            gtin = normalise_gtin(details.gtin)
        except GtinError as error:
            raise ServiceError(error.message, field="gtin") from error
        holder = session.scalar(select(Product.id).where(Product.gtin == gtin, Product.id != (product_id or -1)))
        if holder is not None:
            raise ServiceError(
                _l("This GTIN is already registered for another product. Each trade item has its own GTIN."),
                field="gtin",
            )

    def optional(value: str | None) -> str | None:
        return (value or "").strip() or None

    return ProductDetails(
        category_code=details.category_code,
        name_zh=name_zh,
        model=model,
        name_en=optional(details.name_en),
        trademark=optional(details.trademark),
        factory=optional(details.factory),
        gtin=gtin,
    )


def _check_unique_name(session: Session, organisation_id: int, details: ProductDetails, product_id: int | None) -> None:
    clash = session.scalar(
        select(Product.id).where(
            Product.organisation_id == organisation_id,
            Product.name_zh == details.name_zh,
            Product.model == details.model,
            Product.id != (product_id or -1),
        )
    )
    if clash is not None:
        raise ServiceError(_l("You already registered a product with this name and model."), field="model")


def create_product(session: Session, actor: Actor, organisation: Organisation, details: ProductDetails) -> Product:
    if organisation.kind is not OrganisationKind.ENTERPRISE:
        raise ServiceError(_l("Only enterprises register products."), status=403)
    cleaned = _clean(session, details, product_id=None)
    _check_unique_name(session, organisation.id, cleaned, None)
    product = Product(organisation_id=organisation.id, **cleaned.__dict__)
    session.add(product)
    session.flush()
    record_event(
        session,
        actor,
        "product:create",
        subject=product,
        organisation_id=organisation.id,
        payload={"name_zh": product.name_zh, "model": product.model, "gtin": product.gtin},
    )
    return product


# What a label certifies about its product (part of the record whose hash the label's token signs, and of the
# GTIN address it is printed with): fixed once the product holds a label.
CERTIFIED_FIELDS = ("name_zh", "name_en", "model", "gtin")


def update_product(session: Session, actor: Actor, product: Product, details: ProductDetails) -> Product:
    from registry.labels.models import Label

    cleaned = _clean(session, details, product_id=product.id)
    _check_unique_name(session, product.organisation_id, cleaned, product.id)
    changes = {
        field: {"from": getattr(product, field), "to": value}
        for field, value in cleaned.__dict__.items()
        if getattr(product, field) != value
    }
    certified = [field for field in CERTIFIED_FIELDS if field in changes]
    if certified and session.scalar(select(func.count()).select_from(Label).where(Label.product_id == product.id)):
        raise ServiceError(
            _l(
                "This product holds a carbon footprint label, which certifies its names, model and GTIN as they are: "
                "they can no longer be changed. To certify the changed product, apply for a new label."
            ),
            field=certified[0],
        )
    for field, change in changes.items():
        setattr(product, field, change["to"])
    if changes:
        record_event(
            session,
            actor,
            "product:update",
            subject=product,
            organisation_id=product.organisation_id,
            payload={"changes": changes},
        )
    return product


def list_products(session: Session, organisation_id: int | None = None) -> list[Product]:
    statement = select(Product).order_by(Product.created_at.desc(), Product.id.desc())
    if organisation_id is not None:
        statement = statement.where(Product.organisation_id == organisation_id)
    return list(session.scalars(statement))


def count_products(session: Session, organisation_id: int | None = None) -> int:
    statement = select(func.count(Product.id))
    if organisation_id is not None:
        statement = statement.where(Product.organisation_id == organisation_id)
    return session.scalar(statement) or 0
