"""Who takes part in a file, and in which capacity: the participants, the verifiers' assignments with their
conflict-of-interest declarations, and the standing declarations of relationships with organisations.

``application_participants`` has one row per person and file, unique per (application, user): assignments,
recommendations and decisions reference it through composite foreign keys, so the database itself keeps
anyone from deciding a file they evaluated, or an appeal against their own decision.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import User
from registry.database import Base, StrEnumType, UTCDateTime, created_at, enum_check, in_check, intpk
from registry.enums import LabelledEnum, labels_for
from registry.organisations.models import Organisation


class Capacity(enum.StrEnum):
    """The capacity in which someone acts on a file: the workflow's table names one for each action, and the
    participants table holds the last three (``PARTICIPANT_CAPACITIES``), one per person and file."""

    APPLICANT = "applicant"  # a person of the applicant enterprise
    BODY_ADMIN = "body_admin"  # an administrator of the certification body applied to
    VERIFIER = "verifier"  # an assigned verifier who declared no conflict
    DECIDER = "decider"  # a decision maker of the body who took no other part in the file
    APPEAL_DECIDER = "appeal_decider"  # the same, and not the first decider either


# The capacities a person holds in a file as a participant (the only values application_participants accepts).
PARTICIPANT_CAPACITIES = (Capacity.VERIFIER, Capacity.DECIDER, Capacity.APPEAL_DECIDER)


class Declaration(enum.StrEnum):
    NO_CONFLICT = "no_conflict"
    CONFLICT = "conflict"


class Relation(LabelledEnum):
    EMPLOYMENT = "employment"
    CONSULTANCY = "consultancy"
    SHAREHOLDING = "shareholding"
    FAMILY = "family"
    OTHER = "other"


RELATION_LABELS = labels_for(
    Relation,
    {
        Relation.EMPLOYMENT: _l("Employed by it (now or in the last two years)"),
        Relation.CONSULTANCY: _l("Consultancy or footprint study work for it"),
        Relation.SHAREHOLDING: _l("Shares or other financial interest"),
        Relation.FAMILY: _l("Close family member works there"),
        Relation.OTHER: _l("Other relationship"),
    },
)


class Participant(Base):
    """One person's capacity in one file; unique per (application, user), so no one holds two."""

    __tablename__ = "application_participants"
    __table_args__ = (
        CheckConstraint(
            in_check("capacity", (capacity.value for capacity in PARTICIPANT_CAPACITIES)), name="capacity_known"
        ),
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
        CheckConstraint(
            "declaration IS NULL OR declaration <> 'conflict' OR conflict_details IS NOT NULL",
            name="conflict_explained",
        ),
        ForeignKeyConstraint(
            ["application_id", "verifier_id", "capacity"],
            [
                "application_participants.application_id",
                "application_participants.user_id",
                "application_participants.capacity",
            ],
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
