"""The applicant's side: drafting an application, its footprint data and documents, submitting, withdrawing,
answering findings and appealing. Services flush, never commit; status changes go through the workflow guard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.applications.models import (
    ActivityLine,
    Appeal,
    Application,
    ApplicationStatus,
    Assignment,
    DataKind,
    Document,
    DocumentKind,
    FactorUnit,
    Finding,
    StageValue,
)
from registry.applications.services import documents
from registry.applications.workflow import Action, transition
from registry.audit.services import Actor, record_event
from registry.database import utcnow
from registry.errors import ServiceError
from registry.organisations.models import Organisation, OrganisationKind
from registry.products.models import Product
from registry.schemes.models import Scheme, SchemeVersion
from registry.text import refuse_bidi_controls

EDITABLE = (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED)
LIMIT = Decimal("1e12")


def parse_amount(raw: object, field: str, *, allow_zero: bool = True) -> Decimal:
    """A non-negative decimal with at most six places, or a ServiceError naming the field."""
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ServiceError(_l("Enter a number, such as 62.4."), field=field) from None
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise ServiceError(
            _l("Enter a number greater than zero.") if not allow_zero else _l("Enter zero or a positive number."),
            field=field,
        )
    if value >= LIMIT:
        raise ServiceError(_l("This number is too large."), field=field)
    if value != value.quantize(Decimal("0.000001")):
        raise ServiceError(_l("Use at most six decimal places."), field=field)
    return value


def _require_editable(application: Application) -> None:
    if application.status not in EDITABLE:
        raise ServiceError(
            _l(
                "The application can be changed only as a draft or after it was returned to you; it is now “%(status)s”.",
                status=application.status.label,
            ),
            status=409,
        )


def _require_holder(actor: Actor, application: Application) -> User:
    user = actor.user
    if user is None or user.role is not Role.APPLICANT or user.organisation_id != application.applicant_id:
        raise ServiceError(_l("Only the applicant can change this application."), status=403)
    return user


class DuplicateDraft(ServiceError):
    """A draft (or returned application) for the same product, scheme and body exists: the applicant continues
    that one, so that a body never receives two files for one product."""

    def __init__(self, existing: Application) -> None:
        super().__init__(
            _l(
                "There is already a draft for this product, scheme and body (%(reference)s). Continue that one.",
                reference=existing.reference,
            ),
            field="product_id",
            status=409,
        )
        self.existing = existing


def open_draft(session: Session, product: Product, body: Organisation, scheme_id: int) -> Application | None:
    """The product's editable application to ``body`` under any version of the scheme, if there is one."""
    return session.scalar(
        select(Application)
        .join(SchemeVersion, SchemeVersion.id == Application.scheme_version_id)
        .where(
            Application.product_id == product.id,
            Application.body_id == body.id,
            SchemeVersion.scheme_id == scheme_id,
            Application.status.in_(EDITABLE),
        )
        .order_by(Application.id)
        .limit(1)
    )


def current_scheme_version(session: Session, category_code: str) -> SchemeVersion | None:
    scheme = session.scalar(select(Scheme).where(Scheme.category_code == category_code))
    return scheme.latest if scheme is not None and scheme.versions else None


def start_application(session: Session, actor: Actor, product: Product, body: Organisation) -> Application:
    """What an applicant starts from the registry: a new draft, unless one for the same product, scheme and body
    is still open (a draft, or returned to it), which it continues instead (``DuplicateDraft`` names it).

    The seeding and test helpers that build files in every status call ``create_application`` directly."""
    version = current_scheme_version(session, product.category_code)
    existing = open_draft(session, product, body, version.scheme_id) if version is not None else None
    if existing is not None and actor.user is not None and actor.user.organisation_id == product.organisation_id:
        raise DuplicateDraft(existing)
    return create_application(session, actor, product, body)


def create_application(session: Session, actor: Actor, product: Product, body: Organisation) -> Application:
    """A draft for ``product`` to ``body``, bound for life to the current version of the product's scheme."""
    user = actor.user
    if user is None or user.role is not Role.APPLICANT or user.organisation_id != product.organisation_id:
        raise ServiceError(_l("Choose one of your own products."), field="product_id")
    if body.kind is not OrganisationKind.CERTIFICATION_BODY:
        raise ServiceError(_l("Choose a certification body."), field="body_id")
    version = current_scheme_version(session, product.category_code)
    if version is None:
        raise ServiceError(_l("There is no certification scheme for this product's category yet."), field="product_id")
    application = Application(
        applicant_id=product.organisation_id,
        body_id=body.id,
        product_id=product.id,
        scheme_version_id=version.id,
        status=ApplicationStatus.DRAFT,
        status_changed_at=utcnow(),
        created_by_id=user.id,
    )
    session.add(application)
    session.flush()
    session.refresh(application)
    record_event(
        session,
        actor,
        "application:create",
        subject=application,
        payload={"product": product.id, "body": body.id, "scheme": version.code, "version": version.version},
    )
    return application


@dataclass
class FootprintData:
    declared_footprint: object
    stage_values: dict[str, object]
    period_start: date | None
    period_end: date | None
    primary_share_percent: object


def update_footprint(session: Session, actor: Actor, application: Application, data: FootprintData) -> None:
    """The declared total, its split over the scheme's stages, the data period and the primary-data share.

    Completeness (every required stage, the split adding up, the period's length) is checked at submission,
    so a draft can be saved half-done; what is entered must still make sense.
    """
    _require_holder(actor, application)
    _require_editable(application)
    allowed = application.spec.boundary.stages
    total = parse_amount(data.declared_footprint, "declared_footprint", allow_zero=False)
    values: dict[str, Decimal] = {}
    for stage, raw in data.stage_values.items():
        if stage not in allowed:
            raise ServiceError(_l("This stage is outside the scheme's system boundary."), field=f"stage_{stage}")
        if raw is None or str(raw).strip() == "":
            continue
        values[stage] = parse_amount(raw, f"stage_{stage}")
    if data.period_start and data.period_end and data.period_end <= data.period_start:
        raise ServiceError(_l("The period must end after it starts."), field="period_end")
    if data.period_end and data.period_end > utcnow().date():
        raise ServiceError(_l("The data period cannot end in the future."), field="period_end")
    share = parse_amount(data.primary_share_percent, "primary_share_percent")
    if share > 100:
        raise ServiceError(_l("A share is at most 100 %."), field="primary_share_percent")

    application.declared_footprint = total
    application.period_start = data.period_start
    application.period_end = data.period_end
    application.primary_share_percent = share
    application.stages.clear()
    session.flush()
    for position, stage in enumerate(allowed):
        if stage in values:
            application.stages.append(StageValue(stage=stage, position=position, value=values[stage]))
    session.flush()
    record_event(
        session, actor, "application:footprint:update", subject=application, organisation_id=application.applicant_id
    )


@dataclass
class LineData:
    stage: str
    description: str
    quantity: object
    quantity_unit: str
    factor_value: object
    factor_unit: str
    factor_source: str
    data_kind: str


def add_line(session: Session, actor: Actor, application: Application, data: LineData) -> ActivityLine:
    _require_holder(actor, application)
    _require_editable(application)
    if data.stage not in application.spec.boundary.stages:
        raise ServiceError(_l("Choose one of the scheme's life-cycle stages."), field="stage")
    if data.factor_unit not in set(FactorUnit):
        raise ServiceError(_l("Choose the factor's unit."), field="factor_unit")
    if data.data_kind not in set(DataKind):
        raise ServiceError(_l("Say whether the data is primary or secondary."), field="data_kind")
    texts = {"description": data.description, "quantity_unit": data.quantity_unit, "factor_source": data.factor_source}
    refuse_bidi_controls(**texts)
    for name, value in texts.items():
        if not (value or "").strip():
            raise ServiceError(_l("This field is required."), field=name)
    line = ActivityLine(
        application=application,
        stage=data.stage,
        description=data.description.strip(),
        quantity=parse_amount(data.quantity, "quantity"),
        quantity_unit=data.quantity_unit.strip(),
        factor_value=parse_amount(data.factor_value, "factor_value"),
        factor_unit=FactorUnit(data.factor_unit),
        factor_source=data.factor_source.strip(),
        data_kind=DataKind(data.data_kind),
    )
    session.add(line)
    session.flush()
    record_event(session, actor, "application:line:add", subject=application, organisation_id=application.applicant_id)
    return line


def remove_line(session: Session, actor: Actor, application: Application, line_id: int) -> None:
    _require_holder(actor, application)
    _require_editable(application)
    line = session.get(ActivityLine, line_id)
    if line is None or line.application_id != application.id:
        raise ServiceError(_l("That line is not part of this application."), status=404)
    application.lines.remove(line)
    session.flush()
    record_event(
        session, actor, "application:line:remove", subject=application, organisation_id=application.applicant_id
    )


def upload_document(
    session: Session,
    actor: Actor,
    application: Application,
    *,
    kind: str,
    stream: IO[bytes],
    name: str | None,
    folder: Path,
    max_bytes: int,
) -> Document:
    user = _require_holder(actor, application)
    _require_editable(application)
    if kind not in set(DocumentKind):
        raise ServiceError(_l("Choose what kind of document this is."), field="kind")
    stored = documents.store(session, stream, name=name, kind=DocumentKind(kind), folder=folder, max_bytes=max_bytes)
    document = Document(
        application_id=application.id,
        kind=DocumentKind(kind),
        original_name=stored.original_name,
        storage_name=stored.storage_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_by_id=user.id,
    )
    session.add(document)
    session.flush()
    session.refresh(application, ["documents"])
    record_event(
        session,
        actor,
        "application:document:upload",
        subject=application,
        organisation_id=application.applicant_id,
        payload={"document": document.id, "kind": kind, "sha256": stored.sha256, "bytes": stored.size_bytes},
    )
    return document


def submit_application(session: Session, actor: Actor, application: Application) -> None:
    evidence = sorted(d.sha256 for d in application.documents)
    transition(
        session,
        application,
        Action.SUBMIT,
        actor,
        details={"documents_sha256": evidence},
        changes={"submitted_at": application.submitted_at or utcnow()},
    )


def withdraw_application(session: Session, actor: Actor, application: Application, *, reason: str | None) -> None:
    transition(session, application, Action.WITHDRAW, actor, reason=reason)


@dataclass
class Upload:
    """One file sent with a form: its bytes and the name the sender gave it."""

    stream: IO[bytes]
    name: str | None


MAX_EVIDENCE_FILES = 5


def respond_to_finding(
    session: Session,
    actor: Actor,
    application: Application,
    finding: Finding,
    *,
    response: str,
    evidence: Sequence[Upload] = (),
    folder: Path | None = None,
    max_bytes: int = 0,
) -> None:
    """The applicant's answer to one finding, with evidence files (a supplier's EPD, a meter reading) kept as the
    file's other documents are: checked, stored privately, seen only by those who see the confidential file."""
    user = _require_holder(actor, application)
    if application.status is not ApplicationStatus.FINDINGS_OPEN or finding.round != application.findings_round:
        raise ServiceError(_l("This finding is not waiting for an answer."), status=409)
    if finding.closed_at is not None:
        raise ServiceError(_l("This finding is already closed."), status=409)
    refuse_bidi_controls(response=response)
    if not response.strip():
        raise ServiceError(
            _l("Write your answer: what you corrected, or why the finding does not apply."), field="response"
        )
    if len(evidence) > MAX_EVIDENCE_FILES:
        raise ServiceError(
            _l("Attach at most %(count)d files to one answer.", count=MAX_EVIDENCE_FILES), field="evidence"
        )
    if evidence and folder is None:
        raise ValueError("evidence needs the upload folder")
    stored = []
    for upload in evidence:
        assert folder is not None
        try:
            stored.append(
                documents.store(
                    session,
                    upload.stream,
                    name=upload.name,
                    kind=DocumentKind.EVIDENCE,
                    folder=folder,
                    max_bytes=max_bytes,
                )
            )
        except ServiceError as error:
            raise ServiceError(error.message, field="evidence", status=error.status) from error
    finding.response = response.strip()
    finding.responded_at = utcnow()
    for file in stored:
        session.add(
            Document(
                application_id=application.id,
                finding_id=finding.id,
                kind=DocumentKind.EVIDENCE,
                original_name=file.original_name,
                storage_name=file.storage_name,
                content_type=file.content_type,
                size_bytes=file.size_bytes,
                sha256=file.sha256,
                uploaded_by_id=user.id,
            )
        )
    session.flush()
    session.refresh(application, ["documents"])
    record_event(
        session,
        actor,
        "finding:respond",
        subject=finding,
        organisation_id=application.body_id,
        payload={"evidence_sha256": [file.sha256 for file in stored]} if stored else None,
    )


def answer_findings(session: Session, actor: Actor, application: Application) -> None:
    transition(session, application, Action.ANSWER_FINDINGS, actor, details={"round": application.findings_round})


def appeal_refusal(session: Session, actor: Actor, application: Application, *, grounds: str) -> None:
    transition(session, application, Action.APPEAL, actor, reason=grounds)
    assert actor.user is not None
    session.add(Appeal(application_id=application.id, grounds=grounds.strip(), lodged_by_id=actor.user.id))
    session.flush()


def list_applications(
    session: Session, user: User, *, statuses: tuple[ApplicationStatus, ...] | None = None
) -> list[Application]:
    """The applications this person works on, newest first: the applicant's own, the body's (a verifier's:
    those assigned to them), or every one for a regulator."""
    query = select(Application).order_by(Application.id.desc())
    if user.role is Role.APPLICANT:
        query = query.where(Application.applicant_id == user.organisation_id)
    elif user.role is Role.VERIFIER:
        assigned = select(Assignment.application_id).where(Assignment.verifier_id == user.id)
        query = query.where(Application.body_id == user.organisation_id, Application.id.in_(assigned))
    elif user.role in (Role.BODY_ADMIN, Role.DECISION_MAKER):
        # Drafts are the applicant's own business until first submitted.
        query = query.where(Application.body_id == user.organisation_id, Application.submitted_at.is_not(None))
    elif user.role is not Role.REGULATOR:
        return []
    if statuses:
        query = query.where(Application.status.in_(statuses))
    return list(session.scalars(query).unique())


def bodies(session: Session) -> list[Organisation]:
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.CERTIFICATION_BODY)
            .order_by(Organisation.name_zh)
        )
    )
