"""Renewal and change: the holder of a valid label opens a new application for the same product and scheme, to the
body that issued it, marked with its kind and the label it would replace, its footprint data copied from the
application that label was granted on. It then goes through the normal review, evaluation and decision; granted,
its label supersedes the old one (registry.labels.lifecycle.supersede_earlier, called by issuance); refused or
withdrawn, the old label stays as it was.

A renewal may be opened in the last ``RENEWAL_WINDOW_MONTHS`` months of validity, up to and including the label's
last day (China time); a change may be reported at any time while the label is valid. One open renewal or change
per label at a time.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.applications.models import (
    FINAL_STATUSES,
    ActivityLine,
    Application,
    ApplicationKind,
    ApplicationStatus,
    ChangeKind,
    StageValue,
)
from registry.applications.permissions import can_open_successor
from registry.applications.services.applicant import current_scheme_version
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.dates import add_months
from registry.errors import ServiceError
from registry.labels.lifecycle import china_today
from registry.labels.models import Label, LabelStatus
from registry.text import refuse_bidi_controls

RENEWAL_WINDOW_MONTHS = 6


def renewal_opens_on(label: Label) -> date:
    """The first day a renewal may be applied for."""
    return add_months(label.valid_until, -RENEWAL_WINDOW_MONTHS)


def may_renew_now(label: Label, now: datetime | None = None) -> bool:
    today = china_today(now)
    return label.status is LabelStatus.VALID and renewal_opens_on(label) <= today <= label.valid_until


def open_successor(session: Session, label: Label) -> Application | None:
    """The renewal or change application open for this label (not granted, rejected, withdrawn or finally
    refused), if any."""
    return session.scalar(
        select(Application)
        .where(Application.previous_label_id == label.id, Application.status.not_in(FINAL_STATUSES))
        .order_by(Application.id.desc())
        .limit(1)
    )


def successors(session: Session, label: Label) -> list[Application]:
    return list(
        session.scalars(
            select(Application).where(Application.previous_label_id == label.id).order_by(Application.id.desc())
        ).unique()
    )


def open_renewal(session: Session, actor: Actor, label: Label, *, now: datetime | None = None) -> Application:
    """A renewal draft for ``label``, within the renewal window."""
    _check(session, actor, label)
    today = china_today(now)
    if today > label.valid_until:
        raise ServiceError(_l("This label's validity has ended: apply for a new certification instead."), status=409)
    if today < renewal_opens_on(label):
        raise ServiceError(
            _l(
                "A renewal can be applied for from %(date)s, in the last %(months)d months of the label's validity.",
                date=renewal_opens_on(label).isoformat(),
                months=RENEWAL_WINDOW_MONTHS,
            ),
            status=409,
        )
    return _open(session, actor, label, ApplicationKind.RENEWAL, None, None)


def report_change(
    session: Session, actor: Actor, label: Label, *, what: ChangeKind | str | None, description: str | None
) -> Application:
    """A change report for ``label``: what changed (product, factory, footprint) and how, as a draft application
    that is evaluated like any other."""
    _check(session, actor, label)
    try:
        kind = ChangeKind(what) if what else None
    except ValueError:
        kind = None
    if kind is None:
        raise ServiceError(_l("Say what changed: the product, the factory or the footprint."), field="what")
    refuse_bidi_controls(description=description)
    text = (description or "").strip()
    if not text:
        raise ServiceError(_l("Describe the change."), field="description")
    if len(text) > 5000:
        raise ServiceError(_l("Keep the description under 5,000 characters."), field="description")
    return _open(session, actor, label, ApplicationKind.CHANGE, kind, text)


def _check(session: Session, actor: Actor, label: Label) -> None:
    user = actor.user
    if user is None or not can_open_successor(user, label):
        raise ServiceError(_l("Only the label's holder can renew it or report a change."), status=403)
    if label in session:
        # Hold the label's row until the commit on PostgreSQL (SQLite's writers hold the database), so two requests
        # at once cannot both find no open application and open one each.
        session.refresh(label, ["status"], with_for_update=session.get_bind().dialect.name == "postgresql")
    if label.status is not LabelStatus.VALID:
        raise ServiceError(
            _l(
                "Only a valid label can be renewed or changed; this one is “%(status)s”.",
                status=label.status.label,
            ),
            status=409,
        )
    existing = open_successor(session, label)
    if existing is not None:
        raise ServiceError(
            _l(
                "Application %(reference)s (%(kind)s) is already open for this label: continue it, or withdraw it first.",
                reference=existing.reference,
                kind=existing.kind.label,
            ),
            status=409,
        )


def _open(
    session: Session,
    actor: Actor,
    label: Label,
    kind: ApplicationKind,
    change_kind: ChangeKind | None,
    description: str | None,
) -> Application:
    assert actor.user is not None
    product = label.product
    version = current_scheme_version(session, product.category_code)
    if version is None or version.scheme_id != label.scheme_version.scheme_id:
        raise ServiceError(
            _l("The label's scheme no longer applies to this product's category; apply for a new certification."),
            status=409,
        )
    previous = label.application
    application = Application(
        applicant_id=label.holder_id,
        body_id=label.body_id,
        product_id=product.id,
        scheme_version_id=version.id,
        status=ApplicationStatus.DRAFT,
        status_changed_at=utcnow(),
        created_by_id=actor.user.id,
        kind=kind,
        previous_label_id=label.id,
        change_kind=change_kind,
        change_description=description,
        # Prefilled from the file the label was granted on; the holder updates what changed before submitting.
        declared_footprint=previous.declared_footprint,
        period_start=previous.period_start,
        period_end=previous.period_end,
        primary_share_percent=previous.primary_share_percent,
    )
    session.add(application)
    session.flush()
    allowed = version.spec.boundary.stages
    for position, stage in enumerate(allowed):
        if stage in previous.stage_values:
            session.add(
                StageValue(
                    application_id=application.id, stage=stage, position=position, value=previous.stage_values[stage]
                )
            )
    for line in previous.lines:
        if line.stage in allowed:
            session.add(
                ActivityLine(
                    application_id=application.id,
                    stage=line.stage,
                    description=line.description,
                    quantity=line.quantity,
                    quantity_unit=line.quantity_unit,
                    factor_value=line.factor_value,
                    factor_unit=line.factor_unit,
                    factor_source=line.factor_source,
                    data_kind=line.data_kind,
                )
            )
    session.flush()
    session.refresh(application)
    payload: dict[str, object] = {
        "product": product.id,
        "body": label.body_id,
        "scheme": version.code,
        "version": version.version,
        "kind": kind.value,
        "previous_label": label.certificate_number,
    }
    if change_kind is not None:
        payload["change"] = change_kind.value
    record_event(
        session, actor, "application:create", subject=application, organisation_id=label.holder_id, payload=payload
    )
    return application
