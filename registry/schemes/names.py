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
