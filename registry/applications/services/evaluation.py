"""The verifier's work: the checklist from the scheme's certification mode, findings in rounds, the
verification statement and the recommendation."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.applications.models import (
    Application,
    ApplicationStatus,
    Assurance,
    Capacity,
    ChecklistItem,
    Finding,
    Opinion,
    Outcome,
    Recommendation,
    Severity,
    Statement,
)
from registry.applications.services.applicant import parse_amount
from registry.applications.workflow import Action, may_act, transition
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.errors import ServiceError
from registry.numbers import plain
from registry.text import refuse_bidi_controls

IN_EVALUATION = (ApplicationStatus.UNDER_EVALUATION, ApplicationStatus.FINDINGS_OPEN)


def _require_verifier(
    session: Session, actor: Actor, application: Application, *, statuses: tuple[ApplicationStatus, ...] = IN_EVALUATION
) -> User:
    if not may_act(session, actor.user, application, Capacity.VERIFIER):
        raise ServiceError(
            _l("Only a verifier assigned to this file, with a signed declaration, can do this."), status=403
        )
    if application.status not in statuses:
        raise ServiceError(
            _l("Not possible while the application is “%(status)s”.", status=application.status.label), status=409
        )
    assert actor.user is not None
    return actor.user


def start_evaluation(session: Session, actor: Actor, application: Application) -> None:
    """Evaluation planned → under evaluation, with one checklist item per activity of the scheme's mode."""
    transition(session, application, Action.START, actor)
    for position, mode in enumerate(application.spec.certification.modes):
        session.add(ChecklistItem(application_id=application.id, mode=mode, position=position))
    session.flush()


def checklist(session: Session, application: Application) -> list[ChecklistItem]:
    return list(
        session.scalars(
            select(ChecklistItem).where(ChecklistItem.application_id == application.id).order_by(ChecklistItem.position)
        )
    )


def complete_checklist_item(
    session: Session,
    actor: Actor,
    application: Application,
    mode: str,
    *,
    notes: str | None,
    site_date: date | None = None,
    site_place: str | None = None,
) -> ChecklistItem:
    user = _require_verifier(session, actor, application)
    item = session.get(ChecklistItem, (application.id, mode))
    if item is None:
        raise ServiceError(_l("This activity is not part of the scheme's certification mode."), status=404)
    if item.completed_at is not None:
        raise ServiceError(_l("This item is already complete."), status=409)
    refuse_bidi_controls(notes=notes, site_place=site_place)
    notes = (notes or "").strip() or None
    if mode == "site_inspection":
        site_place = (site_place or "").strip() or None
        if site_date is None:
            raise ServiceError(_l("Enter the date of the site inspection."), field="site_date")
        if site_date > utcnow().date():
            raise ServiceError(_l("A site inspection is recorded after it took place, not before."), field="site_date")
        if site_place is None:
            raise ServiceError(_l("Enter where the inspection took place."), field="site_place")
        item.site_date, item.site_place = site_date, site_place
    if notes is None:
        raise ServiceError(_l("Write what was checked and what was found."), field="notes")
    item.notes = notes
    item.completed_at = utcnow()
    item.completed_by_id = user.id
    session.flush()
    record_event(
        session,
        actor,
        "evaluation:checklist:complete",
        subject=application,
        organisation_id=application.body_id,
        payload={"mode": mode},
    )
    return item


def list_findings(session: Session, application: Application, *, include_unsent: bool) -> list[Finding]:
    query = select(Finding).where(Finding.application_id == application.id).order_by(Finding.round, Finding.id)
    if not include_unsent:
        query = query.where(Finding.round <= application.findings_round)
    return list(session.scalars(query))


def raise_finding(
    session: Session, actor: Actor, application: Application, *, severity: str, description: str
) -> Finding:
    """A finding for the next round; the applicant sees it once the round is sent (``issue_findings``)."""
    user = _require_verifier(session, actor, application, statuses=(ApplicationStatus.UNDER_EVALUATION,))
    if severity not in set(Severity):
        raise ServiceError(_l("Choose the finding's severity."), field="severity")
    refuse_bidi_controls(description=description)
    if not description.strip():
        raise ServiceError(
            _l("Describe the finding: the requirement, the evidence and what is wrong."), field="description"
        )
    finding = Finding(
        application_id=application.id,
        round=application.findings_round + 1,
        severity=Severity(severity),
        description=description.strip(),
        raised_by_id=user.id,
    )
    session.add(finding)
    session.flush()
    record_event(
        session,
        actor,
        "finding:raise",
        subject=finding,
        organisation_id=application.body_id,
        payload={"severity": severity},
    )
    return finding


def delete_unsent_finding(session: Session, actor: Actor, application: Application, finding: Finding) -> None:
    _require_verifier(session, actor, application, statuses=(ApplicationStatus.UNDER_EVALUATION,))
    if finding.application_id != application.id or finding.round <= application.findings_round:
        raise ServiceError(_l("Only findings not yet sent to the applicant can be deleted."), status=409)
    session.delete(finding)
    session.flush()
    record_event(session, actor, "finding:delete", subject=application, organisation_id=application.body_id)


def issue_findings(session: Session, actor: Actor, application: Application) -> None:
    round_ = application.findings_round + 1
    transition(
        session,
        application,
        Action.ISSUE_FINDINGS,
        actor,
        details={"round": round_},
        changes={"findings_round": round_},
    )


def close_finding(session: Session, actor: Actor, application: Application, finding: Finding, *, note: str) -> None:
    """A verifier accepts the applicant's answer (or, for an observation, notes it) and closes the finding."""
    user = _require_verifier(session, actor, application, statuses=(ApplicationStatus.UNDER_EVALUATION,))
    if finding.application_id != application.id or finding.round > application.findings_round:
        raise ServiceError(_l("Send this finding to the applicant before closing it."), status=409)
    if finding.closed_at is not None:
        raise ServiceError(_l("This finding is already closed."), status=409)
    if finding.severity is not Severity.OBSERVATION and finding.response is None:
        raise ServiceError(_l("A non-conformity is closed only after the applicant has answered it."), status=409)
    refuse_bidi_controls(note=note)
    if not note.strip():
        raise ServiceError(_l("Say why the finding can be closed."), field="note")
    finding.closure_note = note.strip()
    finding.closed_at = utcnow()
    finding.closed_by_id = user.id
    session.flush()
    record_event(session, actor, "finding:close", subject=finding, organisation_id=application.body_id)


def sign_statement(
    session: Session,
    actor: Actor,
    application: Application,
    *,
    assurance: str,
    opinion: str,
    materiality_percent: object,
    summary: str,
) -> Statement:
    user = _require_verifier(session, actor, application, statuses=(ApplicationStatus.UNDER_EVALUATION,))
    if assurance not in set(Assurance):
        raise ServiceError(_l("Choose the level of assurance."), field="assurance")
    if opinion not in set(Opinion):
        raise ServiceError(_l("Choose the opinion."), field="opinion")
    materiality = parse_amount(materiality_percent, "materiality_percent", allow_zero=False)
    if materiality > 100:
        raise ServiceError(_l("A share is at most 100 %."), field="materiality_percent")
    scheme_materiality = application.spec.certification.materiality_percent
    if materiality > scheme_materiality:
        raise ServiceError(
            _l(
                "The scheme sets the materiality threshold at %(percent)s %%; a verifier may not use a looser one.",
                percent=plain(scheme_materiality),
            ),
            field="materiality_percent",
        )
    refuse_bidi_controls(summary=summary)
    if not summary.strip():
        raise ServiceError(_l("Write the summary: it is published with the label."), field="summary")
    statement = session.get(Statement, application.id)
    if statement is None:
        statement = Statement(application_id=application.id)
        session.add(statement)
    statement.assurance = Assurance(assurance)
    statement.opinion = Opinion(opinion)
    statement.materiality_percent = materiality
    statement.summary = summary.strip()
    statement.signed_by_id = user.id
    statement.signed_at = utcnow()
    session.flush()
    record_event(
        session,
        actor,
        "evaluation:statement:sign",
        subject=application,
        organisation_id=application.body_id,
        payload={"assurance": assurance, "opinion": opinion},
    )
    return statement


def recommend(
    session: Session, actor: Actor, application: Application, *, outcome: str, reasons: str
) -> Recommendation:
    if outcome not in set(Outcome):
        raise ServiceError(_l("Choose grant or refuse."), field="outcome")
    statement = session.get(Statement, application.id)
    if outcome == Outcome.GRANT and statement is not None and statement.opinion is Opinion.ADVERSE:
        raise ServiceError(_l("An adverse opinion cannot lead to a recommendation to grant."), field="outcome")
    transition(session, application, Action.RECOMMEND, actor, reason=reasons, details={"outcome": outcome})
    assert actor.user is not None
    recommendation = Recommendation(
        application_id=application.id,
        outcome=Outcome(outcome),
        reasons=reasons.strip(),
        recommended_by_id=actor.user.id,
    )
    session.add(recommendation)
    session.flush()
    return recommendation
