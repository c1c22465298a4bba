"""evidence with a finding's answer: an application document may belong to the answer to one finding

Revision ID: 0014_finding_evidence
Revises: 0013_search_folding
Create Date: 2026-12-03 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_finding_evidence"
down_revision = "0013_search_folding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("application_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finding_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_application_documents_finding_id"), ["finding_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_application_documents_finding_id_findings"), "findings", ["finding_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("application_documents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_application_documents_finding_id_findings"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_application_documents_finding_id"))
        batch_op.drop_column("finding_id")
