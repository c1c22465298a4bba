"""A label as a PACT v3.0 ProductFootprint, checked by an independent validator against the PACT OpenAPI file.

The schema is not copied into the repository (its licence is WBCSD's): ``ProductFootprint`` is read from the shared
specifications folder beside the checkout, ``../shared/specs/pact-openapi-v3.0.yaml`` (OpenAPI
3.1, whose schemas are JSON Schema 2020-12) and its ``$ref: '#/components/schemas/...'`` are resolved through a
``referencing`` registry holding the whole OpenAPI document. Format checking is on, including the two formats
PACT defines itself (``decimal``, ``urn``), which jsonschema does not know and would otherwise let through.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from registry import PROJECT_ROOT
from registry.accounts.models import User
from registry.dates import add_months
from registry.disclosure.pact import NotRepresentable, product_footprint, representable
from registry.disclosure.services import statement_for
from registry.labels.models import Label, LabelStatus
from tests.disclosure.conftest import fill_confidential

SPEC_FILE = next(
    (
        path
        for path in (
            PROJECT_ROOT.parent / "shared" / "specs" / "pact-openapi-v3.0.yaml",
            Path("/work/shared/specs/pact-openapi-v3.0.yaml"),
        )
        if path.exists()
    ),
    PROJECT_ROOT.parent / "shared" / "specs" / "pact-openapi-v3.0.yaml",
)
SPEC_URI = "https://specs.carbon-transparency.org/pact-openapi-v3.0.yaml"
HOST = "registry.test"

# What each scheme unit must become, written out here rather than imported: (PACT unit, PACT amount per scheme
# unit), or None where PACT has no unit (a rated power in kW).
EXPECTED_UNITS: dict[str, tuple[str, Decimal] | None] = {
    "t": ("kilogram", Decimal(1000)),
    "kg": ("kilogram", Decimal(1)),
    "m3": ("cubic meter", Decimal(1)),
    "kWh": ("kilowatt hour", Decimal(1)),
    "piece": ("piece", Decimal(1)),
    "kW": None,
}

# RFC 8141 assigned-name (r-, q- and f-components are not used by PACT).
URN = re.compile(
    r"^[uU][rR][nN]:[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9]:"
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$"
)
DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")


# --- the validator --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi() -> dict:
    return yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()  # uuid and the rest jsonschema checks without extra packages

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:  # jsonschema checks date-time only with rfc3339-validator installed
        if not isinstance(value, str):
            return True
        if not RFC3339.match(value):
            return False
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))  # raises on 2026-13-01 and the like
        return True

    @checker.checks("decimal")
    def decimal(value: object) -> bool:
        return not isinstance(value, str) or bool(DECIMAL.match(value))

    @checker.checks("urn")
    def urn(value: object) -> bool:
        return not isinstance(value, str) or bool(URN.match(value))

    return checker


@pytest.fixture(scope="module")
def validator(openapi: dict) -> jsonschema.Draft202012Validator:
    assert openapi["openapi"].startswith("3.1"), (
        "OpenAPI 3.1 schemas are JSON Schema 2020-12; 3.0 would need nullable handling"
    )
    for schema in openapi["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    registry = Registry().with_resource(SPEC_URI, Resource(contents=openapi, specification=DRAFT202012))
    schema = {"$ref": f"{SPEC_URI}#/components/schemas/ProductFootprint"}
    return jsonschema.Draft202012Validator(schema, registry=registry, format_checker=_format_checker())


def errors_of(validator: jsonschema.Draft202012Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


# --- the data -------------------------------------------------------------------------------------------------


@pytest.fixture
def labels(session) -> list[Label]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Label).order_by(Label.id)))


@pytest.fixture
def mapped(labels: list[Label]) -> list[Label]:
    return [label for label in labels if representable(label)]


def _label_of(labels: list[Label], scheme: str) -> Label:
    return next(label for label in labels if label.scheme_version.code == scheme)


def _scheme_units() -> set[str]:
    return {
        tomllib.loads(path.read_text(encoding="utf-8"))["declared_unit"]["unit"]
        for path in (PROJECT_ROOT / "schemes").glob("*/*.toml")
    }


def _day_start(value: str) -> date:
    moment = datetime.fromisoformat(value)
    assert (moment.hour, moment.minute, moment.second, moment.utcoffset()) == (0, 0, 0, timedelta(hours=8)), value
    return moment.date()


# --- every demo label -----------------------------------------------------------------------------------------


def test_every_demo_label_is_a_valid_product_footprint_or_plainly_not_representable(labels, validator):
    assert len(labels) >= 3
    documents = 0
    for label in labels:
        expected = EXPECTED_UNITS[label.scheme_version.definition["declared_unit"]["unit"]]
        if expected is None:
            assert not representable(label)
            with pytest.raises(NotRepresentable, match="no unit of measurement"):
                product_footprint(label, HOST)
            continue
        document = product_footprint(label, HOST)
        assert errors_of(validator, document) == [], label.certificate_number
        json.dumps(document, allow_nan=False)  # plain JSON: strings, lists, objects
        documents += 1
    assert documents >= 2  # the battery (kWh) and steel (t) labels; the PV label (kW) is the one PACT cannot state


def test_every_scheme_unit_has_a_decision_and_every_pact_unit_is_in_the_enumeration(openapi):
    enumeration = openapi["components"]["schemas"]["CarbonFootprint"]["properties"]["declaredUnitOfMeasurement"]["enum"]
    units = _scheme_units()
    assert units <= set(EXPECTED_UNITS), (
        f"a scheme uses a unit the PACT mapping has not decided: {units - set(EXPECTED_UNITS)}"
    )
    for unit in units:
        if EXPECTED_UNITS[unit] is not None:
            assert EXPECTED_UNITS[unit][0] in enumeration


@pytest.mark.parametrize("unit", sorted(u for u, e in EXPECTED_UNITS.items() if e is not None))
def test_each_scheme_unit_gives_a_valid_document_with_the_right_declared_unit(labels, validator, unit):
    """The battery label restated under every unit a scheme uses (in this test's transaction only)."""
    label = _label_of(labels, "li-battery")
    definition = copy.deepcopy(label.scheme_version.definition)
    definition["declared_unit"]["unit"] = unit
    label.scheme_version.definition = definition
    document = product_footprint(label, HOST)
    assert errors_of(validator, document) == []
    pact_unit, factor = EXPECTED_UNITS[unit]
    pcf = document["pcf"]
    assert pcf["declaredUnitOfMeasurement"] == pact_unit
    assert Decimal(pcf["declaredUnitAmount"]) == factor * Decimal(str(definition["declared_unit"]["amount"]))
    assert Decimal(pcf["pcfExcludingBiogenicUptake"]) == label.footprint  # the value is never scaled
    if pact_unit == "kilogram":
        assert pcf["productMassPerDeclaredUnit"] == pcf["declaredUnitAmount"]
    else:
        assert pcf["productMassPerDeclaredUnit"] == "0"
        assert "productMassPerDeclaredUnit 0 means the product's mass is not recorded" in document["comment"]


def test_a_power_rated_label_is_not_forced_into_a_pact_unit(labels):
    pv = _label_of(labels, "pv-module")
    assert pv.scheme_version.definition["declared_unit"]["unit"] == "kW"
    assert not representable(pv)
    with pytest.raises(NotRepresentable):
        product_footprint(pv, HOST)


# --- declared-unit semantics: the worked example --------------------------------------------------------------


def test_a_tonne_becomes_1000_kilogram_and_the_value_stays_per_tonne(labels):
    """Steel is certified at 1850 kg CO2e per 1 t. PACT has no tonne, so the declared unit becomes
    declaredUnitAmount 1000 × kilogram; PACT values are per declared unit, so pcf stays "1850" (per 1000 kg,
    i.e. 1.85 kg CO2e per kg). Scaling the value instead (to 1.85 per 1000 kg) would be 1000 times too small."""
    steel = _label_of(labels, "steel")
    assert steel.footprint == Decimal(1850)
    pcf = product_footprint(steel, HOST)["pcf"]
    assert (pcf["declaredUnitOfMeasurement"], pcf["declaredUnitAmount"]) == ("kilogram", "1000")
    assert pcf["pcfExcludingBiogenicUptake"] == pcf["pcfIncludingBiogenicUptake"] == "1850"
    assert pcf["productMassPerDeclaredUnit"] == "1000"  # the mass of the declared unit, 1000 kg of steel
    per_kilogram = Decimal(pcf["pcfExcludingBiogenicUptake"]) / Decimal(pcf["declaredUnitAmount"])
    assert per_kilogram == Decimal("1.85") and per_kilogram * 1000 == steel.footprint


def test_values_and_stage_split_are_per_declared_unit_as_certified(mapped):
    for label in mapped:
        document = product_footprint(label, HOST)
        pcf = document["pcf"]
        for field in ("pcfExcludingBiogenicUptake", "pcfIncludingBiogenicUptake", "fossilGhgEmissions"):
            assert Decimal(pcf[field]) == label.footprint
        assert Decimal(pcf["declaredUnitAmount"]) > 0
        for stage in label.application.stages:
            assert f"{stage.stage.replace('_', ' ')} {stage.value.normalize():f}" in pcf["boundaryProcessesDescription"]


# --- ids, dates and status ------------------------------------------------------------------------------------


def test_ids_are_stable_uuids_unique_per_label(mapped):
    first = [product_footprint(label, HOST) for label in mapped]
    again = [product_footprint(label, HOST) for label in mapped]
    assert first == again  # the whole document, not only the id
    ids = [document["id"] for document in first]
    assert len(set(ids)) == len(ids)
    for label, document in zip(mapped, first, strict=True):
        assert uuid.UUID(document["id"]).version == 5
        assert document["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://{HOST}/l/{label.public_id}"))


def test_product_and_company_ids_are_urns_from_the_gtin_the_label_and_the_uscc(mapped):
    for label in mapped:
        document = product_footprint(label, "Registry.Test:8443")
        assert f"urn:pact:registry.test:label-id:{label.public_id}" in document["productIds"]
        if label.product.gtin:
            assert document["productIds"][0] == f"urn:gtin:{label.product.gtin}" and len(label.product.gtin) == 14
        assert document["companyIds"] == [f"urn:pact:registry.test:uscc:{label.holder.uscc}"]
        assert document["companyName"] == label.holder.name_zh
        assert document["productNameCompany"] == label.product.name_zh
    assert any(label.product.gtin for label in mapped)


def test_reference_and_validity_periods_follow_pact_s_rules(mapped):
    for label in mapped:
        document = product_footprint(label, HOST)
        pcf = document["pcf"]
        application = label.application
        start, end = _day_start(pcf["referencePeriodStart"]), _day_start(pcf["referencePeriodEnd"])
        assert start == application.period_start
        assert end == application.period_end + timedelta(days=1)  # PACT's end is exclusive, the registry's inclusive
        valid_start, valid_end = _day_start(document["validityPeriodStart"]), _day_start(document["validityPeriodEnd"])
        assert valid_start >= end and valid_start >= label.valid_from  # not before the reference period ends
        assert valid_end > valid_start
        assert valid_end <= add_months(end, 36)  # at most three years after it
        assert valid_end <= label.valid_until + timedelta(days=1)
        assert document["created"] == label.issued_at.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        assert pcf["geographyCountry"] == "CN" and "geographyCountrySubdivision" not in pcf


@pytest.mark.parametrize("status", list(LabelStatus))
def test_status_maps_to_active_only_for_a_valid_label_and_nothing_else_changes(session, mapped, status):
    label = mapped[0]
    assert label.status is LabelStatus.VALID
    before = product_footprint(label, HOST)
    assert before["status"] == "Active"
    label.status = status
    session.flush()
    after = product_footprint(label, HOST)
    assert after["status"] == ("Active" if status is LabelStatus.VALID else "Deprecated")
    # PACT: after creation a footprint MUST NOT change, except its status becoming Deprecated.
    assert {**after, "status": before["status"]} == before


def test_suspended_and_withdrawn_labels_are_deprecated(session, mapped):
    for status in (LabelStatus.SUSPENDED, LabelStatus.WITHDRAWN, LabelStatus.SUPERSEDED):
        savepoint = session.begin_nested()  # each from valid: the lifecycle allows no way back from most
        mapped[0].status = status
        assert product_footprint(mapped[0], HOST)["status"] == "Deprecated"
        savepoint.rollback()


# --- what the document says and what it never says ------------------------------------------------------------


def test_verification_comes_from_the_public_part_of_the_statement(session, mapped):
    for label in mapped:
        statement = statement_for(session, label)
        assert statement is not None
        verification = product_footprint(label, HOST)["pcf"]["verification"]
        assert verification == product_footprint(label, HOST, statement)["pcf"]["verification"]
        assert verification["coverage"] == "product level"
        assert verification["providerName"] == label.body.name_zh
        assert statement.assurance.value.capitalize() in verification["comments"]
        assert statement.summary in verification["comments"]
        assert "completedAt" not in verification  # the signing date is not public


def test_the_comment_names_the_certificate_and_scheme_in_english(mapped):
    for label in mapped:
        comment = product_footprint(label, HOST)["comment"]
        assert label.certificate_number in comment
        assert f"{label.scheme_version.code} {label.scheme_version.version}" in comment
        assert "fossilCarbonContent 0 means not recorded" in comment and "AR6" in comment


def test_unknown_optional_fields_are_left_out(mapped):
    unknown = {
        "biogenicCarbonContent",
        "biogenicCO2Uptake",
        "biogenicNonCO2Emissions",
        "landUseChangeGhgEmissions",
        "packagingEmissionsIncluded",
        "packagingGhgEmissions",
        "outboundLogisticsGhgEmissions",
        "dqi",
        "secondaryEmissionFactorSources",
        "ccsTechnologicalCO2CaptureIncluded",
        "primaryDataShare",
    }
    for label in mapped:
        document = product_footprint(label, HOST)
        assert not unknown & set(document["pcf"])
        assert "precedingPfIds" not in document and "extensions" not in document


MARKER = "CONFIDENTIAL-MARKER-5c1e"


def test_no_confidential_data_reaches_the_document(session, mapped):
    application_ids = [label.application_id for label in mapped]
    fill_confidential(session, application_ids, MARKER)
    for label in mapped:
        label.application.primary_share_percent = Decimal(
            "61.234567"
        )  # declared, not listed as public (docs/public-data.md)
    session.flush()
    people = [value for user in session.scalars(select(User)) for value in (user.email, user.name)]
    text = json.dumps([product_footprint(label, HOST) for label in mapped], ensure_ascii=False)
    assert MARKER not in text
    assert "61.234567" not in text
    assert "@" not in text
    assert not [value for value in people if value and value in text]
    # Only a caller serving an authorised recipient may add the primary-data share.
    disclosed = product_footprint(mapped[0], HOST, disclose_primary_share=True)
    assert disclosed["pcf"]["primaryDataShare"] == "61.234567"


# --- the validator can fail -----------------------------------------------------------------------------------


def _without(path: tuple[str, ...]):  # type: ignore[no-untyped-def]
    def change(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _set(path: tuple[str, ...], value: object):  # type: ignore[no-untyped-def]
    def change(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BROKEN = {
    "missing id": _without(("id",)),
    "missing companyIds": _without(("companyIds",)),
    "missing pcf.fossilGhgEmissions": _without(("pcf", "fossilGhgEmissions")),
    "missing pcf.productMassPerDeclaredUnit": _without(("pcf", "productMassPerDeclaredUnit")),
    "tonne is not a PACT unit": _set(("pcf", "declaredUnitOfMeasurement"), "tonne"),
    "a number where a decimal string goes": _set(("pcf", "pcfExcludingBiogenicUptake"), 62.4),
    "a decimal string with a thousands separator": _set(("pcf", "declaredUnitAmount"), "1,000"),
    "an id that is not a UUID": _set(("id",), "label-42"),
    "a product id that is not a URN": _set(("productIds",), ["gtin:02000000000015"]),
    "an impossible date": _set(("created",), "2026-13-01T00:00:00Z"),
    "a date without a time zone": _set(("pcf", "referencePeriodEnd"), "2026-01-01T00:00:00"),
    "a status PACT does not know": _set(("status",), "Suspended"),
    "country and subdivision together": _set(("pcf", "geographyCountrySubdivision"), "CN-SD"),
    "an empty set of company ids": _set(("companyIds",), []),
    "an IPCC report that is not ARn": _set(("pcf", "ipccCharacterizationFactors"), ["IPCC 2021"]),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_validator_rejects_a_broken_document(mapped, validator, name):
    document = product_footprint(mapped[0], HOST)
    assert errors_of(validator, document) == []
    broken = copy.deepcopy(document)
    BROKEN[name](broken)
    assert errors_of(validator, broken), f"the validator accepted a document with {name}"


# --- the route ------------------------------------------------------------------------------------------------


def test_the_route_serves_the_same_document(app, client, session, labels):
    for label in labels:
        response = client.get(f"/l/{label.public_id}/pact.json")
        if not representable(label):
            assert response.status_code == 404
            continue
        assert response.status_code == 200 and response.is_json
        assert response.get_json() == product_footprint(label, app.config["PUBLIC_HOST"])
