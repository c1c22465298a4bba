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


# What the models do not describe, kept out of autogenerate's comparison (migration 0005): SQLite's FTS5 table over
# labels with its shadow tables, and PostgreSQL's generated tsvector column and its GIN index.
UNMODELLED_TABLES = ("labels_search",)
UNMODELLED_COLUMNS = ("search_vector",)
UNMODELLED_INDEXES = ("ix_labels_search",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "table":
        return not (name or "").startswith(UNMODELLED_TABLES)
    if type_ == "column":
        return name not in UNMODELLED_COLUMNS
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    return True
