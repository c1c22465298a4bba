"""Applications for a label and everything the certification of one produces.

An application is bound to one scheme version for life. Its confidential file (stage values, activity data,
documents, findings) is seen only by the applicant, the certification body's assigned people and regulators.

Who took part in a file is one table, ``application_participants``, with one row per person and file: a
verifier, the decider and the appeal decider each hold a capacity there, and the unique (application, user)
pair is the database's own guarantee that nobody decides a file they evaluated, or an appeal against their
own decision.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import MICRO, Base, MicroDecimal, StrEnumType, UTCDateTime, created_at, enum_check, intpk
from registry.organisations.models import Organisation, OrganisationKind
from registry.products.models import Product
from registry.schemes.models import SchemeVersion
from registry.schemes.schemas import MODES, STAGES


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    EVALUATION_PLANNED = "evaluation_planned"
    UNDER_EVALUATION = "under_evaluation"
    FINDINGS_OPEN = "findings_open"
    RECOMMENDED = "recommended"
    GRANTED = "granted"
    REFUSED = "refused"
    APPEALED = "appealed"
    REFUSED_FINAL = "refused_final"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


STATUS_LABELS = {
    ApplicationStatus.DRAFT: _l("Draft"),
    ApplicationStatus.SUBMITTED: _l("Submitted"),
    ApplicationStatus.RETURNED: _l("Returned to applicant"),
    ApplicationStatus.REJECTED: _l("Rejected"),
    ApplicationStatus.ACCEPTED: _l("Accepted"),
    ApplicationStatus.EVALUATION_PLANNED: _l("Evaluation planned"),
    ApplicationStatus.UNDER_EVALUATION: _l("Under evaluation"),
    ApplicationStatus.FINDINGS_OPEN: _l("Findings open"),
    ApplicationStatus.RECOMMENDED: _l("Recommended"),
    ApplicationStatus.GRANTED: _l("Granted"),
    ApplicationStatus.REFUSED: _l("Refused"),
    ApplicationStatus.APPEALED: _l("Appealed"),
    ApplicationStatus.REFUSED_FINAL: _l("Refused (final)"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
}

FINAL_STATUSES = frozenset(
    {ApplicationStatus.REJECTED, ApplicationStatus.GRANTED, ApplicationStatus.REFUSED_FINAL, ApplicationStatus.WITHDRAWN}
)
# Statuses whose file holds complete footprint data (everything after a first submission).
_UNSUBMITTED = ("draft", "withdrawn")


class DocumentKind(enum.StrEnum):
    STUDY_REPORT = "study_report"
    INVENTORY = "inventory"
    EVIDENCE = "evidence"

    @property
    def label(self) -> str:
        return str(DOCUMENT_KIND_LABELS[self])


DOCUMENT_KIND_LABELS = {
    DocumentKind.STUDY_REPORT: _l("Footprint study report"),
    DocumentKind.INVENTORY: _l("Inventory workbook"),
    DocumentKind.EVIDENCE: _l("Evidence"),
}


class DataKind(enum.StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


class FactorUnit(enum.StrEnum):
    """The mass of CO2e an emission factor gives per one unit of the activity's quantity."""

    G = "g"
    KG = "kg"
    T = "t"

    @property
    def kilograms(self) -> Decimal:
        return {"g": Decimal("0.001"), "kg": Decimal(1), "t": Decimal(1000)}[self.value]


class Capacity(enum.StrEnum):
    VERIFIER = "verifier"
    DECIDER = "decider"
    APPEAL_DECIDER = "appeal_decider"


class Declaration(enum.StrEnum):
    NO_CONFLICT = "no_conflict"
    CONFLICT = "conflict"


class Relation(enum.StrEnum):
    EMPLOYMENT = "employment"
    CONSULTANCY = "consultancy"
    SHAREHOLDING = "shareholding"
    FAMILY = "family"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(RELATION_LABELS[self])


RELATION_LABELS = {
    Relation.EMPLOYMENT: _l("Employed by it (now or in the last two years)"),
    Relation.CONSULTANCY: _l("Consultancy or footprint study work for it"),
    Relation.SHAREHOLDING: _l("Shares or other financial interest"),
    Relation.FAMILY: _l("Close family member works there"),
    Relation.OTHER: _l("Other relationship"),
}


class Severity(enum.StrEnum):
    MAJOR = "major"
    MINOR = "minor"
    OBSERVATION = "observation"

    @property
    def label(self) -> str:
        return str(SEVERITY_LABELS[self])


SEVERITY_LABELS = {
    Severity.MAJOR: _l("Major non-conformity"),
    Severity.MINOR: _l("Minor non-conformity"),
    Severity.OBSERVATION: _l("Observation"),
}


class Assurance(enum.StrEnum):
    REASONABLE = "reasonable"
    LIMITED = "limited"


class Opinion(enum.StrEnum):
    UNMODIFIED = "unmodified"
    MODIFIED = "modified"
    ADVERSE = "adverse"


class Outcome(enum.StrEnum):
    GRANT = "grant"
    REFUSE = "refuse"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(enum_check("status", ApplicationStatus), name="status_known"),
        CheckConstraint("applicant_kind = 'enterprise'", name="applicant_is_enterprise"),
        CheckConstraint("body_kind = 'certification_body'", name="body_is_certification_body"),
        ForeignKeyConstraint(["applicant_id", "applicant_kind"], ["organisations.id", "organisations.kind"]),
        ForeignKeyConstraint(["body_id", "body_kind"], ["organisations.id", "organisations.kind"]),
        # Once submitted, the file holds every number the certification is about.
        CheckConstraint(
            f"{_in('status', _UNSUBMITTED)} OR (declared_footprint IS NOT NULL AND period_start IS NOT NULL "
            "AND period_end IS NOT NULL AND primary_share_percent IS NOT NULL AND submitted_at IS NOT NULL)",
            name="submitted_file_complete",
        ),
        CheckConstraint("declared_footprint IS NULL OR declared_footprint > 0", name="footprint_positive"),
        CheckConstraint(
            f"primary_share_percent IS NULL OR (primary_share_percent >= 0 AND primary_share_percent <= {100 * MICRO})",
            name="primary_share_is_percent",
        ),
        CheckConstraint("period_end IS NULL OR period_start IS NULL OR period_end > period_start", name="period_order"),
        CheckConstraint("findings_round >= 0", name="findings_round_not_negative"),
        # The label's foreign key points here, so that only a granted application can hold a label.
        UniqueConstraint("id", "status"),
    )

    id: Mapped[intpk]
    applicant_id: Mapped[int] = mapped_column(index=True)
    applicant_kind: Mapped[OrganisationKind] = mapped_column(StrEnumType(OrganisationKind), default=OrganisationKind.ENTERPRISE)
    body_id: Mapped[int] = mapped_column(index=True)
    body_kind: Mapped[OrganisationKind] = mapped_column(
        StrEnumType(OrganisationKind), default=OrganisationKind.CERTIFICATION_BODY
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(StrEnumType(ApplicationStatus), default=ApplicationStatus.DRAFT, index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    declared_footprint: Mapped[Decimal | None] = mapped_column(MicroDecimal())
    period_start: Mapped[date | None] = mapped_column(Date())
    period_end: Mapped[date | None] = mapped_column(Date())
    primary_share_percent: Mapped[Decimal | None] = mapped_column(MicroDecimal())
    findings_round: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    applicant: Mapped[Organisation] = relationship(
        foreign_keys=[applicant_id], primaryjoin="Application.applicant_id == Organisation.id", viewonly=True, lazy="joined"
    )
    body: Mapped[Organisation] = relationship(
        foreign_keys=[body_id], primaryjoin="Application.body_id == Organisation.id", viewonly=True, lazy="joined"
    )
    product: Mapped[Product] = relationship(lazy="joined")
    scheme_version: Mapped[SchemeVersion] = relationship(lazy="joined")
    stages: Mapped[list[StageValue]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="StageValue.position"
    )
    lines: Mapped[list[ActivityLine]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ActivityLine.id"
    )
    documents: Mapped[list[Document]] = relationship(back_populates="application", order_by="Document.id")
    history: Mapped[list[TransitionRecord]] = relationship(order_by="TransitionRecord.id", viewonly=True)

    @property
    def reference(self) -> str:
        return f"APP-{self.id:06d}"

    @property
    def stage_values(self) -> dict[str, Decimal]:
        return {stage.stage: stage.value for stage in self.stages}

    @property
    def definition(self) -> dict[str, Any]:
        return self.scheme_version.definition


class StageValue(Base):
    """The declared footprint's share for one life-cycle stage (kg CO2e per declared unit)."""

    __tablename__ = "application_stages"
    __table_args__ = (
        CheckConstraint(_in("stage", STAGES), name="stage_known"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(MicroDecimal())

    application: Mapped[Application] = relationship(back_populates="stages")


class ActivityLine(Base):
    """One line of the inventory, per declared unit: quantity × emission factor = kg CO2e."""

    __tablename__ = "activity_lines"
    __table_args__ = (
        CheckConstraint(_in("stage", STAGES), name="stage_known"),
        CheckConstraint(enum_check("data_kind", DataKind), name="data_kind_known"),
        CheckConstraint(enum_check("factor_unit", FactorUnit), name="factor_unit_known"),
        CheckConstraint("quantity >= 0 AND factor_value >= 0", name="values_not_negative"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(MicroDecimal())
    quantity_unit: Mapped[str] = mapped_column(String(40))
    factor_value: Mapped[Decimal] = mapped_column(MicroDecimal())
    factor_unit: Mapped[FactorUnit] = mapped_column(StrEnumType(FactorUnit, length=4))
    factor_source: Mapped[str] = mapped_column(String(300))
    data_kind: Mapped[DataKind] = mapped_column(StrEnumType(DataKind, length=16))

    application: Mapped[Application] = relationship(back_populates="lines")

    @property
    def emissions_kg(self) -> Decimal:
        return self.quantity * self.factor_value * self.factor_unit.kilograms

    @property
    def factor_unit_text(self) -> str:
        return f"{self.factor_unit.value} CO2e/{self.quantity_unit}"


class Document(Base):
    """An uploaded file. The bytes live outside ``static/`` under ``storage_name``; never under the name given."""

    __tablename__ = "application_documents"
    __table_args__ = (
        CheckConstraint(enum_check("kind", DocumentKind), name="kind_known"),
        CheckConstraint("size_bytes > 0", name="not_empty"),
        CheckConstraint("length(sha256) = 64", name="hash_length"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(StrEnumType(DocumentKind, length=20))
    original_name: Mapped[str] = mapped_column(String(200))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[created_at]

    application: Mapped[Application] = relationship(back_populates="documents")


class TransitionRecord(Base):
    """Every status change: who (person and role), when, from, to, why, with the evidence's hashes."""

    __tablename__ = "application_transitions"
    __table_args__ = (
        CheckConstraint(enum_check("from_status", ApplicationStatus), name="from_known"),
        CheckConstraint(enum_check("to_status", ApplicationStatus), name="to_known"),
        CheckConstraint("from_status <> to_status", name="changes_status"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[ApplicationStatus] = mapped_column(StrEnumType(ApplicationStatus))
    to_status: Mapped[ApplicationStatus] = mapped_column(StrEnumType(ApplicationStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text())
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[created_at]

    actor: Mapped[User | None] = relationship(lazy="joined")


class Participant(Base):
    """One person's capacity in one file; unique per (application, user), so no one holds two."""

    __tablename__ = "application_participants"
    __table_args__ = (
        CheckConstraint(enum_check("capacity", Capacity), name="capacity_known"),
        UniqueConstraint("application_id", "user_id"),
        UniqueConstraint("application_id", "user_id", "capacity"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    capacity: Mapped[Capacity] = mapped_column(StrEnumType(Capacity, length=20))
    created_at: Mapped[created_at]

    user: Mapped[User] = relationship(lazy="joined")


class Assignment(Base):
    """A verifier assigned to a file, and their conflict-of-interest declaration for it."""

    __tablename__ = "verifier_assignments"
    __table_args__ = (
        CheckConstraint("capacity = 'verifier'", name="capacity_is_verifier"),
        CheckConstraint(f"declaration IS NULL OR {enum_check('declaration', Declaration)}", name="declaration_known"),
        CheckConstraint("(declaration IS NULL) = (declared_at IS NULL)", name="declaration_dated"),
        CheckConstraint("declaration IS NULL OR declaration <> 'conflict' OR conflict_details IS NOT NULL", name="conflict_explained"),
        ForeignKeyConstraint(
            ["application_id", "verifier_id", "capacity"],
            ["application_participants.application_id", "application_participants.user_id", "application_participants.capacity"],
        ),
        UniqueConstraint("application_id", "verifier_id"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    capacity: Mapped[Capacity] = mapped_column(StrEnumType(Capacity, length=20), default=Capacity.VERIFIER)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[created_at]
    declaration: Mapped[Declaration | None] = mapped_column(StrEnumType(Declaration, length=16))
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conflict_details: Mapped[str | None] = mapped_column(Text())

    verifier: Mapped[User] = relationship(foreign_keys=[verifier_id], lazy="joined")

    @property
    def cleared(self) -> bool:
        return self.declaration is Declaration.NO_CONFLICT


class DeclaredRelation(Base):
    """A standing declaration by a body's staff member of a relationship with an organisation; a verifier
    related to the applicant cannot be assigned to its files."""

    __tablename__ = "declared_relations"
    __table_args__ = (
        CheckConstraint(enum_check("relation", Relation), name="relation_known"),
        UniqueConstraint("user_id", "organisation_id", "relation"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    relation: Mapped[Relation] = mapped_column(StrEnumType(Relation, length=20))
    details: Mapped[str | None] = mapped_column(Text())
    declared_at: Mapped[created_at]

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ChecklistItem(Base):
    """One evaluation activity the scheme's certification mode calls for."""

    __tablename__ = "evaluation_checklist"
    __table_args__ = (
        CheckConstraint(_in("mode", MODES), name="mode_known"),
        CheckConstraint("(completed_at IS NULL) = (completed_by_id IS NULL)", name="completion_signed"),
        CheckConstraint(
            "mode <> 'site_inspection' OR completed_at IS NULL OR (site_date IS NOT NULL AND site_place IS NOT NULL)",
            name="site_inspection_dated_and_placed",
        ),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text())
    site_date: Mapped[date | None] = mapped_column(Date())
    site_place: Mapped[str | None] = mapped_column(String(300))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Finding(Base):
    """A non-conformity or observation, raised in a round, answered by the applicant, closed by a verifier."""

    __tablename__ = "findings"
    __table_args__ = (
        CheckConstraint(enum_check("severity", Severity), name="severity_known"),
        CheckConstraint("round >= 1", name="round_positive"),
        CheckConstraint("(responded_at IS NULL) = (response IS NULL)", name="response_dated"),
        CheckConstraint("(closed_at IS NULL) = (closed_by_id IS NULL)", name="closure_signed"),
        CheckConstraint(
            "closed_at IS NULL OR severity = 'observation' OR response IS NOT NULL", name="closed_after_response"
        ),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    severity: Mapped[Severity] = mapped_column(StrEnumType(Severity, length=16))
    description: Mapped[str] = mapped_column(Text())
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[created_at]
    response: Mapped[str | None] = mapped_column(Text())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closure_note: Mapped[str | None] = mapped_column(Text())

    @property
    def blocks_recommendation(self) -> bool:
        return self.closed_at is None and self.severity is not Severity.OBSERVATION


class Statement(Base):
    """The verification statement; its summary, body, assurance level and opinion become public with the label."""

    __tablename__ = "verification_statements"
    __table_args__ = (
        CheckConstraint(enum_check("assurance", Assurance), name="assurance_known"),
        CheckConstraint(enum_check("opinion", Opinion), name="opinion_known"),
        CheckConstraint(f"materiality_percent > 0 AND materiality_percent <= {100 * MICRO}", name="materiality_is_percent"),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    assurance: Mapped[Assurance] = mapped_column(StrEnumType(Assurance, length=16))
    opinion: Mapped[Opinion] = mapped_column(StrEnumType(Opinion, length=16))
    materiality_percent: Mapped[Decimal] = mapped_column(MicroDecimal())
    summary: Mapped[str] = mapped_column(Text())
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    signed_by: Mapped[User] = relationship(lazy="joined")


class Recommendation(Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", Outcome), name="outcome_known"),
        CheckConstraint("capacity = 'verifier'", name="capacity_is_verifier"),
        ForeignKeyConstraint(
            ["application_id", "recommended_by_id", "capacity"],
            ["application_participants.application_id", "application_participants.user_id", "application_participants.capacity"],
        ),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome, length=16))
    reasons: Mapped[str] = mapped_column(Text())
    recommended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    capacity: Mapped[Capacity] = mapped_column(StrEnumType(Capacity, length=20), default=Capacity.VERIFIER)
    recommended_at: Mapped[created_at]

    recommended_by: Mapped[User] = relationship(lazy="joined")


class Decision(Base):
    """A decision on the file (capacity ``decider``) or on the appeal (``appeal_decider``), by a participant
    in that capacity: the composite foreign key and the participants' uniqueness keep evaluators out."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(enum_check("outcome", Outcome), name="outcome_known"),
        CheckConstraint("capacity IN ('decider', 'appeal_decider')", name="capacity_decides"),
        ForeignKeyConstraint(
            ["application_id", "decided_by_id", "capacity"],
            ["application_participants.application_id", "application_participants.user_id", "application_participants.capacity"],
        ),
        UniqueConstraint("application_id", "capacity"),
    )

    id: Mapped[intpk]
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    capacity: Mapped[Capacity] = mapped_column(StrEnumType(Capacity, length=20))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome, length=16))
    reasons: Mapped[str] = mapped_column(Text())
    decided_at: Mapped[created_at]

    decided_by: Mapped[User] = relationship(lazy="joined")


class Appeal(Base):
    __tablename__ = "appeals"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    grounds: Mapped[str] = mapped_column(Text())
    lodged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lodged_at: Mapped[created_at]
