"""The marshmallow schema a scheme file must satisfy; its errors name the field (the loader adds the file)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

# The allowed values are the typed definition's (registry/schemes/definition.py), so the two cannot drift apart;
# STAGES and MODES are imported from here by the models' CHECK constraints and the scheme page.
from registry.schemes.definition import (
    BOUNDARIES,
    LABEL_TYPES,
    MODES,
    PRODUCT_RULE_STATUSES,
    STAGES,
    STANDARD_ROLES,
    UNIT_KINDS,
)

SLUG = validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Use lower-case letters, digits and single hyphens.")
VERSION = validate.Regexp(r"^\d+\.\d+\.\d+$", error="Use MAJOR.MINOR.PATCH, e.g. 1.0.0.")
_text = validate.Length(min=1, max=8000)


def _required_text(**kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=_text, **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class CategorySchema(_Strict):
    code = fields.String(required=True, validate=SLUG)
    name_zh = _required_text()
    name_en = _required_text()
    pilot = fields.Integer(strict=True, validate=validate.Range(min=2020, max=2100))


class StandardSchema(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=3, max=80))
    title_zh = _required_text()
    title_en = _required_text()
    role = fields.String(required=True, validate=validate.OneOf(STANDARD_ROLES))


class ProductRuleSchema(_Strict):
    status = fields.String(required=True, validate=validate.OneOf(PRODUCT_RULE_STATUSES))
    note_zh = _required_text()
    note_en = _required_text()


class DeclaredUnitSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    amount = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=20))
    description_zh = _required_text()
    description_en = _required_text()


class BoundarySchema(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(BOUNDARIES))
    required_stages = fields.List(fields.String(validate=validate.OneOf(STAGES)), required=True)
    optional_stages = fields.List(fields.String(validate=validate.OneOf(STAGES)), load_default=list)
    cut_off_percent = fields.Float(required=True, validate=validate.Range(min=0, max=5))

    @validates_schema
    def _stages_fit_boundary(self, data: dict[str, Any], **_: Any) -> None:
        required, optional = set(data["required_stages"]), set(data.get("optional_stages", []))
        if required & optional:
            raise ValidationError(
                f"Stages listed as both required and optional: {sorted(required & optional)}.", "optional_stages"
            )
        if len(data["required_stages"]) != len(required):
            raise ValidationError("A stage is listed twice.", "required_stages")
        if data["type"] == "cradle-to-grave":
            missing = [stage for stage in STAGES if stage not in required]
            if missing:
                raise ValidationError(
                    f"A cradle-to-grave boundary requires every stage; missing: {missing}.", "required_stages"
                )
        else:
            for stage in ("raw_material_acquisition", "production"):
                if stage not in required:
                    raise ValidationError(f"A cradle-to-gate boundary requires {stage}.", "required_stages")
            beyond = sorted((required | optional) & {"use", "end_of_life"})
            if beyond:
                raise ValidationError(f"A cradle-to-gate boundary cannot include {beyond}.", "optional_stages")


class DataSchema(_Strict):
    min_primary_share = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    reference_period_months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=60))
    max_data_age_months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=120))


class CertificationSchema(_Strict):
    modes = fields.List(fields.String(validate=validate.OneOf(MODES)), required=True)
    surveillance_interval_months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=60))
    verification_tolerance_percent = fields.Float(required=True, validate=validate.Range(min=0, max=50))
    materiality_percent = fields.Float(required=True, validate=validate.Range(min=0, max=50))
    validity_months = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=120))

    @validates_schema
    def _mandatory_modes(self, data: dict[str, Any], **_: Any) -> None:
        missing = [mode for mode in ("document_review", "footprint_verification") if mode not in data["modes"]]
        if missing:
            raise ValidationError(f"Every scheme includes {missing}.", "modes")


class GradeSchema(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=8))
    name_zh = _required_text()
    name_en = _required_text()
    max_kg_co2e = fields.Float(validate=validate.Range(min=0, min_inclusive=False))


class ClaimSchema(_Strict):
    best_grades = fields.List(fields.String())
    min_reduction_percent = fields.Float(validate=validate.Range(min=0, max=100, min_inclusive=False))
    basis_zh = _required_text()
    basis_en = _required_text()


class ClaimsSchema(_Strict):
    low_carbon = fields.Nested(ClaimSchema)
    reduction = fields.Nested(ClaimSchema)


class ProvenanceSchema(_Strict):
    registry_set = fields.List(fields.String(), load_default=list)
    note_zh = _required_text()
    note_en = _required_text()


class SchemeFileSchema(_Strict):
    id = fields.String(required=True, validate=SLUG)
    version = fields.String(required=True, validate=VERSION)
    title_zh = _required_text()
    title_en = _required_text()
    summary_zh = _required_text()
    summary_en = _required_text()
    category = fields.Nested(CategorySchema, required=True)
    standards = fields.List(fields.Nested(StandardSchema), required=True, validate=validate.Length(min=1))
    product_rule = fields.Nested(ProductRuleSchema, required=True)
    declared_unit = fields.Nested(DeclaredUnitSchema, required=True)
    boundary = fields.Nested(BoundarySchema, required=True)
    data = fields.Nested(DataSchema, required=True)
    certification = fields.Nested(CertificationSchema, required=True)
    grades = fields.List(fields.Nested(GradeSchema), required=True, validate=validate.Length(min=3, max=5))
    label_types = fields.List(fields.String(validate=validate.OneOf(LABEL_TYPES)), required=True)
    claims = fields.Nested(ClaimsSchema, load_default=dict)
    provenance = fields.Nested(ProvenanceSchema, required=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        general = [s for s in data["standards"] if s["role"] == "general"]
        if len(general) != 1 or general[0]["code"] != "GB/T 24067-2024":
            raise ValidationError("Exactly one standard has role 'general', and it is GB/T 24067-2024.", "standards")
        if data["product_rule"]["status"] == "published" and not any(
            s["role"] == "product_rule" for s in data["standards"]
        ):
            raise ValidationError(
                "A published product rule must be listed in standards with role 'product_rule'.", "product_rule"
            )
        self._check_grades(data["grades"])
        self._check_label_types(data)
        unit_kind, boundary = data["declared_unit"]["kind"], data["boundary"]["type"]
        if (unit_kind == "functional") != (boundary == "cradle-to-grave"):
            raise ValidationError(
                "A functional unit goes with cradle-to-grave, a declared unit with cradle-to-gate.", "declared_unit"
            )

    @staticmethod
    def _check_grades(grades: list[dict[str, Any]]) -> None:
        codes = [g["code"] for g in grades]
        if len(set(codes)) != len(codes):
            raise ValidationError("Grade codes must be unique.", "grades")
        bounds = [g.get("max_kg_co2e") for g in grades]
        if bounds[-1] is not None:
            raise ValidationError("The last grade has no max_kg_co2e: it takes every value above the others.", "grades")
        if any(b is None for b in bounds[:-1]):
            raise ValidationError("Every grade but the last needs max_kg_co2e.", "grades")
        upper = [b for b in bounds[:-1] if b is not None]
        if any(later <= earlier for earlier, later in pairwise(upper)):
            raise ValidationError("Grade bounds must increase strictly, best grade first.", "grades")

    @staticmethod
    def _check_label_types(data: dict[str, Any]) -> None:
        types = data["label_types"]
        if "footprint_value" not in types:
            raise ValidationError("Every scheme grants the footprint_value label.", "label_types")
        claims = data.get("claims") or {}
        grade_codes = {g["code"] for g in data["grades"]}
        if "low_carbon" in types:
            claim = claims.get("low_carbon")
            if not claim or not claim.get("best_grades"):
                raise ValidationError("low_carbon needs [claims.low_carbon] with best_grades.", "claims")
            unknown = set(claim["best_grades"]) - grade_codes
            if unknown:
                raise ValidationError(
                    f"claims.low_carbon.best_grades names unknown grades {sorted(unknown)}.", "claims"
                )
        if "reduction" in types and not (claims.get("reduction") or {}).get("min_reduction_percent"):
            raise ValidationError("reduction needs [claims.reduction] with min_reduction_percent.", "claims")
        for claim_type in claims:
            if claim_type not in types:
                raise ValidationError(f"claims.{claim_type} is given but label_types does not include it.", "claims")
