"""The PostgreSQL role the application runs as, apart from the role that owns the tables (``flask db
grant-runtime-role``).

Only a table's owner (or a superuser) can ``ALTER TABLE … DISABLE TRIGGER``, drop a trigger or alter the table, so
an application that connects as the owner could switch off the triggers that keep the audit trail append-only. The
runtime role gets the data privileges the application needs and nothing more: SELECT, INSERT, UPDATE and DELETE on
the tables, only SELECT and INSERT on the append-only ones, and the sequences to number new rows. Granting is run by
the owner after each ``flask db upgrade`` (new tables need their grants) and converges: it first revokes everything
the role held on the schema's tables and sequences, so a table that became append-only loses its UPDATE grant.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from registry.audit.models import APPEND_ONLY_TABLES

# Alembic's own table: the application reads nothing from it and migrations write it as the owner.
MIGRATIONS_TABLE = "alembic_version"


class RuntimeRoleError(RuntimeError):
    """The role cannot safely be the application's: the message says why and what to do."""


@dataclass(frozen=True)
class Grants:
    role: str
    read_write: list[str]
    append_only: list[str]
    sequences: int


def grant_runtime_role(connection: Connection, role: str) -> Grants:
    """Give ``role`` what the application needs on the current schema's tables, in the caller's transaction."""
    if connection.dialect.name != "postgresql":
        raise RuntimeRoleError(
            "Runtime roles are a PostgreSQL feature; SQLite has no roles. On SQLite the audit trail is protected by "
            "its triggers and by the database file being readable and writable by the registry's own user only."
        )
    found = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    if found is None:
        raise RuntimeRoleError(
            f"There is no role {role!r}. Create it first (as a superuser or a role with CREATEROLE), e.g. "
            f"CREATE ROLE {_quote(connection, role)} LOGIN PASSWORD '…'; then run this command again."
        )
    if found.rolsuper:
        raise RuntimeRoleError(
            f"{role!r} is a superuser, and a superuser can switch off the audit trail's triggers. Give the application "
            "a role without SUPERUSER."
        )
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    tables = connection.execute(
        text(
            "SELECT c.relname, pg_has_role(:role, c.relowner, 'MEMBER') AS role_owns, "
            "pg_has_role(current_user, c.relowner, 'USAGE') AS we_own "
            "FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        ),
        {"role": role, "schema": schema},
    ).all()
    if not any(row.relname == MIGRATIONS_TABLE for row in tables):
        raise RuntimeRoleError(f"Schema {schema!r} has no registry tables yet: run `flask db upgrade` first.")
    not_ours = [row.relname for row in tables if not row.we_own]
    if not_ours:
        raise RuntimeRoleError(
            f"Run this as the role that owns the tables (the one `flask db upgrade` runs as); the current role does not "
            f"own {', '.join(not_ours)}."
        )
    owned = [row.relname for row in tables if row.role_owns]
    owns_schema = connection.execute(
        text("SELECT pg_has_role(:role, nspowner, 'MEMBER') FROM pg_namespace WHERE nspname = :schema"),
        {"role": role, "schema": schema},
    ).scalar_one()
    if owned or owns_schema:
        what = f"the schema {schema!r} (or the database)" if owns_schema else ", ".join(owned)
        raise RuntimeRoleError(
            f"{role!r} owns, or can act as the owner of, {what}, so it could disable or drop the audit trail's "
            "triggers. Give the application a separate role that owns nothing and is not a member of the owner."
        )

    quoted_role, quoted_schema = _quote(connection, role), _quote(connection, schema)
    connection.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted_schema} FROM {quoted_role}"))
    connection.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quoted_schema} FROM {quoted_role}"))
    read_write, append_only = [], []
    for row in tables:
        name = row.relname
        if name == MIGRATIONS_TABLE:
            privileges = "SELECT"
        elif name in APPEND_ONLY_TABLES:
            privileges = "SELECT, INSERT"
            append_only.append(name)
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
            read_write.append(name)
        connection.execute(text(f"GRANT {privileges} ON {quoted_schema}.{_quote(connection, name)} TO {quoted_role}"))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quoted_schema} TO {quoted_role}"))
    sequences = connection.execute(
        text("SELECT count(*) FROM information_schema.sequences WHERE sequence_schema = :schema"), {"schema": schema}
    ).scalar_one()
    return Grants(role, read_write, append_only, sequences)


def _quote(connection: Connection, name: str) -> str:
    # Always quoted: the role and schema are taken exactly as named in pg_roles / pg_namespace.
    return connection.dialect.identifier_preparer.quote_identifier(name)
