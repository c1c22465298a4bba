"""Organisations: enterprises that apply for labels, certification bodies, regulators and platforms."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import Base, StrEnumType, UTCDateTime, created_at, enum_check, intpk
from registry.enums import LabelledEnum, labels_for


class OrganisationKind(LabelledEnum):
    ENTERPRISE = "enterprise"
    CERTIFICATION_BODY = "certification_body"
    REGULATOR = "regulator"
    PLATFORM = "platform"


KIND_LABELS = labels_for(
    OrganisationKind,
    {
        OrganisationKind.ENTERPRISE: _l("Enterprise"),
        OrganisationKind.CERTIFICATION_BODY: _l("Certification body"),
        OrganisationKind.REGULATOR: _l("Regulator"),
        OrganisationKind.PLATFORM: _l("E-commerce platform"),
    },
)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(enum_check("kind", OrganisationKind), name="kind_known"),
        # Enterprises are identified by their unified social credit code and located by it.
        CheckConstraint(
            "kind <> 'enterprise' OR (uscc IS NOT NULL AND division_code IS NOT NULL)",
            name="enterprise_has_uscc",
        ),
        CheckConstraint(
            "kind <> 'certification_body' OR (accreditation_number IS NOT NULL AND body_code IS NOT NULL)",
            name="body_has_accreditation",
        ),
        CheckConstraint("kind = 'certification_body' OR body_code IS NULL", name="body_code_only_for_bodies"),
        CheckConstraint("uscc IS NULL OR length(uscc) = 18", name="uscc_length"),
        # Users point at (id, kind) so that a role can be tied to the kind of organisation it belongs to.
        UniqueConstraint("id", "kind"),
    )

    id: Mapped[intpk]
    kind: Mapped[OrganisationKind] = mapped_column(StrEnumType(OrganisationKind))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    # Positions 3-8 of the USCC (GB/T 2260); the province is its first two digits.
    division_code: Mapped[str | None] = mapped_column(String(6), index=True)
    accreditation_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Short code used in certificate numbers: CFP-{body_code}-{year}-{sequence}.
    body_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    @property
    def province_code(self) -> str | None:
        return self.division_code[:2] + "0000" if self.division_code else None

    @property
    def region(self) -> tuple[str, str] | None:
        """The province-level region as (Chinese name, English name), from the USCC's division code."""
        from registry.organisations.uscc import PROVINCES

        if not self.division_code:
            return None
        return PROVINCES.get(self.division_code[:2])

    def display_name(self, locale: str) -> str:
        if locale.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name_zh!r}>"


class BarredOrganisation(Base):
    """An entry of the dishonest-entity list (严重失信主体名单): an organisation barred from certification for a period.

    The regulators keep the list (registry.supervision: listing with the reason, the decision document's number and,
    optionally, the document itself; removal on credit repair, 信用修复, with its reason); the certification workflow
    reads it (``applications.checks.is_barred``): a listed enterprise cannot submit an application and a body cannot
    accept one from it. The list is public (``/dishonest``). A removal closes the entry rather than deleting it; each
    listing and removal is also in the append-only ``supervision.models.DishonestListEvent``.
    """

    __tablename__ = "barred_organisations"
    __table_args__ = (
        CheckConstraint("barred_until IS NULL OR barred_until > barred_from", name="period_order"),
        CheckConstraint("(removed_at IS NULL) = (removal_reason IS NULL)", name="removal_has_reason"),
        CheckConstraint("(document_storage IS NULL) = (document_sha256 IS NULL)", name="document_has_hash"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    reason: Mapped[str] = mapped_column(Text())
    # Who listed it: the regulator's name (older entries: where the listing came from, e.g. Credit China).
    source: Mapped[str] = mapped_column(String(200))
    barred_from: Mapped[datetime] = mapped_column(UTCDateTime())
    barred_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[created_at]
    # The decision document (决定书): its number, public; the PDF, if uploaded, kept like the applications' documents.
    decision_number: Mapped[str | None] = mapped_column(String(100))
    document_storage: Mapped[str | None] = mapped_column(String(32))
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    listed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Credit repair (信用修复): when, why and by whom the entry was removed.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removal_reason: Mapped[str | None] = mapped_column(Text())
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def in_force(self, now: datetime) -> bool:
        """Barring now: not removed, begun, and not ended."""
        return (
            self.removed_at is None
            and self.barred_from <= now
            and (self.barred_until is None or self.barred_until > now)
        )
