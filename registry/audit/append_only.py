"""Append-only tables in the database itself, for migrations: a table made so refuses UPDATE, DELETE and (on
SQLite) an INSERT that would overwrite a row by REPLACE; on PostgreSQL also TRUNCATE. The audit trail and every
history table (the applications' and labels' transitions, the regulator's records) use it (docs/audit.md)."""

from __future__ import annotations

from typing import Any


def make_append_only(op: Any, table: str, message: str) -> None:
    """Create the triggers that keep `table` append-only; `message` is the error every refused change raises."""
    if op.get_bind().dialect.name == "sqlite":
        # REPLACE deletes the row it conflicts with without firing DELETE triggers: refuse an insert that names an
        # id already taken, before the conflict is resolved (the primary key must be the table's only unique key).
        op.execute(
            f"CREATE TRIGGER {table}_no_overwrite BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
        for action in ("UPDATE", "DELETE"):
            # UPSERT's DO UPDATE and UPDATE OR REPLACE fire the UPDATE trigger.
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute(
            f"CREATE FUNCTION {table}_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()"
        )


def drop_append_only(op: Any, table: str) -> None:
    """Drop what `make_append_only` created (a downgrade's first step for that table)."""
    if op.get_bind().dialect.name == "sqlite":
        for name in ("no_overwrite", "no_update", "no_delete"):
            op.execute(f"DROP TRIGGER {table}_{name}")
    else:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION {table}_refuse_change()")
