"""Alembic, driven from the app's configuration (``flask db upgrade``, tests, ``flask setup``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

MIGRATIONS = "registry:migrations"


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    # ConfigParser interpolation would eat "%" in passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head", connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(url, connection), revision)
