"""signed labels: signing keys, status-list entries and tokens on labels

Revision ID: 0003_signed_labels
Revises: 0002_certification
Create Date: 2026-11-23 13:21:51.587829
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_signed_labels"
down_revision = "0002_certification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    labels = op.get_bind().execute(sa.text("SELECT count(*) FROM labels")).scalar_one()
    if labels:
        raise RuntimeError(
            f"This database holds {labels} labels issued before labels were signed; they have no token and cannot be "
            "migrated. Only development databases can be in this state: remove instance/registry.sqlite3 (or drop the "
            "database) and run `make run` again to rebuild it with the demo data."
        )
    op.create_table(
        "status_list_counters",
        sa.Column("list_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_index", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "last_index >= -1 AND last_index < 131072", name=op.f("ck_status_list_counters_index_in_range")
        ),
        sa.PrimaryKeyConstraint("list_number", name=op.f("pk_status_list_counters")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sign_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sign_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verify_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint("(role = 'root') = (body_id IS NULL)", name=op.f("ck_signing_keys_body_keys_have_a_body")),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL)", name=op.f("ck_signing_keys_revoked_has_time")
        ),
        sa.CheckConstraint("role IN ('root', 'body')", name=op.f("ck_signing_keys_role_known")),
        sa.CheckConstraint("status IN ('active', 'retired', 'revoked')", name=op.f("ck_signing_keys_status_known")),
        sa.CheckConstraint("length(sealed_private_key) > 32", name=op.f("ck_signing_keys_private_key_sealed")),
        sa.CheckConstraint(
            "sign_until > sign_from AND verify_until >= sign_until", name=op.f("ck_signing_keys_windows_ordered")
        ),
        sa.ForeignKeyConstraint(["body_id"], ["organisations.id"], name=op.f("fk_signing_keys_body_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_signing_keys_kid")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_body_id"), ["body_id"], unique=False)
        batch_op.create_index(
            "uq_signing_keys_active_body",
            ["body_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active' AND role = 'body'"),
            postgresql_where=sa.text("status = 'active' AND role = 'body'"),
        )
        batch_op.create_index(
            "uq_signing_keys_active_root",
            ["role"],
            unique=True,
            sqlite_where=sa.text("status = 'active' AND role = 'root'"),
            postgresql_where=sa.text("status = 'active' AND role = 'root'"),
        )

    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path", sa.String(length=64), nullable=False))
        batch_op.add_column(sa.Column("token", sa.String(length=600), nullable=False))
        batch_op.add_column(sa.Column("signing_key_id", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("status_list", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("status_index", sa.Integer(), nullable=False))
        batch_op.create_index(batch_op.f("ix_labels_signing_key_id"), ["signing_key_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_labels_status_list_status_index"), ["status_list", "status_index"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_labels_signing_key_id_signing_keys"), "signing_keys", ["signing_key_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "status_entry_in_range", "status_list >= 0 AND status_index >= 0 AND status_index < 131072"
        )
        batch_op.create_check_constraint("token_present", "length(token) > 100")


def downgrade() -> None:
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_labels_token_present"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_labels_status_entry_in_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_labels_signing_key_id_signing_keys"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_labels_status_list_status_index"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_labels_signing_key_id"))
        batch_op.drop_column("status_index")
        batch_op.drop_column("status_list")
        batch_op.drop_column("signing_key_id")
        batch_op.drop_column("token")
        batch_op.drop_column("path")

    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_signing_keys_active_root",
            sqlite_where=sa.text("status = 'active' AND role = 'root'"),
            postgresql_where=sa.text("status = 'active' AND role = 'root'"),
        )
        batch_op.drop_index(
            "uq_signing_keys_active_body",
            sqlite_where=sa.text("status = 'active' AND role = 'body'"),
            postgresql_where=sa.text("status = 'active' AND role = 'body'"),
        )
        batch_op.drop_index(batch_op.f("ix_signing_keys_body_id"))

    op.drop_table("signing_keys")
    op.drop_table("status_list_counters")
