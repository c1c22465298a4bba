"""An enterprise's own products (applicants), and read-only access for regulators."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from registry.database import db
from registry.edge import current_actor
from registry.forms import filled, submit
from registry.i18n import current_language
from registry.permissions import Permission, requires
from registry.products import services
from registry.products.forms import ProductForm
from registry.products.models import Product
from registry.products.permissions import can_edit_product, can_view_product
from registry.schemes.services import category_choices

bp = Blueprint("products", __name__, url_prefix="/products")


def _get_visible(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    # Another organisation's product is not "forbidden", it does not exist for this user.
    if product is None or not can_view_product(current_user, product):
        abort(404)
    return product


def _form(obj: Product | None = None) -> ProductForm:
    form = ProductForm(obj=obj)
    form.category_code.choices = [("", _("Choose a category")), *category_choices(db.session, current_language())]
    return form


def _details(form: ProductForm) -> services.ProductDetails:
    return services.ProductDetails(
        category_code=form.category_code.data,
        name_zh=filled(form.name_zh),
        model=filled(form.model),
        name_en=form.name_en.data,
        trademark=form.trademark.data,
        factory=form.factory.data,
        gtin=form.gtin.data,
    )


@bp.route("/")
@requires(Permission.MANAGE_OWN_PRODUCTS)
def index() -> ResponseReturnValue:
    products = services.list_products(db.session, current_user.organisation_id)
    return render_template("products/index.html", products=products)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_OWN_PRODUCTS)
def create() -> ResponseReturnValue:
    form = _form()
    outcome = submit(
        form, lambda: services.create_product(db.session, current_actor(), current_user.organisation, _details(form))
    )
    if outcome.done:
        return redirect(url_for("products.detail", product_id=outcome.result.id))
    return render_template("products/form.html", form=form, product=None), outcome.status


@bp.route("/<int:product_id>")
@requires(Permission.VIEW_DASHBOARD)
def detail(product_id: int) -> ResponseReturnValue:
    product = _get_visible(product_id)
    return render_template("products/detail.html", product=product, can_edit=can_edit_product(current_user, product))


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_OWN_PRODUCTS)
def edit(product_id: int) -> ResponseReturnValue:
    product = _get_visible(product_id)
    if not can_edit_product(current_user, product):
        abort(404)
    form = _form(product)
    outcome = submit(form, lambda: services.update_product(db.session, current_actor(), product, _details(form)))
    if outcome.done:
        return redirect(url_for("products.detail", product_id=product.id))
    return render_template("products/form.html", form=form, product=product), outcome.status


@bp.route("/all")
@requires(Permission.VIEW_ALL_PRODUCTS)
def all_products() -> ResponseReturnValue:
    return render_template("products/index.html", products=services.list_products(db.session), show_holder=True)
