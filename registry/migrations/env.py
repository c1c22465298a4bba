"""Alembic environment: the registry's engine and metadata; run through ``flask db``."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from registry.migrate import include_name
from registry.models import Base  # every model, so the metadata is complete

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from registry.database import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("run migrations through 'flask db', which gives Alembic the database URL")
        engine = make_engine(url)
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
        engine.dispose()
    else:
        _run(connection)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations name plain SQL types, so they never break when an application type changes."""
    from registry.database import MicroDecimal, StrEnumType, UTCDateTime

    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.length})"
    if type_ == "type" and isinstance(obj, MicroDecimal):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
