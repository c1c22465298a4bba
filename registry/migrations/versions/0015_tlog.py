"""transparency log (BRIEF §7): entries, stored subtree hashes, signed checkpoints (all append-only), the log's
state row and its Ed25519 key; past issuances, status changes, key changes and dishonest-list changes backfilled in
their original order with their original times

Revision ID: 0015_tlog
Revises: 0014_finding_evidence
Create Date: 2026-12-03 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from registry.audit.append_only import drop_append_only, make_append_only

revision = "0015_tlog"
down_revision = "0014_finding_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tlog_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tlog_checkpoints")),
    )
    op.create_index(op.f("ix_tlog_checkpoints_tree_size"), "tlog_checkpoints", ["tree_size"], unique=False)
    op.create_table(
        "tlog_entries",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=True),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("id >= 0", name=op.f("ck_tlog_entries_index_not_negative")),
        sa.ForeignKeyConstraint(["label_id"], ["labels.id"], name=op.f("fk_tlog_entries_label_id_labels")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tlog_entries")),
    )
    op.create_index(op.f("ix_tlog_entries_label_id"), "tlog_entries", ["label_id"], unique=False)
    op.create_table(
        "tlog_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tlog_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_tlog_keys_name")),
    )
    op.create_table(
        "tlog_nodes",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tlog_nodes")),
    )
    state = op.create_table(
        "tlog_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_tlog_state_one_row")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_tlog_state_size_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tlog_state")),
    )
    op.bulk_insert(state, [{"id": 1, "size": 0}])
    make_append_only(op, "tlog_entries", "transparency log entries are append-only")
    make_append_only(op, "tlog_nodes", "transparency log hashes are append-only")
    make_append_only(op, "tlog_checkpoints", "transparency log checkpoints are append-only")

    from registry.tlog.backfill import backfill

    session = Session(bind=op.get_bind())
    backfill(session)
    session.flush()


def downgrade() -> None:
    drop_append_only(op, "tlog_checkpoints")
    drop_append_only(op, "tlog_nodes")
    drop_append_only(op, "tlog_entries")
    op.drop_table("tlog_state")
    op.drop_table("tlog_nodes")
    op.drop_table("tlog_keys")
    op.drop_index(op.f("ix_tlog_entries_label_id"), table_name="tlog_entries")
    op.drop_table("tlog_entries")
    op.drop_index(op.f("ix_tlog_checkpoints_tree_size"), table_name="tlog_checkpoints")
    op.drop_table("tlog_checkpoints")
