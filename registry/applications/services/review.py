"""The certification body's review of an application, the verifier team, and conflict-of-interest declarations."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.applications.checks import is_barred
from registry.applications.models import (
    Application,
    ApplicationStatus,
    Assignment,
    Capacity,
    Declaration,
    DeclaredRelation,
    Participant,
    Relation,
)
from registry.applications.workflow import WORKFLOW, Action, assignments_of, may_act, participant_ids, transition
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.errors import ServiceError
from registry.notifications.services import notify
from registry.organisations.models import Organisation
from registry.text import refuse_bidi_controls

# People of a body who may evaluate: verifiers, and decision makers qualified to verify (who then cannot
# decide that file).
EVALUATOR_ROLES = (Role.VERIFIER, Role.DECISION_MAKER)


def return_application(session: Session, actor: Actor, application: Application, *, reason: str) -> None:
    transition(session, application, Action.RETURN, actor, reason=reason)


def reject_application(session: Session, actor: Actor, application: Application, *, reason: str) -> None:
    transition(session, application, Action.REJECT, actor, reason=reason)


def accept_application(
    session: Session, actor: Actor, application: Application, *, complete: bool, competent: bool, notes: str | None
) -> None:
    """Accept after the review: the file is complete, the body is competent for the scheme, the applicant is not
    barred (checked by the registry, not ticked)."""
    if not complete:
        raise ServiceError(_l("Confirm that the file is complete, or return it to the applicant."), field="complete")
    if not competent:
        raise ServiceError(
            _l("Confirm that the body has competent verifiers for this scheme, or reject the application."),
            field="competent",
        )
    details: dict[str, Any] = {
        "complete": True,
        "competent": True,
        "barred": is_barred(session, application.applicant_id),
    }
    transition(session, application, Action.ACCEPT, actor, reason=(notes or None), details=details)


def eligible_verifiers(session: Session, application: Application) -> list[User]:
    """The body's verifiers (and verifying decision makers) who are not already in the file and have declared
    no relation with the applicant."""
    involved = participant_ids(session, application)
    related = set(
        session.scalars(
            select(DeclaredRelation.user_id).where(DeclaredRelation.organisation_id == application.applicant_id)
        )
    )
    staff = session.scalars(
        select(User)
        .where(
            User.organisation_id == application.body_id,
            User.role.in_(EVALUATOR_ROLES),
            User.is_active_account.is_(True),
        )
        .order_by(User.role.desc(), User.name)
    )
    return [u for u in staff if u.id not in involved and u.id not in related]


def assign_verifiers(
    session: Session, actor: Actor, application: Application, verifier_ids: list[int]
) -> list[Assignment]:
    """Accepted → evaluation planned, with the verifier team. Each verifier must be the body's, not related to the
    applicant (employment or any declared relation) and not already in the file."""
    if not verifier_ids:
        raise ServiceError(_l("Choose at least one verifier."), field="verifier_ids")
    if actor.user is None:
        raise ServiceError(_l("You cannot take this action on this application."), status=403)
    people = [session.get(User, vid) for vid in dict.fromkeys(verifier_ids)]
    eligible = {u.id for u in eligible_verifiers(session, application)}
    for person in people:
        if person is None or person.organisation_id != application.body_id or person.role not in EVALUATOR_ROLES:
            raise ServiceError(_l("Choose verifiers of your own body."), field="verifier_ids")
        if person.id not in eligible:
            raise ServiceError(
                _l(
                    "%(name)s cannot be assigned: they are related to the applicant or already take part in this file.",
                    name=person.name,
                ),
                field="verifier_ids",
            )
    if application.status not in (ApplicationStatus.ACCEPTED, ApplicationStatus.EVALUATION_PLANNED):
        raise ServiceError(
            _l(
                "Verifiers are assigned after acceptance and before the evaluation starts; this application is now “%(status)s”.",
                status=application.status.label,
            ),
            status=409,
        )
    if not may_act(session, actor.user, application, Capacity.BODY_ADMIN):
        raise ServiceError(_l("You cannot take this action on this application."), status=403)
    assignments = []
    for person in people:
        assert person is not None
        session.add(Participant(application_id=application.id, user_id=person.id, capacity=Capacity.VERIFIER))
        session.flush()
        assignment = Assignment(application_id=application.id, verifier_id=person.id, assigned_by_id=actor.user.id)
        session.add(assignment)
        assignments.append(assignment)
    session.flush()
    if application.status is ApplicationStatus.ACCEPTED:
        # The transition's requirement (a team exists) sees the rows just written; a refusal rolls them back.
        transition(session, application, Action.PLAN, actor, details={"verifiers": [p.id for p in people if p]})
    else:
        # A replacement for a verifier who declared a conflict: the plan stands, the team grows.
        record_event(
            session,
            actor,
            "application:assign",
            subject=application,
            organisation_id=application.body_id,
            payload={"verifiers": [p.id for p in people if p]},
        )
    notify(
        session,
        [p for p in people if p],
        "application:assigned",
        application_id=application.id,
        params={"reference": application.reference},
    )
    return assignments


def declare_interest(
    session: Session, actor: Actor, application: Application, *, conflict: bool, details: str | None
) -> Assignment:
    """A verifier's declaration for one file. No conflict opens the confidential file to them; a conflict is
    recorded (and added to their standing relations) and the administrator must assign someone else."""
    user = actor.user
    assignment = next((a for a in assignments_of(session, application) if user and a.verifier_id == user.id), None)
    if assignment is None:
        raise ServiceError(_l("You are not assigned to this application."), status=404)
    if assignment.declaration is not None:
        raise ServiceError(_l("You already signed your declaration for this application."), status=409)
    if application.status in WORKFLOW.final:
        # A closed file needs no verifier: nothing of it opens to them any more, and nothing is recorded.
        raise ServiceError(
            _l(
                "This application is closed (“%(status)s”): there is nothing left to declare for.",
                status=application.status.label,
            ),
            status=409,
        )
    refuse_bidi_controls(details=details)
    details = (details or "").strip() or None
    if conflict and details is None:
        raise ServiceError(
            _l("Describe the conflict so that the administrator can assign someone else."), field="details"
        )
    assignment.declaration = Declaration.CONFLICT if conflict else Declaration.NO_CONFLICT
    assignment.declared_at = utcnow()
    assignment.conflict_details = details if conflict else None
    if conflict:
        assert user is not None and details is not None  # an assigned verifier; a conflict without details is refused
        _add_relation(session, user, application.applicant_id, Relation.OTHER, details)
    session.flush()
    record_event(
        session,
        actor,
        "application:declare",
        subject=application,
        organisation_id=application.body_id,
        payload={"declaration": assignment.declaration.value},
    )
    if conflict:
        admins = session.scalars(
            select(User).where(User.organisation_id == application.body_id, User.role == Role.BODY_ADMIN)
        )
        notify(
            session,
            admins,
            "application:conflict",
            application_id=application.id,
            params={"reference": application.reference},
        )
    return assignment


def _add_relation(
    session: Session, user: User, organisation_id: int, relation: Relation, details: str | None
) -> DeclaredRelation:
    existing = session.scalar(
        select(DeclaredRelation).where(
            DeclaredRelation.user_id == user.id,
            DeclaredRelation.organisation_id == organisation_id,
            DeclaredRelation.relation == relation,
        )
    )
    if existing is not None:
        return existing
    record = DeclaredRelation(user_id=user.id, organisation_id=organisation_id, relation=relation, details=details)
    session.add(record)
    session.flush()
    return record


def declare_relation(
    session: Session, actor: Actor, organisation: Organisation, *, relation: str, details: str | None
) -> DeclaredRelation:
    """A body staff member's standing declaration (employment, consultancy, ...) with an enterprise."""
    user = actor.user
    if user is None or user.role not in (Role.VERIFIER, Role.DECISION_MAKER, Role.BODY_ADMIN):
        raise ServiceError(_l("Only certification-body staff declare relations."), status=403)
    if relation not in set(Relation):
        raise ServiceError(_l("Choose the kind of relation."), field="relation")
    refuse_bidi_controls(details=details)
    record = _add_relation(session, user, organisation.id, Relation(relation), (details or "").strip() or None)
    record_event(
        session,
        actor,
        "relation:declare",
        subject=record,
        payload={"organisation": organisation.id, "relation": relation},
    )
    return record


def list_relations(session: Session, user: User) -> list[DeclaredRelation]:
    return list(
        session.scalars(
            select(DeclaredRelation).where(DeclaredRelation.user_id == user.id).order_by(DeclaredRelation.id)
        )
    )
