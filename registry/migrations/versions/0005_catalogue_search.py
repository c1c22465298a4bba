"""catalogue search: each label's search text, full-text indexed (FTS5 on SQLite, a stored tsvector with a GIN index on PostgreSQL), the
indexes that let a scheme filter read labels already in catalogue order, and the statistics' counting indexes

Revision ID: 0005_catalogue_search
Revises: 0004_catalogue_index
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_catalogue_search"
down_revision = "0004_catalogue_index"
branch_labels = None
depends_on = None

BATCH = 5000

# FTS5 over labels.search_text as external content: the triggers keep it in step with the labels table. A later
# SQLite batch migration that rebuilds the labels table drops these triggers and must create them again.
SQLITE_FTS = [
    (
        "CREATE VIRTUAL TABLE labels_search USING fts5(search_text, content='labels', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    ),
    (
        "CREATE TRIGGER labels_search_insert AFTER INSERT ON labels BEGIN "
        "INSERT INTO labels_search(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    (
        "CREATE TRIGGER labels_search_delete AFTER DELETE ON labels BEGIN "
        "INSERT INTO labels_search(labels_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); END"
    ),
    (
        "CREATE TRIGGER labels_search_update AFTER UPDATE OF search_text ON labels BEGIN "
        "INSERT INTO labels_search(labels_search, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO labels_search(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    "INSERT INTO labels_search(labels_search) VALUES ('rebuild')",
]
# PostgreSQL keeps each label's tsvector in a generated column (not in the models: SQLite has no such type), so a
# search that reads labels in catalogue order and filters them checks a stored vector instead of parsing the text
# of every row again.
POSTGRESQL_SEARCH = [
    (
        "ALTER TABLE labels ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
    ),
    "CREATE INDEX ix_labels_search ON labels USING gin (search_vector)",
]


def _backfill() -> None:
    """Existing labels get the search text issuance writes, from the same function."""
    from registry.labels.searchtext import search_text

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT labels.id, products.name_zh, products.name_en, products.model, holders.name_zh, holders.name_en "
            "FROM labels JOIN products ON products.id = labels.product_id "
            "JOIN organisations AS holders ON holders.id = labels.holder_id ORDER BY labels.id"
        )
    ).all()
    update = sa.text("UPDATE labels SET search_text = :text WHERE id = :id")
    for start in range(0, len(rows), BATCH):
        bind.execute(update, [{"id": row[0], "text": search_text(*row[1:])} for row in rows[start : start + BATCH]])


def upgrade() -> None:
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index("ix_labels_scheme_version_id_id", ["scheme_version_id", "id"], unique=False)
        batch_op.create_index(
            "ix_labels_scheme_version_footprint_id", ["scheme_version_id", "footprint", "id"], unique=False
        )
        batch_op.create_index(
            "ix_labels_scheme_version_grade_status", ["scheme_version_id", "grade_code", "status"], unique=False
        )
        batch_op.create_index("ix_labels_holder_status", ["holder_id", "status"], unique=False)
    _backfill()
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        for statement in POSTGRESQL_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER labels_search_{trigger}")
        op.execute("DROP TABLE labels_search")
    else:
        op.execute("DROP INDEX ix_labels_search")
        op.execute("ALTER TABLE labels DROP COLUMN search_vector")
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_index("ix_labels_holder_status")
        batch_op.drop_index("ix_labels_scheme_version_grade_status")
        batch_op.drop_index("ix_labels_scheme_version_footprint_id")
        batch_op.drop_index("ix_labels_scheme_version_id_id")
        batch_op.drop_column("search_text")
