"""The blueprint of the public disclosure pages and what its modules share: page caching, the not-found page,
and the names the templates need."""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template
from flask_babel import lazy_gettext as _l

from registry.disclosure.cache import PAGE_MAX_AGE, cached_page  # noqa: F401 - the views' names for them
from registry.edge import public_page
from registry.labels.models import Label, LabelStatus
from registry.labels.tokens import footprint_grams
from registry.labels.wording import BANNER_TEXTS, BANNER_TITLES, state as label_state
from registry.numbers import plain
from registry.schemes.names import STAGE_LABELS
from registry.text import strip_bidi_controls

bp = Blueprint("disclosure", __name__)

ASSURANCE_NAMES = {"reasonable": _l("Reasonable assurance"), "limited": _l("Limited assurance")}
OPINION_NAMES = {
    "unmodified": _l("Unmodified opinion"),
    "modified": _l("Modified opinion"),
    "adverse": _l("Adverse opinion"),
}


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "json_ld": json_ld,
        "footprint_grams": footprint_grams,
        "stage_name": lambda code: STAGE_LABELS.get(code, code),
        "assurance_name": lambda value: ASSURANCE_NAMES[str(value)],
        "opinion_name": lambda value: OPINION_NAMES[str(value)],
        "status_banner_title": lambda status: BANNER_TITLES[status],
        "status_banner_text": lambda status: BANNER_TEXTS[status],
        "LabelStatus": LabelStatus,
    }


def page_response(html: str, status: int = 200) -> Response:
    """A public page that may show a status: cacheable for at most a minute (see ``edge.public_page``)."""
    return public_page(html, status=status, max_age=PAGE_MAX_AGE)


def not_found(query: str = "", kind: str = "label", problem: object = None) -> Response:
    """The 404 page: no label (``kind="label"``), enterprise or certification body for ``query``; ``problem`` says
    what is wrong with the query itself (a GTIN's check digit, say)."""
    html = render_template("disclosure/not_found.html", query=query, kind=kind, problem=problem)
    return page_response(html, status=404)


def json_ld(label: Label, host: str) -> str:
    """schema.org ``Product`` with its certification, for search engines and platforms (embedded in the page)."""
    product = label.product
    # Search engines show these names as plain text next to their own: no stored direction controls in them.
    text = strip_bidi_controls
    document = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": text(product.name_zh),
        **({"alternateName": text(product.name_en)} if product.name_en else {}),
        "model": text(product.model),
        **({"gtin14": product.gtin} if product.gtin else {}),
        "manufacturer": {"@type": "Organization", "name": text(label.holder.name_zh)},
        "hasCertification": {
            "@type": "Certification",
            "name": "产品碳足迹标识 Product carbon footprint label",
            "identifier": label.certificate_number,
            "url": label.page_url(host),
            "certificationStatus": "CertificationActive" if label_state(label) == "valid" else "CertificationInactive",
            "issuedBy": {"@type": "Organization", "name": text(label.body.name_zh)},
            "validFrom": label.valid_from.isoformat(),
            "expires": label.valid_until.isoformat(),
            "certificationRating": {"@type": "Rating", "ratingValue": label.grade_code},
            "hasMeasurement": {
                "@type": "QuantitativeValue",
                "value": plain(label.footprint),
                "unitText": f"kg CO2e per {label.scheme_version.declared_unit}",
            },
        },
    }
    # Escape "<" so the JSON cannot close the script element it sits in.
    return json.dumps(document, ensure_ascii=False).replace("<", "\\u003c")
