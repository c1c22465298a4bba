"""surveillance of labels (surveillances, and their append-only evaluations), and what kind of application a file
is: a first certification, a renewal or a change report, with the label it would replace

Revision ID: 0011_surveillance
Revises: 0010_inspections
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.audit.append_only import drop_append_only, make_append_only

revision = "0011_surveillance"
down_revision = "0010_inspections"
branch_labels = None
depends_on = None

KINDS = "kind IN ('certification', 'renewal', 'change')"
PREVIOUS = "(kind = 'certification') = (previous_label_id IS NULL)"
CHANGE = (
    "(kind = 'change') = (change_kind IS NOT NULL) AND "
    "(change_kind IS NULL OR change_kind IN ('product', 'factory', 'footprint'))"
)


def upgrade() -> None:
    op.create_table(
        "surveillances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("verifier_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "(verifier_id IS NULL) = (assigned_at IS NULL)", name=op.f("ck_surveillances_assignment_dated")
        ),
        sa.CheckConstraint(
            "(verifier_id IS NULL) = (assigned_by_id IS NULL)", name=op.f("ck_surveillances_assignment_signed")
        ),
        sa.ForeignKeyConstraint(["assigned_by_id"], ["users.id"], name=op.f("fk_surveillances_assigned_by_id_users")),
        sa.ForeignKeyConstraint(["label_id"], ["labels.id"], name=op.f("fk_surveillances_label_id_labels")),
        sa.ForeignKeyConstraint(["verifier_id"], ["users.id"], name=op.f("fk_surveillances_verifier_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveillances")),
        sa.UniqueConstraint("label_id", "due_on", name=op.f("uq_surveillances_label_id_due_on")),
    )
    op.create_index(op.f("ix_surveillances_label_id"), "surveillances", ["label_id"], unique=False)
    op.create_index(op.f("ix_surveillances_verifier_id"), "surveillances", ["verifier_id"], unique=False)
    op.create_table(
        "surveillance_evaluations",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("verifier_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("public_reason", sa.Text(), nullable=True),
        sa.Column("resolve_by", sa.Date(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("no_conflict_declared", sa.Boolean(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('maintain', 'suspend', 'withdraw')", name=op.f("ck_surveillance_evaluations_outcome_known")
        ),
        sa.CheckConstraint(
            "(outcome = 'suspend') = (resolve_by IS NOT NULL)",
            name=op.f("ck_surveillance_evaluations_suspension_resolve_by"),
        ),
        sa.CheckConstraint(
            "outcome = 'maintain' OR length(trim(public_reason)) > 0",
            name=op.f("ck_surveillance_evaluations_label_change_gives_public_reason"),
        ),
        sa.CheckConstraint("length(trim(findings)) > 0", name=op.f("ck_surveillance_evaluations_findings_written")),
        sa.CheckConstraint(
            "no_conflict_declared", name=op.f("ck_surveillance_evaluations_verifier_declared_no_conflict")
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["surveillances.id"], name=op.f("fk_surveillance_evaluations_id_surveillances")
        ),
        sa.ForeignKeyConstraint(
            ["verifier_id"], ["users.id"], name=op.f("fk_surveillance_evaluations_verifier_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveillance_evaluations")),
    )
    op.create_index(
        op.f("ix_surveillance_evaluations_verifier_id"), "surveillance_evaluations", ["verifier_id"], unique=False
    )
    make_append_only(op, "surveillance_evaluations", "surveillance evaluations are append-only")

    # Plain ADD COLUMN, not a batch rebuild: rebuilding applications on SQLite would drop the workflow's guard
    # triggers (0008). SQLite takes the checks and the foreign key in the column's definition.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE applications ADD COLUMN kind VARCHAR(16) DEFAULT 'certification' NOT NULL "
            f"CONSTRAINT ck_applications_kind_known CHECK ({KINDS})"
        )
        op.execute(
            "ALTER TABLE applications ADD COLUMN previous_label_id INTEGER "
            "CONSTRAINT fk_applications_previous_label_id_labels REFERENCES labels (id) "
            f"CONSTRAINT ck_applications_previous_label_of_kind CHECK ({PREVIOUS})"
        )
        op.execute(
            "ALTER TABLE applications ADD COLUMN change_kind VARCHAR(16) "
            f"CONSTRAINT ck_applications_change_kind_of_change CHECK ({CHANGE})"
        )
    else:
        op.add_column(
            "applications",
            sa.Column("kind", sa.String(length=16), server_default="certification", nullable=False),
        )
        op.add_column("applications", sa.Column("previous_label_id", sa.Integer(), nullable=True))
        op.add_column("applications", sa.Column("change_kind", sa.String(length=16), nullable=True))
        op.create_foreign_key(
            op.f("fk_applications_previous_label_id_labels"), "applications", "labels", ["previous_label_id"], ["id"]
        )
        op.create_check_constraint(op.f("ck_applications_kind_known"), "applications", KINDS)
        op.create_check_constraint(op.f("ck_applications_previous_label_of_kind"), "applications", PREVIOUS)
        op.create_check_constraint(op.f("ck_applications_change_kind_of_change"), "applications", CHANGE)
    op.add_column("applications", sa.Column("change_description", sa.Text(), nullable=True))
    op.create_index(op.f("ix_applications_previous_label_id"), "applications", ["previous_label_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_applications_previous_label_id"), table_name="applications")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's own DROP COLUMN (3.35+) takes a column with its own checks and foreign key, without rebuilding
        # the table (which would drop the workflow's triggers, and which the rows referring to applications refuse);
        # the columns whose checks name another go first.
        for column in ("change_description", "change_kind", "previous_label_id", "kind"):
            op.execute(f"ALTER TABLE applications DROP COLUMN {column}")
    else:
        op.drop_constraint(op.f("ck_applications_change_kind_of_change"), "applications", type_="check")
        op.drop_constraint(op.f("ck_applications_previous_label_of_kind"), "applications", type_="check")
        op.drop_constraint(op.f("ck_applications_kind_known"), "applications", type_="check")
        op.drop_constraint(op.f("fk_applications_previous_label_id_labels"), "applications", type_="foreignkey")
        op.drop_column("applications", "change_description")
        op.drop_column("applications", "change_kind")
        op.drop_column("applications", "previous_label_id")
        op.drop_column("applications", "kind")
    drop_append_only(op, "surveillance_evaluations")
    op.drop_index(op.f("ix_surveillance_evaluations_verifier_id"), table_name="surveillance_evaluations")
    op.drop_table("surveillance_evaluations")
    op.drop_index(op.f("ix_surveillances_verifier_id"), table_name="surveillances")
    op.drop_index(op.f("ix_surveillances_label_id"), table_name="surveillances")
    op.drop_table("surveillances")
