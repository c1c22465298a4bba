"""Shared by the spot-check tests: regulator staff to draw inspectors from, and labels issued through the
workflow."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.models import Role, User
from registry.accounts.services import create_user
from registry.applications.models import Application, ApplicationStatus
from registry.audit.services import Actor
from registry.demo.applications import Team, complete_draft, drive_to
from registry.demo.services import DEMO_PASSWORD
from registry.labels.models import Label
from registry.organisations.models import Organisation, OrganisationKind
from registry.products.models import Product


def person(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def add_staff(session: Session, organisation: Organisation, email: str, name: str, role: Role = Role.REGULATOR) -> User:
    return create_user(
        session, Actor.system(), email=email, name=name, password=DEMO_PASSWORD, role=role, organisation=organisation
    )


@pytest.fixture
def regulator(session: Session) -> User:
    return person(session, "regulator@example.com")


@pytest.fixture
def inspectors(session: Session, regulator: User) -> list[User]:
    """The demo regulator and two more of its staff: a pool of three."""
    organisation = session.get(Organisation, regulator.organisation_id)
    assert organisation is not None
    staff = [
        add_staff(session, organisation, "inspector.one@example.com", "Inspector One"),
        add_staff(session, organisation, "inspector.two@example.com", "Inspector Two"),
    ]
    session.commit()
    return [regulator, *staff]


@pytest.fixture
def other_regulator(session: Session) -> User:
    organisation = Organisation(kind=OrganisationKind.REGULATOR, name_zh="另一市场监管局（测试）", name_en="Other AMR")
    session.add(organisation)
    session.flush()
    user = add_staff(session, organisation, "other.regulator@example.com", "Other Regulator")
    session.commit()
    return user


def application_for(session: Session, team: Team, model: str, folder: Path, footprint: str = "62.4") -> Application:
    body = session.scalar(select(Organisation).where(Organisation.body_code == "HTDEMO"))
    product = session.scalar(select(Product).where(Product.model == model))
    assert body is not None and product is not None
    split = (str(round(float(footprint) * 0.6, 1)), str(round(float(footprint) - round(float(footprint) * 0.6, 1), 1)))
    return complete_draft(session, team, product, body, folder=folder, footprint=footprint, split=split)


def granted_label(session: Session, team: Team, model: str, folder: Path) -> Label:
    application = drive_to(session, team, application_for(session, team, model, folder), ApplicationStatus.GRANTED)
    label = session.scalar(select(Label).where(Label.application_id == application.id))
    assert label is not None
    return label
