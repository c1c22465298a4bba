"""Human names for the values scheme files use, in both languages."""

from flask_babel import lazy_gettext as _l

STAGE_LABELS = {
    "raw_material_acquisition": _l("Raw material acquisition"),
    "production": _l("Production"),
    "distribution": _l("Distribution"),
    "use": _l("Use"),
    "end_of_life": _l("End of life"),
}
BOUNDARY_LABELS = {"cradle-to-gate": _l("Cradle to gate"), "cradle-to-grave": _l("Cradle to grave")}
MODE_LABELS = {
    "document_review": _l("Document review"),
    "site_inspection": _l("Site inspection"),
    "footprint_verification": _l("Footprint verification"),
}
LABEL_TYPE_LABELS = {
    "footprint_value": _l("Carbon footprint value label"),
    "low_carbon": _l("Low-carbon label"),
    "reduction": _l("Carbon reduction label"),
}
STANDARD_ROLE_LABELS = {
    "general": _l("General standard"),
    "product_rule": _l("Product-category rule"),
    "supporting": _l("Supporting reference"),
}
UNIT_KIND_LABELS = {"declared": _l("Declared unit"), "functional": _l("Functional unit")}
PRODUCT_RULE_STATUS_LABELS = {"published": _l("Published"), "pending": _l("Not yet published")}
# The values a scheme file says the registry set itself (``[provenance] registry_set``), named for readers; a
# path missing here is shown as it is written (tests/schemes/test_scheme_pages.py checks the shipped schemes).
REGISTRY_SET_LABELS = {
    "declared_unit": _l("the declared unit"),
    "boundary": _l("the system boundary"),
    "data.min_primary_share": _l("the minimum share of primary data"),
    "data.reference_period_months": _l("the reference period of the data"),
    "data.max_data_age_months": _l("the maximum age of the data"),
    "certification.modes": _l("the certification modes"),
    "certification.surveillance_interval_months": _l("the surveillance interval"),
    "certification.verification_tolerance_percent": _l("the verification tolerance"),
    "certification.materiality_percent": _l("the materiality threshold"),
    "certification.validity_months": _l("the validity of a label"),
    "grades": _l("the grade bands"),
    "label_types": _l("the label types"),
    "claims.low_carbon": _l("the basis of the low-carbon claim"),
    "claims.reduction": _l("the basis of the reduction claim"),
}
