"""The regulator's operations: orders on labels, the dishonest-entity list (listing, removal on credit repair) and
the withdrawal demands a listing sets the bodies; what the console, the bodies' dashboards and the public read.

Every operation takes ``(session, actor, …)`` and ``now`` where time matters, checks every rule before writing,
writes its audit event in the caller's transaction and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.applications.services.documents import PDF, StoredFile, store_file
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.errors import ServiceError
from registry.labels import lifecycle
from registry.labels.lifecycle import CHINA, REASONS, china_today
from registry.labels.models import Label, LabelAction, LabelReason, LabelStatus
from registry.notifications.services import notify
from registry.organisations.models import BarredOrganisation, Organisation, OrganisationKind
from registry.supervision.demands import OPEN_STATUSES
from registry.supervision.models import (
    DemandStatus,
    DishonestListEvent,
    ListAction,
    OrderAction,
    SupervisionOrder,
    WithdrawalDemand,
)
from registry.supervision.permissions import can_manage_list, can_order
from registry.supervision.workdays import add_working_days
from registry.text import refuse_bidi_controls
from registry.tlog import services as tlog

# A listed enterprise's bodies withdraw its labels within this many working days.
WITHDRAWAL_WORKING_DAYS = 5
LIVE = (LabelStatus.VALID, LabelStatus.SUSPENDED)
MAX_TEXT = 2000
MAX_NUMBER = 100


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the edge hands it over: its bytes, the name the user gave, where to keep it."""

    stream: IO[bytes]
    name: str | None
    folder: Path
    max_bytes: int


def _regulator(actor: Actor, allowed: bool) -> User:
    user = actor.user
    if user is None or not allowed or user.organisation_id is None:
        raise ServiceError(_l("Only a market regulator can do this."), status=403)
    return user


def _words(value: str | None, field: str, missing: object, *, limit: int = MAX_TEXT) -> str:
    refuse_bidi_controls(**{field: value})
    words = (value or "").strip()
    if not words:
        raise ServiceError(missing, field=field)
    if len(words) > limit:
        raise ServiceError(_l("Keep this under %(count)d characters.", count=limit), field=field)
    return words


def _decision_number(value: str | None) -> str:
    return _words(
        value,
        "decision_number",
        _l("Give the number of the decision document (决定书文号)."),
        limit=MAX_NUMBER,
    )


def _store_decision(session: Session, upload: Upload, field: str) -> StoredFile:
    return store_file(
        session,
        upload.stream,
        name=upload.name,
        accepted=(PDF,),
        what=str(_l("decision document")),
        folder=upload.folder,
        max_bytes=upload.max_bytes,
        field=field,
    )


def china_midnight(day: date) -> datetime:
    """The start of ``day`` in China, in UTC: the moment a listing dated that day begins."""
    return datetime.combine(day, time(), tzinfo=CHINA).astimezone(UTC)


# --- orders ---------------------------------------------------------------------------------------------------------


def order(
    session: Session,
    actor: Actor,
    label: Label,
    action: OrderAction,
    *,
    legal_basis: str | None,
    decision_number: str | None,
    reason_code: str | None,
    public_reason: str | None,
    resolve_by: date | None,
    document: Upload | None,
    now: datetime | None = None,
) -> SupervisionOrder:
    """A regulator orders ``label`` suspended or withdrawn, carried out at once: the label moves through the
    lifecycle in the regulator's capacity with the decision document's hash as its evidence, and the order is
    recorded beside the step it made."""
    user = _regulator(actor, can_order(actor.user))
    now = now or utcnow()
    basis = _words(legal_basis, "legal_basis", _l("Give the legal basis of the order."))
    number = _decision_number(decision_number)
    if label.status not in LIVE or (action is OrderAction.SUSPEND and label.status is not LabelStatus.VALID):
        raise ServiceError(
            _l(
                "This label is now “%(status)s”: it cannot be ordered to “%(action)s”.",
                status=label.status.label,
                action=action.label,
            ),
            status=409,
        )
    if document is None:
        raise ServiceError(_l("Attach the decision document (PDF)."), field="document")
    stored = _store_decision(session, document, "document")
    step = lifecycle.change_status(
        session,
        label,
        LabelAction(action.value),
        actor,
        reason_code=reason_code,
        public_reason=public_reason,
        resolve_by=resolve_by,
        evidence=[stored.sha256],
        now=now,
    )
    row = SupervisionOrder(
        label_id=label.id,
        transition_id=step.id,
        action=action,
        at=now,
        actor_id=user.id,
        regulator_id=user.organisation_id,
        legal_basis=basis,
        decision_number=number,
        reason_code=step.reason_code,
        public_reason=step.public_reason or "",
        document_storage=stored.storage_name,
        document_name=stored.original_name,
        document_sha256=stored.sha256,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor,
        f"supervision:order_{action.value}",
        subject=label,
        payload={
            "certificate_number": label.certificate_number,
            "decision_number": number,
            "document_sha256": stored.sha256,
            "order": row.id,
        },
    )
    return row


def orders(session: Session, *, limit: int = 100) -> list[SupervisionOrder]:
    return list(session.scalars(select(SupervisionOrder).order_by(SupervisionOrder.id.desc()).limit(limit)))


def orders_by_step(session: Session, step_ids: list[int]) -> dict[int, SupervisionOrder]:
    """The orders behind these label steps, by step: the notices say which changes a regulator ordered."""
    if not step_ids:
        return {}
    found = session.scalars(select(SupervisionOrder).where(SupervisionOrder.transition_id.in_(step_ids)))
    return {row.transition_id: row for row in found}


def order_reasons(action: OrderAction) -> tuple[LabelReason, ...]:
    return REASONS[LabelAction(action.value)]


# --- the dishonest-entity list ----------------------------------------------------------------------------------------


def find_enterprise(session: Session, uscc: str | None) -> Organisation:
    code = (uscc or "").strip().upper()
    found = session.scalar(
        select(Organisation).where(Organisation.uscc == code, Organisation.kind == OrganisationKind.ENTERPRISE)
    )
    if found is None:
        raise ServiceError(
            _l("No enterprise in the registry has the unified social credit code %(code)s.", code=code or "—"),
            field="uscc",
        )
    return found


def listing_in_force(session: Session, organisation_id: int, now: datetime) -> BarredOrganisation | None:
    """The organisation's entry that bars it now or later (not removed, not ended)."""
    return session.scalar(
        select(BarredOrganisation)
        .where(
            BarredOrganisation.organisation_id == organisation_id,
            BarredOrganisation.removed_at.is_(None),
            (BarredOrganisation.barred_until.is_(None)) | (BarredOrganisation.barred_until > now),
        )
        .order_by(BarredOrganisation.id)
        .limit(1)
    )


def list_enterprise(
    session: Session,
    actor: Actor,
    enterprise: Organisation,
    *,
    reason: str | None,
    decision_number: str | None,
    listed_from: date | None,
    listed_until: date | None,
    document: Upload | None = None,
    now: datetime | None = None,
) -> BarredOrganisation:
    """Put ``enterprise`` on the dishonest-entity list: from then it cannot submit an application, no body can
    accept one from it, and each live label's issuing body is told to withdraw it within five working days."""
    user = _regulator(actor, can_manage_list(actor.user))
    now = now or utcnow()
    today = china_today(now)
    if enterprise.kind is not OrganisationKind.ENTERPRISE:
        raise ServiceError(_l("Only an enterprise can be put on the dishonest-entity list."), field="uscc")
    words = _words(reason, "reason", _l("Give the reason for the listing; it is published."))
    number = _decision_number(decision_number)
    start = listed_from or today
    if start > today:
        raise ServiceError(
            _l("The listing takes effect today or on an earlier date (the decision's), not later."), field="listed_from"
        )
    if listed_until is not None and listed_until < max(start, today):
        raise ServiceError(_l("The end of the listing must be today or later."), field="listed_until")
    if listing_in_force(session, enterprise.id, now) is not None:
        raise ServiceError(_l("This enterprise is already on the dishonest-entity list."), field="uscc", status=409)
    stored = _store_decision(session, document, "document") if document is not None else None
    listing = BarredOrganisation(
        organisation_id=enterprise.id,
        reason=words,
        source=user.organisation.name_zh if user.organisation is not None else "",
        barred_from=china_midnight(start),
        barred_until=china_midnight(listed_until + timedelta(days=1)) if listed_until is not None else None,
        decision_number=number,
        document_storage=stored.storage_name if stored else None,
        document_name=stored.original_name if stored else None,
        document_sha256=stored.sha256 if stored else None,
        listed_by_id=user.id,
        created_at=now,
    )
    session.add(listing)
    session.flush()
    session.add(
        DishonestListEvent(
            listing_id=listing.id,
            organisation_id=enterprise.id,
            action=ListAction.LISTED,
            at=now,
            actor_id=user.id,
            reason=words,
            decision_number=number,
        )
    )
    tlog.append(
        session,
        "dishonest:listed",
        now,
        {
            "enterprise": enterprise.uscc,
            "listing": listing.id,
            "from": start.isoformat(),
            "until": listed_until.isoformat() if listed_until else None,
        },
    )
    demands = _demand_withdrawals(session, listing, now)
    record_event(
        session,
        actor,
        "supervision:list",
        subject=enterprise,
        organisation_id=enterprise.id,
        payload={
            "listing": listing.id,
            "decision_number": number,
            "from": start.isoformat(),
            "until": listed_until.isoformat() if listed_until else None,
            "document_sha256": stored.sha256 if stored else None,
            "withdrawal_demands": [demand.id for demand in demands],
        },
    )
    # The enterprise hears it from the registry too, not only from the public list.
    notify(
        session,
        _members(session, enterprise.id),
        "supervision:listed",
        application_id=None,
        params={"enterprise": enterprise.name_zh, "number": number},
    )
    return listing


def _demand_withdrawals(session: Session, listing: BarredOrganisation, now: datetime) -> list[WithdrawalDemand]:
    labels = list(
        session.scalars(
            select(Label).where(Label.holder_id == listing.organisation_id, Label.status.in_(LIVE)).order_by(Label.id)
        )
    )
    due, calendar = add_working_days(china_today(now), WITHDRAWAL_WORKING_DAYS)
    demands = []
    for label in labels:
        demand = WithdrawalDemand(
            listing_id=listing.id,
            label_id=label.id,
            body_id=label.body_id,
            created_at=now,
            due_on=due,
            calendar=calendar,
            status=DemandStatus.OPEN,
        )
        session.add(demand)
        demands.append(demand)
    session.flush()
    for demand in demands:
        notify(
            session,
            _body_admins(session, demand.body_id),
            "supervision:withdrawal_demand",
            application_id=demand.label.application_id,
            params={
                "reference": demand.label.certificate_number,
                "enterprise": listing.organisation.name_zh,
                "due": due.isoformat(),
            },
        )
    return demands


def _members(session: Session, organisation_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == organisation_id).order_by(User.id)))


def _body_admins(session: Session, body_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organisation_id == body_id, User.role == Role.BODY_ADMIN)))


def remove_listing(
    session: Session, actor: Actor, listing: BarredOrganisation, *, reason: str | None, now: datetime | None = None
) -> BarredOrganisation:
    """Take an enterprise off the list (信用修复, credit repair): it may apply again, and the withdrawal demands
    still open are lifted. The entry stays, shown as removed."""
    user = _regulator(actor, can_manage_list(actor.user))
    now = now or utcnow()
    words = _words(reason, "reason", _l("Give the reason for the removal (the credit repair); it is published."))
    if listing.removed_at is not None:
        raise ServiceError(_l("This entry was already removed from the list."), status=409)
    listing.removed_at = now
    listing.removal_reason = words
    listing.removed_by_id = user.id
    session.add(
        DishonestListEvent(
            listing_id=listing.id,
            organisation_id=listing.organisation_id,
            action=ListAction.REMOVED,
            at=now,
            actor_id=user.id,
            reason=words,
            decision_number=listing.decision_number,
        )
    )
    tlog.append(session, "dishonest:removed", now, {"enterprise": listing.organisation.uscc, "listing": listing.id})
    lifted = list(
        session.scalars(
            select(WithdrawalDemand).where(
                WithdrawalDemand.listing_id == listing.id, WithdrawalDemand.status.in_(OPEN_STATUSES)
            )
        )
    )
    for demand in lifted:
        demand.status = DemandStatus.LIFTED
        demand.closed_at = now
    session.flush()
    record_event(
        session,
        actor,
        "supervision:unlist",
        subject=listing.organisation,
        organisation_id=listing.organisation_id,
        payload={"listing": listing.id, "withdrawal_demands_lifted": [demand.id for demand in lifted]},
    )
    notify(
        session,
        _members(session, listing.organisation_id),
        "supervision:unlisted",
        application_id=None,
        params={"enterprise": listing.organisation.name_zh},
    )
    return listing


def first_day(listing: BarredOrganisation) -> date:
    """The listing's first day, in China."""
    return listing.barred_from.astimezone(CHINA).date()


def last_day(listing: BarredOrganisation) -> date | None:
    """The listing's last day in China (None: until removed)."""
    if listing.barred_until is None:
        return None
    return (listing.barred_until.astimezone(CHINA) - timedelta(microseconds=1)).date()


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def listings(session: Session) -> list[BarredOrganisation]:
    """The whole list, newest first, removed entries included (they show as removed)."""
    return list(session.scalars(select(BarredOrganisation).order_by(BarredOrganisation.id.desc())))


def list_events(session: Session, *, before: int | None = None, limit: int = 50) -> list[DishonestListEvent]:
    query = select(DishonestListEvent).order_by(DishonestListEvent.id.desc()).limit(limit)
    if before is not None:
        query = query.where(DishonestListEvent.id < before)
    return list(session.scalars(query))


# --- the withdrawal demands -------------------------------------------------------------------------------------------


def open_demands(session: Session, *, body_id: int | None = None) -> list[WithdrawalDemand]:
    """The demands not met yet (open or overdue), the earliest due first; one body's only when ``body_id``."""
    query = (
        select(WithdrawalDemand)
        .where(WithdrawalDemand.status.in_(OPEN_STATUSES))
        .order_by(WithdrawalDemand.due_on, WithdrawalDemand.id)
    )
    if body_id is not None:
        query = query.where(WithdrawalDemand.body_id == body_id)
    return list(session.scalars(query))


def flag_overdue_withdrawals(session: Session, actor: Actor, now: datetime) -> list[WithdrawalDemand]:
    """Flag the open demands whose due day has passed in China as overdue, each once (an audit event and a word to
    the body's administrators); those already flagged are left alone, so running it again changes nothing."""
    today = china_today(now)
    due = list(
        session.scalars(
            select(WithdrawalDemand)
            .where(WithdrawalDemand.status == DemandStatus.OPEN, WithdrawalDemand.due_on < today)
            .order_by(WithdrawalDemand.id)
        )
    )
    for demand in due:
        demand.status = DemandStatus.OVERDUE
        demand.overdue_at = now
        record_event(
            session,
            actor,
            "supervision:withdrawal_overdue",
            subject=demand.label,
            organisation_id=demand.body_id,
            payload={"demand": demand.id, "due_on": demand.due_on.isoformat()},
        )
        notify(
            session,
            _body_admins(session, demand.body_id),
            "supervision:withdrawal_overdue",
            application_id=demand.label.application_id,
            params={"reference": demand.label.certificate_number, "due": demand.due_on.isoformat()},
        )
    session.flush()
    return due
