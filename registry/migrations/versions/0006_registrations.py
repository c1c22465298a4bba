"""registrations: an enterprise's registration waits for its e-mail address to be confirmed

Revision ID: 0006_registrations
Revises: 0005_catalogue_search
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_registrations"
down_revision = "0005_catalogue_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("organisation_name_zh", sa.String(length=200), nullable=False),
        sa.Column("organisation_name_en", sa.String(length=200), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registrations_token_hash")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrations_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_registrations_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_expires_at"))
        batch_op.drop_index(batch_op.f("ix_registrations_email"))
    op.drop_table("registrations")
