"""People who sign in, their roles, and invitations to join an organisation's staff."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.database import Base, StrEnumType, UTCDateTime, created_at, enum_check, intpk
from registry.enums import LabelledEnum, labels_for
from registry.organisations.models import Organisation, OrganisationKind


class Role(LabelledEnum):
    APPLICANT = "applicant"
    BODY_ADMIN = "body_admin"
    VERIFIER = "verifier"
    DECISION_MAKER = "decision_maker"
    REGULATOR = "regulator"
    SITE_ADMIN = "site_admin"

    @property
    def organisation_kind(self) -> OrganisationKind | None:
        return ROLE_ORGANISATION_KIND[self]


ROLE_LABELS = labels_for(
    Role,
    {
        Role.APPLICANT: _l("Applicant"),
        Role.BODY_ADMIN: _l("Certification body administrator"),
        Role.VERIFIER: _l("Verifier"),
        Role.DECISION_MAKER: _l("Decision maker"),
        Role.REGULATOR: _l("Regulator"),
        Role.SITE_ADMIN: _l("Site administrator"),
    },
)

# The kind of organisation each role belongs to; the site administrator belongs to none.
ROLE_ORGANISATION_KIND: dict[Role, OrganisationKind | None] = {
    Role.APPLICANT: OrganisationKind.ENTERPRISE,
    Role.BODY_ADMIN: OrganisationKind.CERTIFICATION_BODY,
    Role.VERIFIER: OrganisationKind.CERTIFICATION_BODY,
    Role.DECISION_MAKER: OrganisationKind.CERTIFICATION_BODY,
    Role.REGULATOR: OrganisationKind.REGULATOR,
    Role.SITE_ADMIN: None,
}

# Roles a certification body's administrator may invite to the body's staff.
BODY_STAFF_ROLES = (Role.BODY_ADMIN, Role.VERIFIER, Role.DECISION_MAKER)


def _role_matches_kind() -> str:
    clauses = []
    for role, kind in ROLE_ORGANISATION_KIND.items():
        if kind is None:
            clauses.append(f"(role = '{role}' AND organisation_id IS NULL)")
        else:
            clauses.append(f"(role = '{role}' AND organisation_kind = '{kind}')")
    return " OR ".join(clauses)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(enum_check("role", Role), name="role_known"),
        CheckConstraint(_role_matches_kind(), name="role_matches_organisation"),
        CheckConstraint("(organisation_id IS NULL) = (organisation_kind IS NULL)", name="organisation_pair"),
        ForeignKeyConstraint(
            ["organisation_id", "organisation_kind"],
            ["organisations.id", "organisations.kind"],
            name="fk_users_organisation_kind",
        ),
    )

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    organisation_id: Mapped[int | None] = mapped_column(index=True)
    organisation_kind: Mapped[OrganisationKind | None] = mapped_column(StrEnumType(OrganisationKind))
    # Changing it signs the user out everywhere: it is part of the session's user id.
    session_token: Mapped[str] = mapped_column(String(64))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[organisation_id],
        primaryjoin="User.organisation_id == Organisation.id",
        viewonly=True,
        lazy="joined",
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:  # Flask-Login: an alternative id, so that a password change ends old sessions
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class Invitation(Base):
    """An administrator's invitation to join the organisation's staff in a given role.

    Only a hash of the token is stored; the link is shown once to the inviting administrator.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "role IN ('body_admin', 'verifier', 'decision_maker', 'applicant', 'regulator')",
            name="role_invitable",
        ),
    )

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    invited_by: Mapped[User] = relationship(lazy="joined")


class Registration(Base):
    """An enterprise's registration, waiting for the person to confirm their e-mail address.

    Nothing else is created until the link sent to the address is opened, so the registration form can answer
    the same whether or not the address already has an account (it does not tell strangers who has one). Only a
    hash of the link's token is stored.
    """

    __tablename__ = "registrations"

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_name_zh: Mapped[str] = mapped_column(String(200))
    organisation_name_en: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
