"""A scheme's definition as typed, frozen objects: what the workflow, the labels and the pages read of a scheme.

``SchemeDefinition.from_dict`` is the one place that turns the validated document (``schemas.SchemeFileSchema``,
stored as it is in ``SchemeVersion.definition``) into these objects; the code reads ``SchemeVersion.spec``,
``SchemeFile.spec`` or ``Application.spec``, never the raw dict. The document itself is unchanged, so the content
hash (computed by the loader over the validated dict) does not depend on this module.

The schema loads numbers with a fraction as floats; here they are ``Decimal(str(value))``, the exact decimal the
file wrote, which is what every rule computes with. Lists are tuples, so a definition cannot be edited in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

Stage = Literal["raw_material_acquisition", "production", "distribution", "use", "end_of_life"]
BoundaryType = Literal["cradle-to-gate", "cradle-to-grave"]
Mode = Literal["document_review", "site_inspection", "footprint_verification"]
LabelType = Literal["footprint_value", "low_carbon", "reduction"]
StandardRole = Literal["general", "product_rule", "supporting"]
ProductRuleStatus = Literal["published", "pending"]
UnitKind = Literal["declared", "functional"]

# The values a scheme file may use, in the order the pages list them (the schema validates against these).
STAGES: tuple[Stage, ...] = get_args(Stage)
BOUNDARIES: tuple[BoundaryType, ...] = get_args(BoundaryType)
MODES: tuple[Mode, ...] = get_args(Mode)
LABEL_TYPES: tuple[LabelType, ...] = get_args(LabelType)
STANDARD_ROLES: tuple[StandardRole, ...] = get_args(StandardRole)
PRODUCT_RULE_STATUSES: tuple[ProductRuleStatus, ...] = get_args(ProductRuleStatus)
UNIT_KINDS: tuple[UnitKind, ...] = get_args(UnitKind)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


@dataclass(frozen=True, slots=True)
class Category:
    """The product category (产品种类) the scheme certifies; ``pilot`` is the national pilot's year, if any."""

    code: str
    name_zh: str
    name_en: str
    pilot: int | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Category:
        return cls(code=data["code"], name_zh=data["name_zh"], name_en=data["name_en"], pilot=data.get("pilot"))


@dataclass(frozen=True, slots=True)
class Standard:
    code: str
    title_zh: str
    title_en: str
    role: StandardRole

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Standard:
        return cls(code=data["code"], title_zh=data["title_zh"], title_en=data["title_en"], role=data["role"])


@dataclass(frozen=True, slots=True)
class ProductRule:
    """Whether the category's product rule (产品碳足迹核算规则) is published, and a note on it."""

    status: ProductRuleStatus
    note_zh: str
    note_en: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProductRule:
        return cls(status=data["status"], note_zh=data["note_zh"], note_en=data["note_en"])


@dataclass(frozen=True, slots=True)
class DeclaredUnit:
    """What one footprint value is per: ``amount`` ``unit`` (e.g. 1 kWh, 1000 kg), declared or functional."""

    kind: UnitKind
    amount: Decimal
    unit: str
    description_zh: str
    description_en: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeclaredUnit:
        return cls(
            kind=data["kind"],
            amount=_decimal(data["amount"]),
            unit=data["unit"],
            description_zh=data["description_zh"],
            description_en=data["description_en"],
        )


@dataclass(frozen=True, slots=True)
class Boundary:
    """The system boundary: the life-cycle stages a footprint must and may report, and the cut-off rule."""

    type: BoundaryType
    required_stages: tuple[Stage, ...]
    optional_stages: tuple[Stage, ...]
    cut_off_percent: Decimal

    @property
    def stages(self) -> tuple[Stage, ...]:
        """Every stage inside the boundary: the required ones, then the optional ones, each in the file's order."""
        return self.required_stages + self.optional_stages

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Boundary:
        return cls(
            type=data["type"],
            required_stages=tuple(data["required_stages"]),
            optional_stages=tuple(data.get("optional_stages", ())),
            cut_off_percent=_decimal(data["cut_off_percent"]),
        )


@dataclass(frozen=True, slots=True)
class DataRules:
    """The data-quality rules: the least primary-data share (a fraction, 0.3 = 30 %) and the data period."""

    min_primary_share: Decimal
    reference_period_months: int
    max_data_age_months: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataRules:
        return cls(
            min_primary_share=_decimal(data["min_primary_share"]),
            reference_period_months=data["reference_period_months"],
            max_data_age_months=data["max_data_age_months"],
        )


@dataclass(frozen=True, slots=True)
class Certification:
    """How a file is evaluated (its modes, in order), the verifier's thresholds, surveillance and validity."""

    modes: tuple[Mode, ...]
    surveillance_interval_months: int
    verification_tolerance_percent: Decimal
    materiality_percent: Decimal
    validity_months: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Certification:
        return cls(
            modes=tuple(data["modes"]),
            surveillance_interval_months=data["surveillance_interval_months"],
            verification_tolerance_percent=_decimal(data["verification_tolerance_percent"]),
            materiality_percent=_decimal(data["materiality_percent"]),
            validity_months=data["validity_months"],
        )


@dataclass(frozen=True, slots=True)
class Grade:
    """One grade band, best first: footprints up to ``max_kg_co2e`` (inclusive); the last band has no bound."""

    code: str
    name_zh: str
    name_en: str
    max_kg_co2e: Decimal | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Grade:
        return cls(
            code=data["code"],
            name_zh=data["name_zh"],
            name_en=data["name_en"],
            max_kg_co2e=_optional_decimal(data.get("max_kg_co2e")),
        )


@dataclass(frozen=True, slots=True)
class Claim:
    """What a low-carbon label (``best_grades``) or a reduction label (``min_reduction_percent``) requires."""

    best_grades: tuple[str, ...]
    min_reduction_percent: Decimal | None
    basis_zh: str
    basis_en: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Claim:
        return cls(
            best_grades=tuple(data.get("best_grades", ())),
            min_reduction_percent=_optional_decimal(data.get("min_reduction_percent")),
            basis_zh=data["basis_zh"],
            basis_en=data["basis_en"],
        )


@dataclass(frozen=True, slots=True)
class Claims:
    """The claims behind the labels beyond the footprint value, where the scheme grants them."""

    low_carbon: Claim | None
    reduction: Claim | None

    def get(self, label_type: str) -> Claim | None:
        """The claim behind ``label_type``, or None (the footprint-value label makes none)."""
        if label_type == "low_carbon":
            return self.low_carbon
        if label_type == "reduction":
            return self.reduction
        return None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Claims:
        low_carbon, reduction = data.get("low_carbon"), data.get("reduction")
        return cls(
            low_carbon=None if low_carbon is None else Claim.from_dict(low_carbon),
            reduction=None if reduction is None else Claim.from_dict(reduction),
        )


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where the values come from; ``registry_set`` names the values the registry set itself."""

    registry_set: tuple[str, ...]
    note_zh: str
    note_en: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        return cls(registry_set=tuple(data.get("registry_set", ())), note_zh=data["note_zh"], note_en=data["note_en"])


@dataclass(frozen=True, slots=True)
class SchemeDefinition:
    """One version of a certification scheme (实施规则), field for field as its file states it."""

    id: str
    version: str
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    category: Category
    standards: tuple[Standard, ...]
    product_rule: ProductRule
    declared_unit: DeclaredUnit
    boundary: Boundary
    data: DataRules
    certification: Certification
    grades: tuple[Grade, ...]
    label_types: tuple[LabelType, ...]
    claims: Claims
    provenance: Provenance

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> SchemeDefinition:
        """The typed definition of a validated document (as ``SchemeFileSchema`` loads it); ``document`` is only
        read, never changed."""
        return cls(
            id=document["id"],
            version=document["version"],
            title_zh=document["title_zh"],
            title_en=document["title_en"],
            summary_zh=document["summary_zh"],
            summary_en=document["summary_en"],
            category=Category.from_dict(document["category"]),
            standards=tuple(Standard.from_dict(standard) for standard in document["standards"]),
            product_rule=ProductRule.from_dict(document["product_rule"]),
            declared_unit=DeclaredUnit.from_dict(document["declared_unit"]),
            boundary=Boundary.from_dict(document["boundary"]),
            data=DataRules.from_dict(document["data"]),
            certification=Certification.from_dict(document["certification"]),
            grades=tuple(Grade.from_dict(grade) for grade in document["grades"]),
            label_types=tuple(document["label_types"]),
            claims=Claims.from_dict(document.get("claims") or {}),
            provenance=Provenance.from_dict(document["provenance"]),
        )

    def grade(self, code: str) -> Grade:
        """The grade named ``code`` (StopIteration if the scheme has none)."""
        return next(grade for grade in self.grades if grade.code == code)
