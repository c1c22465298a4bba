"""catalogue indexes: labels sorted and paged by (footprint, id); a category's valid labels by footprint

Revision ID: 0004_catalogue_index
Revises: 0003_signed_labels
Create Date: 2026-11-23 14:56:15.630838
"""

from __future__ import annotations

from alembic import op

revision = "0004_catalogue_index"
down_revision = "0003_signed_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.create_index("ix_labels_footprint_id", ["footprint", "id"], unique=False)
        batch_op.create_index(
            "ix_labels_status_scheme_version_footprint", ["status", "scheme_version_id", "footprint"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_index("ix_labels_status_scheme_version_footprint")
        batch_op.drop_index("ix_labels_footprint_id")
