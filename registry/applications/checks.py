"""What each transition requires, and the registry's own recomputation of a file's numbers.

Each ``requires`` function returns the problems that stand in the way (empty when there are none), phrased
for the person who has to fix them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.applications.models import (
    Application,
    Assignment,
    ChecklistItem,
    DocumentKind,
    Finding,
    Opinion,
    Statement,
)
from registry.database import utcnow
from registry.numbers import plain
from registry.organisations.models import BarredOrganisation
from registry.schemes.names import STAGE_LABELS

# The stage split must add up to the declared total within this (kg CO2e per declared unit), or within
# 0.1 % of the total if that is larger: the rounding of figures copied from a study report.
ROUNDING_ABSOLUTE = Decimal("0.01")
ROUNDING_RELATIVE = Decimal("0.001")


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to the day after ``end``: 1 Jan – 31 Dec and 15 Jan – 14 Jan are 12 months,
    1 Jan – 30 Dec is 11."""
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    return months - (1 if after.day < start.day else 0)


def barring(session: Session, organisation_id: int) -> BarredOrganisation | None:
    """The organisation's entry on the dishonest-entity list in force now (registry.supervision keeps the list):
    listed, begun, not ended, not removed; the earliest if there are several."""
    now = utcnow()
    query = (
        select(BarredOrganisation)
        .where(
            BarredOrganisation.organisation_id == organisation_id,
            BarredOrganisation.removed_at.is_(None),
            BarredOrganisation.barred_from <= now,
            (BarredOrganisation.barred_until.is_(None)) | (BarredOrganisation.barred_until > now),
        )
        .order_by(BarredOrganisation.id)
        .limit(1)
    )
    return session.scalar(query)


def is_barred(session: Session, organisation_id: int) -> bool:
    return barring(session, organisation_id) is not None


def split_tolerance(total: Decimal) -> Decimal:
    return max(ROUNDING_ABSOLUTE, total * ROUNDING_RELATIVE)


def completeness_problems(application: Application) -> list[Any]:
    """What the file still lacks before it can be submitted, in the order a person would fix it."""
    spec = application.spec
    problems: list[Any] = []
    if application.declared_footprint is None:
        problems.append(_l("Enter the declared footprint."))
    required = spec.boundary.required_stages
    values = application.stage_values
    missing = [str(STAGE_LABELS[stage]) for stage in required if stage not in values]
    if missing:
        problems.append(_l("Give a value for every stage the scheme requires: %(stages)s.", stages=", ".join(missing)))
    if application.declared_footprint is not None and values:
        total = sum(values.values(), Decimal(0))
        if abs(total - application.declared_footprint) > split_tolerance(application.declared_footprint):
            problems.append(
                _l(
                    "The stage values add up to %(sum)s, not the declared %(total)s. Correct the split or the total.",
                    sum=total,
                    total=application.declared_footprint,
                )
            )
    if application.period_start is None or application.period_end is None:
        problems.append(_l("Enter the data period."))
    else:
        months = spec.data.reference_period_months
        if months_between(application.period_start, application.period_end) < months:
            problems.append(_l("The data period must cover at least %(months)d months.", months=months))
        age = spec.data.max_data_age_months
        if months_between(application.period_end, utcnow().date()) > age:
            problems.append(
                _l("The data period ended more than %(months)d months ago; use more recent data.", months=age)
            )
    if application.primary_share_percent is None:
        problems.append(_l("Enter the share of primary data."))
    else:
        minimum = spec.data.min_primary_share * 100
        if application.primary_share_percent < minimum:
            problems.append(_l("The scheme requires at least %(minimum)s %% primary data.", minimum=plain(minimum)))
    if not application.lines:
        problems.append(_l("Add the activity data lines of the inventory."))
    kinds = {document.kind for document in application.documents}
    for kind in (DocumentKind.STUDY_REPORT, DocumentKind.INVENTORY):
        if kind not in kinds:
            problems.append(_l("Upload the %(document)s.", document=str(kind.label).lower()))
    return problems


def ready_to_submit(session: Session, application: Application) -> list[Any]:
    listed = barring(session, application.applicant_id)
    if listed is not None and listed.decision_number:
        return [
            _l(
                "Your organisation is on the dishonest-entity list (decision %(number)s), so it cannot submit applications until a regulator removes it from the list (credit repair).",
                number=listed.decision_number,
            )
        ]
    if listed is not None:
        return [_l("Your organisation is barred from certification at present, so applications cannot be submitted.")]
    return completeness_problems(application)


def ready_to_accept(session: Session, application: Application) -> list[Any]:
    if is_barred(session, application.applicant_id):
        return [_l("The applicant is barred from certification at present; the application cannot be accepted.")]
    return completeness_problems(application)


def verifiers_assigned(session: Session, application: Application) -> list[Any]:
    count = session.scalar(select(func.count()).where(Assignment.application_id == application.id))
    return [] if count else [_l("Assign at least one verifier.")]


def declarations_signed(session: Session, application: Application) -> list[Any]:
    assignments = list(session.scalars(select(Assignment).where(Assignment.application_id == application.id)))
    if any(a.declaration is None for a in assignments):
        return [_l("Every assigned verifier must sign the conflict-of-interest declaration first.")]
    return []


def _findings(session: Session, application: Application) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.application_id == application.id)))


def findings_to_issue(session: Session, application: Application) -> list[Any]:
    pending = [f for f in _findings(session, application) if f.round > application.findings_round]
    return [] if pending else [_l("Write at least one finding before sending them.")]


def findings_answered(session: Session, application: Application) -> list[Any]:
    unanswered = [
        f
        for f in _findings(session, application)
        if f.round <= application.findings_round and f.blocks_recommendation and f.response is None
    ]
    return [_l("Answer every open finding (%(count)d left).", count=len(unanswered))] if unanswered else []


def ready_to_recommend(session: Session, application: Application) -> list[Any]:
    problems: list[Any] = []
    items = list(session.scalars(select(ChecklistItem).where(ChecklistItem.application_id == application.id)))
    if not items or any(item.completed_at is None for item in items):
        problems.append(_l("Complete every item of the evaluation checklist."))
    findings = _findings(session, application)
    if any(f.round > application.findings_round for f in findings):
        problems.append(_l("Send or delete the findings not yet sent to the applicant."))
    if any(f.blocks_recommendation for f in findings):
        problems.append(_l("Close every major and minor finding."))
    if session.get(Statement, application.id) is None:
        problems.append(_l("Sign the verification statement."))
    return problems


def grantable(session: Session, application: Application) -> list[Any]:
    statement = session.get(Statement, application.id)
    if statement is None or statement.opinion is Opinion.ADVERSE:
        return [_l("A label cannot be granted on an adverse verification opinion.")]
    return []


# The recomputation a verifier sees beside the declared values.


@dataclass(frozen=True)
class StageCheck:
    stage: str
    declared: Decimal | None
    computed: Decimal
    deviation_percent: Decimal | None
    flagged: bool


@dataclass(frozen=True)
class Recomputation:
    declared_total: Decimal | None
    stage_sum: Decimal
    split_deviation: Decimal
    split_flagged: bool
    stages: list[StageCheck]
    tolerance_percent: Decimal
    computed_primary_share: Decimal | None
    primary_share_flagged: bool

    @property
    def flagged(self) -> bool:
        return self.split_flagged or self.primary_share_flagged or any(s.flagged for s in self.stages)


def recompute(application: Application) -> Recomputation:
    """The stage split against the total, and activity × factor per stage against the declared stage values.

    A stage is flagged when the lines' sum differs from its declared value by more than the scheme's
    verification tolerance; the primary-data share by emissions is compared with the declared share.
    """
    spec = application.spec
    tolerance = spec.certification.verification_tolerance_percent
    values = application.stage_values
    stage_sum = sum(values.values(), Decimal(0))
    total = application.declared_footprint
    split_deviation = (stage_sum - total) if total is not None else Decimal(0)
    stages_in_order = [
        s for s in spec.boundary.stages if s in values or any(line.stage == s for line in application.lines)
    ]
    checks: list[StageCheck] = []
    for stage in stages_in_order:
        computed = sum((line.emissions_kg for line in application.lines if line.stage == stage), Decimal(0))
        declared = values.get(stage)
        if declared:
            deviation = (computed - declared) / declared * 100
            flagged = abs(deviation) > tolerance
        else:
            deviation = None
            flagged = computed > 0
        checks.append(StageCheck(stage, declared, _cents(computed), _round(deviation), flagged))
    all_emissions = sum((line.emissions_kg for line in application.lines), Decimal(0))
    primary = sum((line.emissions_kg for line in application.lines if line.data_kind == "primary"), Decimal(0))
    computed_share = _round(primary / all_emissions * 100) if all_emissions else None
    share_flagged = bool(
        computed_share is not None
        and application.primary_share_percent is not None
        and abs(computed_share - application.primary_share_percent) > tolerance
    )
    return Recomputation(
        declared_total=total,
        stage_sum=stage_sum,
        split_deviation=split_deviation,
        split_flagged=total is not None and abs(split_deviation) > split_tolerance(total),
        stages=checks,
        tolerance_percent=tolerance,
        computed_primary_share=computed_share,
        primary_share_flagged=share_flagged,
    )


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else _cents(value)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))
