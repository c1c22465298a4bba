"""The application itself, bound to one scheme version for life, and the footprint data it declares: the value
of each life-cycle stage and the inventory's activity lines."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import (
    MICRO,
    Base,
    MicroDecimal,
    StrEnumType,
    UTCDateTime,
    created_at,
    enum_check,
    in_check,
    intpk,
)
from registry.enums import LabelledEnum, labels_for
from registry.organisations.models import Organisation, OrganisationKind
from registry.products.models import Product
from registry.schemes.definition import STAGES, SchemeDefinition
from registry.schemes.models import SchemeVersion

if TYPE_CHECKING:
    from registry.applications.models.documents import Document
    from registry.applications.models.transitions import TransitionRecord
    from registry.labels.models import Label


class ApplicationStatus(LabelledEnum):
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
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


STATUS_LABELS = labels_for(
    ApplicationStatus,
    {
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
    },
)


FINAL_STATUSES = frozenset(
    {
        ApplicationStatus.REJECTED,
        ApplicationStatus.GRANTED,
        ApplicationStatus.REFUSED_FINAL,
        ApplicationStatus.WITHDRAWN,
    }
)
# Statuses whose file holds complete footprint data (everything after a first submission).
_UNSUBMITTED = ("draft", "withdrawn")


class ApplicationKind(LabelledEnum):
    """Why the file was opened: a first certification, the renewal of a label before it expires, or a change the
    holder reports (product, factory, footprint). A renewal or change names the label it would replace; granted,
    it supersedes that label (registry.labels.lifecycle.supersede_earlier)."""

    CERTIFICATION = "certification"
    RENEWAL = "renewal"
    CHANGE = "change"


APPLICATION_KIND_LABELS = labels_for(
    ApplicationKind,
    {
        ApplicationKind.CERTIFICATION: _l("Certification"),
        ApplicationKind.RENEWAL: _l("Renewal"),
        ApplicationKind.CHANGE: _l("Change"),
    },
)


class ChangeKind(LabelledEnum):
    """What a change report says changed."""

    PRODUCT = "product"
    FACTORY = "factory"
    FOOTPRINT = "footprint"


CHANGE_KIND_LABELS = labels_for(
    ChangeKind,
    {
        ChangeKind.PRODUCT: _l("The product (design, materials, components)"),
        ChangeKind.FACTORY: _l("The factory or production site"),
        ChangeKind.FOOTPRINT: _l("The footprint (data, suppliers, energy)"),
    },
)


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
            f"{in_check('status', _UNSUBMITTED)} OR (declared_footprint IS NOT NULL AND period_start IS NOT NULL "
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
        CheckConstraint(enum_check("kind", ApplicationKind), name="kind_known"),
        # A renewal or a change names the label it would replace; a first certification names none.
        CheckConstraint("(kind = 'certification') = (previous_label_id IS NULL)", name="previous_label_of_kind"),
        CheckConstraint(
            f"(kind = 'change') = (change_kind IS NOT NULL) AND (change_kind IS NULL OR {enum_check('change_kind', ChangeKind)})",
            name="change_kind_of_change",
        ),
    )

    id: Mapped[intpk]
    applicant_id: Mapped[int] = mapped_column(index=True)
    applicant_kind: Mapped[OrganisationKind] = mapped_column(
        StrEnumType(OrganisationKind), default=OrganisationKind.ENTERPRISE
    )
    body_id: Mapped[int] = mapped_column(index=True)
    body_kind: Mapped[OrganisationKind] = mapped_column(
        StrEnumType(OrganisationKind), default=OrganisationKind.CERTIFICATION_BODY
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_versions.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        StrEnumType(ApplicationStatus), default=ApplicationStatus.DRAFT, index=True
    )
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    declared_footprint: Mapped[Decimal | None] = mapped_column(MicroDecimal())
    period_start: Mapped[date | None] = mapped_column(Date())
    period_end: Mapped[date | None] = mapped_column(Date())
    primary_share_percent: Mapped[Decimal | None] = mapped_column(MicroDecimal())
    findings_round: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kind: Mapped[ApplicationKind] = mapped_column(
        StrEnumType(ApplicationKind, length=16), default=ApplicationKind.CERTIFICATION, server_default="certification"
    )
    # The label a renewal or change would replace (labels point at applications too, hence use_alter).
    previous_label_id: Mapped[int | None] = mapped_column(
        ForeignKey("labels.id", use_alter=True, name="fk_applications_previous_label_id_labels"), index=True
    )
    change_kind: Mapped[ChangeKind | None] = mapped_column(StrEnumType(ChangeKind, length=16))
    change_description: Mapped[str | None] = mapped_column(Text())

    applicant: Mapped[Organisation] = relationship(
        foreign_keys=[applicant_id],
        primaryjoin="Application.applicant_id == Organisation.id",
        viewonly=True,
        lazy="joined",
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
    previous_label: Mapped[Label | None] = relationship(foreign_keys=[previous_label_id], viewonly=True)

    @property
    def reference(self) -> str:
        return f"APP-{self.id:06d}"

    @property
    def stage_values(self) -> dict[str, Decimal]:
        return {stage.stage: stage.value for stage in self.stages}

    @property
    def spec(self) -> SchemeDefinition:
        """The rules of the scheme version the application is bound to, typed."""
        return self.scheme_version.spec

    @property
    def definition(self) -> dict[str, Any]:
        """The scheme version's stored document, untyped; the code reads ``spec``."""
        return self.scheme_version.definition


class StageValue(Base):
    """The declared footprint's share for one life-cycle stage (kg CO2e per declared unit)."""

    __tablename__ = "application_stages"
    __table_args__ = (
        CheckConstraint(in_check("stage", STAGES), name="stage_known"),
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
        CheckConstraint(in_check("stage", STAGES), name="stage_known"),
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
