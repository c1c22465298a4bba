from __future__ import annotations

from sqlalchemy import func, select

from registry.accounts.models import Role, User
from registry.demo.services import USERS, load_demo_data
from registry.organisations.models import Organisation
from registry.organisations.uscc import parse_uscc


def test_loading_the_demo_data_again_changes_nothing(session):
    before = session.scalar(select(func.count()).select_from(User))
    assert load_demo_data(session) == 0
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_there_is_a_demo_account_for_every_role(session):
    roles = set(session.scalars(select(User.role).where(User.is_demo.is_(True))))
    assert roles == set(Role)
    assert len(USERS) == session.scalar(select(func.count()).select_from(User).where(User.is_demo.is_(True)))


def test_demo_organisations_are_marked_and_their_codes_are_valid(session):
    for organisation in session.scalars(select(Organisation).where(Organisation.is_demo.is_(True))):
        assert "演示" in organisation.name_zh and "(demo)" in organisation.name_en
        if organisation.uscc:
            assert parse_uscc(organisation.uscc).organisation_code_valid


def test_setup_command_is_idempotent(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "already loaded, nothing changed" in result.output


def test_demo_load_is_refused_outside_demo_mode(database_url, session_factory):
    from registry.database import db
    from tests.conftest import make_test_app

    app = make_test_app(database_url, DEMO_MODE=False)
    db.bind_sessions(app, session_factory)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1 and "refused" in result.output


def test_logins_command_prints_every_demo_account(runner):
    result = runner.invoke(args=["demo", "logins"])
    assert result.exit_code == 0, result.output
    assert "demo-password-2026" in result.output
    for email, _name, role, _key in USERS:
        assert email in result.output and role.value in result.output
