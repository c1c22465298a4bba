"""append-only in the database itself: no audit event overwritten by INSERT OR REPLACE on SQLite, and the
applications' transition records refuse UPDATE, DELETE and overwriting like the audit events

Revision ID: 0007_append_only
Revises: 0006_registrations
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007_append_only"
down_revision = "0006_registrations"
branch_labels = None
depends_on = None

# A later SQLite batch migration that rebuilds one of these tables drops its triggers (these and 0001's) and must
# create them again.
MESSAGES = {
    "audit_events": "audit events are append-only",
    "application_transitions": "application transitions are append-only",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, message in MESSAGES.items():
            # REPLACE (and INSERT OR REPLACE) deletes the row it conflicts with without firing DELETE triggers
            # (unless the connection set recursive_triggers, which a sqlite3 shell does not): refuse an insert
            # that names an id already taken, before the conflict is resolved. The primary key is the table's
            # only unique constraint, so no other conflict can make REPLACE delete a row.
            op.execute(
                f"CREATE TRIGGER {table}_no_overwrite BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        for action in ("UPDATE", "DELETE"):
            # UPSERT's DO UPDATE and UPDATE OR REPLACE fire the UPDATE trigger.
            op.execute(
                f"CREATE TRIGGER application_transitions_no_{action.lower()} BEFORE {action} ON application_transitions "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGES['application_transitions']}'); END"
            )
    else:
        # PostgreSQL has no REPLACE; INSERT … ON CONFLICT DO UPDATE fires the UPDATE trigger 0001 already has.
        op.execute(
            "CREATE FUNCTION application_transitions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGES['application_transitions']}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER application_transitions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON application_transitions FOR EACH STATEMENT EXECUTE FUNCTION application_transitions_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in MESSAGES:
            op.execute(f"DROP TRIGGER {table}_no_overwrite")
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER application_transitions_no_{action}")
    else:
        op.execute("DROP TRIGGER application_transitions_append_only ON application_transitions")
        op.execute("DROP FUNCTION application_transitions_refuse_change()")
