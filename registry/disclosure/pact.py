"""A label as a PACT ProductFootprint (WBCSD PACT Technical Specifications v3.0, data model 3.0.4).

``product_footprint(label, host)`` maps a label to the ``ProductFootprint`` schema of PACT's published OpenAPI
file (``pact-openapi-v3.0.yaml``); ``docs/pact.md`` has the field-by-field mapping and the reasons.
In short:

- Only what is public about a label is used (``docs/public-data.md``: the signed public record, the holder's unified social
  credit code, the verification statement's assurance level, opinion, materiality and summary). Activity data,
  documents, findings, people and the declared primary-data share never appear.
- Values are never converted. PACT states every value per ``declaredUnitAmount`` × ``declaredUnitOfMeasurement``;
  when the scheme's unit has no PACT name of its own (a tonne), the *amount* is converted (1 t → 1000 kilogram)
  and the value stays the certified kg CO2e per tonne. A unit PACT cannot express at all (kW of rated power)
  raises ``NotRepresentable``: no PACT unit states "per kW", and restating the value per piece would need the
  module's rated power, which the registry does not hold.
- Optional fields the registry does not know are omitted. Required fields it does not know get the value the
  ``comment`` names as "not recorded" (see docs/pact.md), never a silent guess.
- The document is a function of facts fixed at issuance, so it never changes, except ``status`` (PACT allows
  only that change on an existing footprint); its ``id`` is a UUIDv5 of the label's URL.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import object_session

from registry.dates import add_months, iso_utc
from registry.disclosure.services import statement_for
from registry.labels.models import LabelStatus
from registry.numbers import plain

if TYPE_CHECKING:
    from registry.applications.models import Statement
    from registry.labels.models import Label
    from registry.schemes.definition import SchemeDefinition

# The data model version the documents follow: `info.version` of the OpenAPI file they are validated against.
SPEC_VERSION = "3.0.4"

# Dates in the registry are calendar days in China Standard Time (a label's validity ends at the end of its last
# day, UTC+8, as the token's ``exp`` does); PACT wants date-times, so a day starts at 00:00 UTC+8.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))

# A scheme's declared unit → (PACT declaredUnitOfMeasurement, how many of that PACT unit one scheme unit is).
# Only exact conversions; the amount is scaled, never the value.
PACT_UNITS: dict[str, tuple[str, Decimal]] = {
    "kg": ("kilogram", Decimal(1)),
    "t": ("kilogram", Decimal(1000)),
    "g": ("kilogram", Decimal("0.001")),
    "L": ("liter", Decimal(1)),
    "m3": ("cubic meter", Decimal(1)),
    "m2": ("square meter", Decimal(1)),
    "kWh": ("kilowatt hour", Decimal(1)),
    "MWh": ("kilowatt hour", Decimal(1000)),
    "MJ": ("megajoule", Decimal(1)),
    "GJ": ("megajoule", Decimal(1000)),
    "piece": ("piece", Decimal(1)),
}
# Units of measurement whose amount is itself the product's mass in kg.
MASS_UNITS = frozenset({"kilogram"})

# PACT requires at least one IPCC assessment report. The registry does not record which GWP set a verified study
# used, so the documents state the PACT Methodology's default (the latest report) and the comment says so.
IPCC_DEFAULT = ("AR6",)

# Registry status → PACT status. PACT knows only Active ("the one a recipient SHOULD use") and Deprecated
# ("SHOULD NOT be used"); every status but valid means the label's value should not be relied on.
PACT_STATUS = {status: ("Active" if status is LabelStatus.VALID else "Deprecated") for status in LabelStatus}


class NotRepresentable(ValueError):
    """The label cannot be stated truthfully as a PACT ProductFootprint (its declared unit has no PACT equivalent)."""


def pact_unit(unit: str) -> tuple[str, Decimal] | None:
    """The PACT unit of measurement and conversion factor for a scheme unit, or None if PACT has none."""
    return PACT_UNITS.get(unit)


def representable(label: Label) -> bool:
    """Whether ``product_footprint`` can state this label (a route can answer 404 early, a page can hide the link)."""
    return pact_unit(label.scheme_version.spec.declared_unit.unit) is not None


def footprint_id(label: Label, host: str) -> str:
    """The ProductFootprint id: a name-based UUID (v5) of the label's URL, so it is the same on every call and
    every server, and differs between labels."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, label.page_url(host)))


def product_footprint(
    label: Label, host: str, statement: Statement | None = None, *, disclose_primary_share: bool = False
) -> dict[str, Any]:
    """A PACT v3.0 ProductFootprint for ``label``; ``host`` is the registry's public host (PUBLIC_HOST).

    ``statement`` is the label's verification statement (``services.statement_for``); when not given it is looked
    up through the label's session, so the document does not depend on the caller remembering it.
    ``disclose_primary_share`` adds ``primaryDataShare``: ``docs/public-data.md`` does not list the declared primary-data
    share as public, so only a caller serving a recipient the holder has authorised (the PACT API) may set it.

    Raises ``NotRepresentable`` when the scheme's declared unit has no PACT equivalent.
    """
    spec = label.scheme_version.spec
    declared = spec.declared_unit
    mapped = pact_unit(declared.unit)
    if mapped is None:
        raise NotRepresentable(
            f"PACT has no unit of measurement for the declared unit {declared.unit!r} of scheme "
            f"{label.scheme_version.code} {label.scheme_version.version}"
        )
    if statement is None:
        statement = _statement_of(label)
    application = label.application
    # A labelled application was submitted, and a submitted file holds its period (a CHECK constraint).
    assert application.period_start is not None and application.period_end is not None
    pact_unit_name, factor = mapped
    scheme_amount = declared.amount
    amount = scheme_amount * factor
    domain = _domain(host)
    reference_end = application.period_end + timedelta(days=1)  # the registry's period_end is its last day
    cut_off = plain(spec.boundary.cut_off_percent)

    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": pact_unit_name,
        "declaredUnitAmount": plain(amount),
        "productMassPerDeclaredUnit": plain(amount) if pact_unit_name in MASS_UNITS else "0",
        "referencePeriodStart": _day_start(application.period_start),
        "referencePeriodEnd": _day_start(reference_end),
        "geographyCountry": "CN",
        "boundaryProcessesDescription": _boundary_description(label, scheme_amount),
        "pcfExcludingBiogenicUptake": plain(label.footprint),
        "pcfIncludingBiogenicUptake": plain(label.footprint),
        "fossilGhgEmissions": plain(label.footprint),
        "fossilCarbonContent": "0",
        "ipccCharacterizationFactors": list(IPCC_DEFAULT),
        "crossSectoralStandards": _cross_sectoral_standards(spec),
        "productOrSectorSpecificRules": _product_rules(label, domain),
        "exemptedEmissionsPercent": cut_off,
        "exemptedEmissionsDescription": (
            f"Upper bound, not a measured share: the scheme's cut-off rule lets flows left out of the study total at "
            f"most {cut_off} % of the footprint, and the registry does not record the share actually left out."
        ),
    }
    if disclose_primary_share and application.primary_share_percent is not None:
        pcf["primaryDataShare"] = plain(application.primary_share_percent)
    if statement is not None:
        pcf["verification"] = _verification(label, spec, statement)

    document: dict[str, Any] = {
        "id": footprint_id(label, host),
        "specVersion": SPEC_VERSION,
        "created": iso_utc(label.issued_at),
        "status": PACT_STATUS[label.status],
    }
    validity = _validity(label, reference_end)
    if validity is not None:
        document["validityPeriodStart"], document["validityPeriodEnd"] = validity
    document.update(
        {
            "companyName": label.holder.name_zh,
            "companyIds": [f"urn:pact:{domain}:uscc:{label.holder.uscc}"],
            "productDescription": _product_description(label),
            "productIds": _product_ids(label, domain),
            "productClassifications": [f"urn:pact:{domain}:category-id:{spec.category.code}"],
            "productNameCompany": label.product.name_zh,
            "comment": _comment(label, host, amount, pact_unit_name, scheme_amount),
            "pcf": pcf,
        }
    )
    return document


def _statement_of(label: Label) -> Statement | None:
    session = object_session(label)
    return None if session is None else statement_for(session, label)


def _domain(host: str) -> str:
    """The host name without a port: the ``$domain-of-issuer$`` of the registry's own URNs."""
    name, _, port = host.rpartition(":")
    return (name if name and port.isdigit() else host).lower()


def _day_start(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME).isoformat()


def _validity(label: Label, reference_end: date) -> tuple[str, str] | None:
    """The label's validity, as PACT allows it: from no earlier than the reference period's end to no later than
    three years after it (PACT's cap; a label's own validity can run longer). PACT's end is exclusive, the
    registry's valid_until is the last valid day."""
    start = max(label.valid_from, reference_end)
    end = min(label.valid_until + timedelta(days=1), add_months(reference_end, 36))
    if end <= start:
        return None
    return _day_start(start), _day_start(end)


def _stage_name(code: str) -> str:
    return code.replace("_", " ")


def _boundary_description(label: Label, scheme_amount: Decimal) -> str:
    unit = label.scheme_version.spec.declared_unit.unit
    stages = "; ".join(
        f"{_stage_name(stage.stage)} {plain(stage.value)}"
        for stage in sorted(label.application.stages, key=lambda s: s.position)
    )
    text = (
        f"{label.scheme_version.boundary.capitalize()} boundary of scheme {label.scheme_version.code} "
        f"{label.scheme_version.version}. Life-cycle stages included, kg CO2e per {plain(scheme_amount)} {unit}: "
        f"{stages}."
    )
    if label.scheme_version.boundary == "cradle-to-grave":
        text += (
            " This is a cradle-to-grave value: it includes stages after the factory gate, so it is wider than the "
            "PACT Methodology's cradle-to-gate scope."
        )
    return text


def _cross_sectoral_standards(spec: SchemeDefinition) -> list[str]:
    """The standards the scheme quantifies under (its 'general' standards), by their own codes: PACT lets a
    document name standards outside its list, and 'supporting references' are not claimed as applied."""
    codes = [s.code for s in spec.standards if s.role == "general"]
    return list(dict.fromkeys(codes))


def _product_rules(label: Label, domain: str) -> list[dict[str, Any]]:
    """The scheme itself (its declared unit, boundary and cut-off are sector-specific rules the registry sets),
    and any published product-category rule it names."""
    rules: list[dict[str, Any]] = [
        {
            "operator": "Other",
            "ruleNames": [
                f"{label.scheme_version.code} {label.scheme_version.version}: {label.scheme_version.title_en}"
            ],
            "otherOperatorName": f"Carbon footprint label registry ({domain})",
        }
    ]
    for standard in label.scheme_version.spec.standards:
        if standard.role == "product_rule":
            code = standard.code
            rules.append({"operator": "Other", "ruleNames": [code], "otherOperatorName": _publisher(code)})
    return rules


def _publisher(code: str) -> str:
    prefix = code.split(" ")[0]
    if prefix in ("GB", "GB/T", "GB/Z"):
        return "SAMR and SAC (national standards of China)"
    return prefix


def _verification(label: Label, spec: SchemeDefinition, statement: Statement) -> dict[str, Any]:
    """PACT's Verification (renamed from Assurance in 3.0): the certification body verified this product's
    footprint. The statement's signing date and signer are not public, so completedAt is omitted."""
    general = ", ".join(_cross_sectoral_standards(spec))
    comments = (
        f"{statement.assurance.value.capitalize()} assurance, {statement.opinion.value} opinion, materiality "
        f"{plain(statement.materiality_percent)} %, for certificate {label.certificate_number}. "
        f"Summary: {statement.summary}"
    )
    return {
        "coverage": "product level",
        "providerName": label.body.name_zh,
        "standardName": f"{general}, as applied by scheme {label.scheme_version.code} {label.scheme_version.version}",
        "comments": comments,
    }


def _product_description(label: Label) -> str:
    product = label.product
    spec = label.scheme_version.spec
    name = f"{product.name_en} ({product.name_zh})" if product.name_en else product.name_zh
    return (
        f"{name}, model {product.model}. Category: {spec.category.name_en}. "
        f"{spec.declared_unit.kind.capitalize()} unit: {spec.declared_unit.description_en.rstrip('.')}."
    )


def _product_ids(label: Label, domain: str) -> list[str]:
    """The GTIN (GTIN-14, as the registry stores it) where the product has one, and the label's own id in the
    registry's namespace (``urn:pact:$domain-of-issuer$:$identifier-type$:$id$``), which always exists."""
    ids = [f"urn:gtin:{label.product.gtin}"] if label.product.gtin else []
    ids.append(f"urn:pact:{domain}:label-id:{label.public_id}")
    return ids


def _comment(label: Label, host: str, amount: Decimal, pact_unit_name: str, scheme_amount: Decimal) -> str:
    """English, for whoever reads the footprint: what was certified, under which rules, and which PACT fields
    the registry cannot fill with recorded facts (PACT asks the comment to name where the rules used depart from
    the PACT Methodology). Only facts fixed at issuance, so the comment never changes."""
    version = label.scheme_version
    declared = version.spec.declared_unit
    body = label.body.name_en or label.body.name_zh
    standards = ", ".join(_cross_sectoral_standards(version.spec))
    issued = label.issued_at.astimezone(CHINA_STANDARD_TIME).date().isoformat()
    sentences = [
        (
            f"Carbon footprint label certificate {label.certificate_number}, issued on {issued} by {body} "
            f"(accreditation {label.body.accreditation_number}) under the registry's certification scheme "
            f"{version.code} {version.version} ({version.title_en}), quantified under {standards}."
        ),
        f"Label page: {label.page_url(host)}.",
        (
            f"The label is valid from {label.valid_from.isoformat()} to {label.valid_until.isoformat()} inclusive "
            "(China Standard Time); PACT's validity period ends no later than three years after the reference period."
        ),
        (
            f"The scheme's {declared.kind} unit is {plain(scheme_amount)} {declared.unit}: "
            f"{declared.description_en.rstrip('.')}."
        ),
    ]
    if amount != scheme_amount:
        sentences.append(
            f"It is stated here as {plain(amount)} {pact_unit_name}: every value is per {plain(amount)} "
            f"{pact_unit_name}, exactly as certified per {plain(scheme_amount)} {declared.unit}."
        )
    sentences.append(
        "The values follow the scheme and its standards, not the PACT Methodology. The registry certifies one total "
        "per declared unit, split only by life-cycle stage; it records no split by emission source, no biogenic, "
        "land-use or carbon-capture figures, no carbon content and no product mass."
    )
    not_recorded = [
        (
            "pcfIncludingBiogenicUptake and fossilGhgEmissions repeat the certified total (no biogenic uptake is "
            "deducted and no non-fossil share is separated)"
        ),
        "fossilCarbonContent 0 means not recorded",
    ]
    if pact_unit_name not in MASS_UNITS:
        not_recorded.append("productMassPerDeclaredUnit 0 means the product's mass is not recorded")
    not_recorded += [
        (
            f"ipccCharacterizationFactors states the PACT default {', '.join(IPCC_DEFAULT)} because the registry "
            "does not record which IPCC GWP values the study used"
        ),
        "exemptedEmissionsPercent is the scheme's cut-off limit, not a measured share",
    ]
    sentences.append("Therefore " + "; ".join(not_recorded) + ".")
    return " ".join(sentences)
