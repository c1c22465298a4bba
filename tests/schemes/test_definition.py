"""The typed scheme definition: every shipped file builds one, it states every value of the validated document
(numbers as the exact Decimal the file wrote), and building it changes neither the document nor its hash."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from registry.schemes.definition import Claim, Claims, Grade, SchemeDefinition
from registry.schemes.loader import SchemeFile, load_scheme_dir
from registry.schemes.models import SchemeVersion
from tests.conftest import SCHEMES_DIR

SHIPPED, ERRORS = load_scheme_dir(SCHEMES_DIR)


def _same(document: Any, typed: Any, where: str) -> None:
    """Every value of ``document`` is in ``typed`` under the same name, and ``typed`` holds nothing else."""
    if isinstance(document, dict):
        assert dataclasses.is_dataclass(typed), where
        names = {f.name for f in dataclasses.fields(typed)}
        assert set(document) <= names, f"{where}: {sorted(set(document) - names)} not typed"
        for name in names:
            if name in document:
                _same(document[name], getattr(typed, name), f"{where}.{name}")
            else:  # a key the file may leave out: absent, not invented
                assert getattr(typed, name) in (None, ()), f"{where}.{name}"
    elif isinstance(document, list):
        assert isinstance(typed, tuple) and len(typed) == len(document), where
        for index, (item, typed_item) in enumerate(zip(document, typed, strict=True)):
            _same(item, typed_item, f"{where}[{index}]")
    elif isinstance(document, float):
        assert isinstance(typed, Decimal) and typed == Decimal(str(document)), where
    else:
        assert type(typed) is type(document) and typed == document, where


def _hash(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_every_shipped_scheme_is_loaded():
    assert ERRORS == [] and len(SHIPPED) >= 10


@pytest.mark.parametrize("scheme_file", SHIPPED, ids=lambda f: f"{f.code}-{f.version}")
def test_every_shipped_scheme_builds_a_typed_definition_stating_every_value(scheme_file: SchemeFile):
    spec = scheme_file.spec
    assert isinstance(spec, SchemeDefinition)
    _same(scheme_file.definition, spec, scheme_file.code)
    assert SchemeDefinition.from_dict(scheme_file.definition) == spec
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.id = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("scheme_file", SHIPPED, ids=lambda f: f"{f.code}-{f.version}")
def test_building_the_definition_changes_neither_the_document_nor_its_hash(scheme_file: SchemeFile):
    document = copy.deepcopy(scheme_file.definition)
    SchemeDefinition.from_dict(document)
    assert document == scheme_file.definition
    assert _hash(document) == scheme_file.content_sha256


@pytest.mark.parametrize("scheme_file", SHIPPED, ids=lambda f: f"{f.code}-{f.version}")
def test_the_fields_the_code_reads(scheme_file: SchemeFile):
    """What the workflow, the labels, PACT and the pages read, against the document itself."""
    document, spec = scheme_file.definition, scheme_file.spec
    assert (spec.id, spec.version) == (document["id"], document["version"]) == (scheme_file.code, scheme_file.version)
    category = document["category"]
    assert (spec.category.code, spec.category.pilot) == (category["code"], category.get("pilot"))
    unit = document["declared_unit"]
    assert spec.declared_unit.amount == Decimal(str(unit["amount"])) and spec.declared_unit.unit == unit["unit"]
    assert (spec.declared_unit.kind, spec.declared_unit.description_zh, spec.declared_unit.description_en) == (
        unit["kind"],
        unit["description_zh"],
        unit["description_en"],
    )
    boundary = document["boundary"]
    assert spec.boundary.type == boundary["type"]
    assert list(spec.boundary.stages) == boundary["required_stages"] + boundary.get("optional_stages", [])
    assert spec.boundary.cut_off_percent == Decimal(str(boundary["cut_off_percent"]))
    data = document["data"]
    assert spec.data.min_primary_share == Decimal(str(data["min_primary_share"]))
    assert (spec.data.reference_period_months, spec.data.max_data_age_months) == (
        data["reference_period_months"],
        data["max_data_age_months"],
    )
    certification = document["certification"]
    assert list(spec.certification.modes) == certification["modes"]
    assert spec.certification.validity_months == certification["validity_months"]
    assert spec.certification.materiality_percent == Decimal(str(certification["materiality_percent"]))
    assert str(spec.certification.materiality_percent) == str(certification["materiality_percent"])
    tolerance = Decimal(str(certification["verification_tolerance_percent"]))
    assert spec.certification.verification_tolerance_percent == tolerance
    assert [(g.code, g.name_zh, g.name_en) for g in spec.grades] == [
        (g["code"], g["name_zh"], g["name_en"]) for g in document["grades"]
    ]
    assert [g.max_kg_co2e for g in spec.grades] == [
        None if g.get("max_kg_co2e") is None else Decimal(str(g["max_kg_co2e"])) for g in document["grades"]
    ]
    assert spec.grades[-1].max_kg_co2e is None
    assert all(spec.grade(g["code"]).name_en == g["name_en"] for g in document["grades"])
    assert [(s.code, s.role) for s in spec.standards] == [(s["code"], s["role"]) for s in document["standards"]]
    for label_type in spec.label_types:
        claim = spec.claims.get(label_type)
        assert (claim is None) == (label_type not in document.get("claims", {}))
        if claim is not None:
            assert claim.basis_en == document["claims"][label_type]["basis_en"]
    assert list(spec.provenance.registry_set) == document["provenance"]["registry_set"]


def test_keys_a_file_may_leave_out_are_none_or_empty():
    document = copy.deepcopy(SHIPPED[0].definition)
    del document["category"]["pilot"], document["boundary"]["optional_stages"], document["provenance"]["registry_set"]
    document.pop("claims", None)
    spec = SchemeDefinition.from_dict(document)
    assert spec.category.pilot is None and spec.boundary.optional_stages == () and spec.provenance.registry_set == ()
    assert spec.claims == Claims(low_carbon=None, reduction=None) and spec.claims.get("low_carbon") is None
    claim = Claim.from_dict({"min_reduction_percent": 10.0, "basis_zh": "依据", "basis_en": "Basis"})
    assert claim.best_grades == () and claim.min_reduction_percent == Decimal("10.0")
    assert Grade.from_dict({"code": "5", "name_zh": "五级", "name_en": "Grade 5"}).max_kg_co2e is None


def test_a_synced_version_reads_the_same_definition_back_from_the_database(session):
    """The JSON column gives back the document the file validated to, so the stored version's typed definition
    is the file's."""
    by_key = {(f.code, f.version): f for f in SHIPPED}
    versions = session.scalars(select(SchemeVersion)).all()
    assert versions
    for version in versions:
        scheme_file = by_key[(version.code, version.version)]
        assert version.spec == scheme_file.spec
        assert version.content_sha256 == scheme_file.content_sha256 == _hash(version.definition)


def test_a_versions_typed_definition_is_built_once_and_afresh_for_a_new_document():
    version = SchemeVersion(definition=SHIPPED[0].definition)
    original = version.spec
    assert version.spec is original
    version.definition = {**version.definition, "title_en": "Another title"}
    assert version.spec is not original and version.spec.title_en == "Another title"
