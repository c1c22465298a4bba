"""Spot checks (双随机一公开): make a draw, record a result (and on a failure, suspend the label), and read what is
published. The draw's algorithm is ``registry.inspections.draw``; this module finds the candidates and writes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.dates import iso_utc
from registry.disclosure.search import Filters, filter_conditions
from registry.errors import ServiceError
from registry.inspections import draw as algorithm
from registry.inspections.models import CheckOutcome, SpotCheckDraw, SpotCheckItem, SpotCheckResult
from registry.inspections.permissions import can_inspect_for, can_record_result, can_run_spot_checks
from registry.labels.lifecycle import change_status, china_today
from registry.labels.models import Label, LabelAction, LabelReason, LabelStatus
from registry.organisations.models import Organisation, OrganisationKind
from registry.organisations.uscc import PROVINCES
from registry.products.models import Product
from registry.schemes.models import Scheme
from registry.text import refuse_bidi_controls

MAX_COUNT = 1000
MAX_FINDINGS = 2000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DrawFilter:
    """Which live labels a draw is made from; empty means any."""

    scheme: str = ""
    body: str = ""
    region: str = ""
    category: str = ""


def _check_filter(session: Session, wanted: DrawFilter) -> DrawFilter:
    scheme, body = wanted.scheme.strip(), wanted.body.strip().upper()
    region, category = wanted.region.strip(), wanted.category.strip()
    if scheme and session.scalar(select(Scheme.id).where(Scheme.code == scheme)) is None:
        raise ServiceError(_l("No scheme has the code %(code)s.", code=scheme), field="scheme")
    if body and (
        session.scalar(
            select(Organisation.id).where(
                Organisation.body_code == body, Organisation.kind == OrganisationKind.CERTIFICATION_BODY
            )
        )
        is None
    ):
        raise ServiceError(_l("No certification body has the code %(code)s.", code=body), field="body")
    if region and region not in PROVINCES:
        raise ServiceError(
            _l("The province is the first two digits of a division code, e.g. 37 (Shandong)."), field="region"
        )
    if category and session.scalar(select(Scheme.id).where(Scheme.category_code == category).limit(1)) is None:
        raise ServiceError(_l("No scheme certifies the product category %(code)s.", code=category), field="category")
    return DrawFilter(scheme, body, region, category)


def candidates(session: Session, wanted: DrawFilter, now: datetime | None = None) -> dict[str, int]:
    """The labels a draw with this filter would draw from now: valid (not suspended, withdrawn, …) and within
    their validity in China, by certificate number → label id."""
    conditions = filter_conditions(session, Filters(scheme=wanted.scheme, region=wanted.region))
    statement = select(Label.certificate_number, Label.id).where(
        *conditions, Label.status == LabelStatus.VALID, Label.valid_until >= china_today(now)
    )
    if wanted.body:
        statement = statement.where(
            Label.body_id.in_(select(Organisation.id).where(Organisation.body_code == wanted.body))
        )
    if wanted.category:
        statement = statement.where(
            Label.product_id.in_(select(Product.id).where(Product.category_code == wanted.category))
        )
    return {row.certificate_number: row.id for row in session.execute(statement)}


def make_draw(
    session: Session,
    actor: Actor,
    wanted: DrawFilter,
    count: int,
    pool: Sequence[int],
    *,
    seed: bytes | None = None,
    now: datetime | None = None,
) -> SpotCheckDraw:
    """Draw ``count`` labels matching ``wanted`` and assign each an inspector from ``pool`` (user ids of the
    regulator's staff). ``seed`` is for tests; a draw otherwise takes 32 bytes from ``secrets``. A filter that
    matches fewer labels than ``count`` draws them all."""
    user = actor.user
    if user is None or not can_run_spot_checks(user) or user.organisation_id is None:
        raise ServiceError(_l("Only a market regulator's staff can make a spot-check draw."), status=403)
    regulator_id = user.organisation_id
    wanted = _check_filter(session, wanted)
    if not 1 <= count <= MAX_COUNT:
        raise ServiceError(_l("Draw between 1 and %(max)d labels.", max=MAX_COUNT), field="count")
    pool_ids = sorted(set(pool))
    if not pool_ids:
        raise ServiceError(_l("Choose at least one inspector."), field="pool")
    people = {p.id: p for p in session.scalars(select(User).where(User.id.in_(pool_ids)))}
    if any(not can_inspect_for(people.get(i), regulator_id) for i in pool_ids):
        raise ServiceError(_l("Inspectors are active regulator staff of your organisation."), field="pool")
    now = now or utcnow()
    found = candidates(session, wanted, now)
    if not found:
        raise ServiceError(_l("No valid label matches this filter: there is nothing to draw."), field="count")
    seed = seed if seed is not None else secrets.token_bytes(algorithm.SEED_BYTES)
    numbers = sorted(found)
    drawn = algorithm.draw(seed, numbers, count, len(pool_ids))
    record = SpotCheckDraw(
        regulator_id=regulator_id,
        drawn_by_id=user.id,
        drawn_at=now,
        filter_scheme=wanted.scheme or None,
        filter_body=wanted.body or None,
        filter_region=wanted.region or None,
        filter_category=wanted.category or None,
        requested=count,
        seed=seed.hex(),
        candidate_count=len(numbers),
        candidates_sha256=algorithm.candidates_sha256(numbers),
        candidates=numbers,
        pool=pool_ids,
        pool_size=len(pool_ids),
    )
    session.add(record)
    session.flush()
    for one in drawn:
        session.add(
            SpotCheckItem(
                draw_id=record.id,
                position=one.position,
                label_id=found[one.certificate_number],
                certificate_number=one.certificate_number,
                draw_key=one.key,
                inspector_id=pool_ids[one.inspector_number - 1],
                inspector_number=one.inspector_number,
            )
        )
    session.flush()
    session.refresh(record, ["items"])
    record_event(
        session,
        actor,
        "inspections:draw",
        subject=record,
        payload={
            "seed": record.seed,
            "requested": count,
            "drawn": [one.certificate_number for one in drawn],
            "candidate_count": record.candidate_count,
            "candidates_sha256": record.candidates_sha256,
        },
    )
    return record


def record_result(
    session: Session,
    actor: Actor,
    item: SpotCheckItem,
    *,
    outcome: CheckOutcome | str,
    findings: str,
    evidence_sha256: str | None = None,
    suspend: bool = False,
    resolve_by: date | None = None,
    now: datetime | None = None,
) -> SpotCheckResult:
    """The result of one check, public once recorded. A failure may suspend the label at once (reason
    ``spot_check_failed``, the findings as the public reason, through the label lifecycle)."""
    if not can_record_result(actor.user, item):
        raise ServiceError(
            _l("Only the assigned inspector or the regulator who made the draw records this result."), status=403
        )
    if item.result is not None or session.get(SpotCheckResult, item.id) is not None:
        raise ServiceError(_l("The result of this check is already recorded."), status=409)
    try:
        verdict = CheckOutcome(outcome)
    except ValueError:
        raise ServiceError(_l("Choose passed or failed."), field="outcome") from None
    refuse_bidi_controls(findings=findings)
    words = (findings or "").strip()
    if not words:
        raise ServiceError(_l("Summarise the findings: they are published with the result."), field="findings")
    if len(words) > MAX_FINDINGS:
        raise ServiceError(_l("Keep the findings under 2,000 characters."), field="findings")
    digest = (evidence_sha256 or "").strip().lower() or None
    if digest is not None and not _SHA256.match(digest):
        raise ServiceError(
            _l("Evidence is given by its SHA-256 hash: 64 hexadecimal characters."), field="evidence_sha256"
        )
    if suspend and verdict is not CheckOutcome.FAIL:
        raise ServiceError(_l("Only a failed check can suspend the label."), field="suspend")
    now = now or utcnow()
    assert actor.user is not None
    result = SpotCheckResult(
        id=item.id,
        outcome=verdict,
        findings=words,
        evidence_sha256=digest,
        recorded_by_id=actor.user.id,
        recorded_at=now,
    )
    if suspend:
        # The lifecycle checks the label's status, the regulator's capacity and the date before anything is written.
        change_status(
            session,
            item.label,
            LabelAction.SUSPEND,
            actor,
            reason_code=LabelReason.SPOT_CHECK_FAILED,
            public_reason=words,
            resolve_by=resolve_by,
            evidence=[digest] if digest else (),
            now=now,
        )
    item.result = result
    session.add(result)
    session.flush()
    record_event(
        session,
        actor,
        "inspections:result",
        subject=result,
        payload={
            "draw": item.draw_id,
            "certificate_number": item.certificate_number,
            "outcome": verdict.value,
            "suspended": suspend,
        },
    )
    return result


def list_draws(session: Session, *, regulator_id: int | None = None, limit: int = 200) -> list[SpotCheckDraw]:
    statement = select(SpotCheckDraw).order_by(SpotCheckDraw.id.desc()).limit(limit)
    if regulator_id is not None:
        statement = statement.where(SpotCheckDraw.regulator_id == regulator_id)
    return list(session.scalars(statement))


def assigned_to(session: Session, user: User) -> list[SpotCheckItem]:
    """The checks assigned to this inspector that have no result yet."""
    return list(
        session.scalars(
            select(SpotCheckItem)
            .outerjoin(SpotCheckResult, SpotCheckResult.id == SpotCheckItem.id)
            .where(SpotCheckItem.inspector_id == user.id, SpotCheckResult.id.is_(None))
            .order_by(SpotCheckItem.id)
        )
    )


def inspectors(session: Session, regulator_id: int) -> list[User]:
    """Who can be in a draw's pool: the regulator's active staff."""
    return [
        person
        for person in session.scalars(
            select(User).where(User.organisation_id == regulator_id).order_by(User.name, User.id)
        )
        if can_inspect_for(person, regulator_id)
    ]


def failed_checks(session: Session, body_id: int) -> int:
    """How many spot-check results on a body's labels were failures (the body's public record)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(SpotCheckResult)
            .join(SpotCheckItem, SpotCheckItem.id == SpotCheckResult.id)
            .join(Label, Label.id == SpotCheckItem.label_id)
            .where(Label.body_id == body_id, SpotCheckResult.outcome == CheckOutcome.FAIL)
        )
        or 0
    )


def public_document(draw: SpotCheckDraw, label_url: Callable[[Label], str]) -> dict[str, object]:
    """Everything needed to reproduce the draw and read its results; no inspector's name or id, only pool
    numbers. ``label_url(label)`` gives a drawn label's public page."""
    return {
        "id": draw.id,
        "algorithm": algorithm.ALGORITHM,
        "drawn_at": iso_utc(draw.drawn_at),
        "regulator": draw.regulator.name_zh,
        "filter": {
            "scheme": draw.filter_scheme,
            "body": draw.filter_body,
            "region": draw.filter_region,
            "category": draw.filter_category,
            "status": LabelStatus.VALID.value,
        },
        "requested": draw.requested,
        "seed": draw.seed,
        "pool_size": draw.pool_size,
        "candidate_count": draw.candidate_count,
        "candidates_sha256": draw.candidates_sha256,
        "candidates": list(draw.candidates),
        "drawn": [
            {
                "position": item.position,
                "certificate_number": item.certificate_number,
                "key": item.draw_key,
                "inspector": item.inspector_number,
                "label": label_url(item.label),
                "result": None
                if item.result is None
                else {
                    "outcome": item.result.outcome.value,
                    "findings": item.result.findings,
                    "evidence_sha256": item.result.evidence_sha256,
                    "recorded_at": iso_utc(item.result.recorded_at),
                },
            }
            for item in draw.items
        ],
    }
