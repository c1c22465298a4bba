"""foundation: organisations, accounts, audit, schemes, products

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-23 11:14:56.770972
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("division_code", sa.String(length=6), nullable=True),
        sa.Column("accreditation_number", sa.String(length=64), nullable=True),
        sa.Column("body_code", sa.String(length=16), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'certification_body' OR (accreditation_number IS NOT NULL AND body_code IS NOT NULL)",
            name=op.f("ck_organisations_body_has_accreditation"),
        ),
        sa.CheckConstraint(
            "kind <> 'enterprise' OR (uscc IS NOT NULL AND division_code IS NOT NULL)",
            name=op.f("ck_organisations_enterprise_has_uscc"),
        ),
        sa.CheckConstraint(
            "kind = 'certification_body' OR body_code IS NULL", name=op.f("ck_organisations_body_code_only_for_bodies")
        ),
        sa.CheckConstraint(
            "kind IN ('enterprise', 'certification_body', 'regulator', 'platform')",
            name=op.f("ck_organisations_kind_known"),
        ),
        sa.CheckConstraint("uscc IS NULL OR length(uscc) = 18", name=op.f("ck_organisations_uscc_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("accreditation_number", name=op.f("uq_organisations_accreditation_number")),
        sa.UniqueConstraint("body_code", name=op.f("uq_organisations_body_code")),
        sa.UniqueConstraint("id", "kind", name=op.f("uq_organisations_id_kind")),
        sa.UniqueConstraint("uscc", name=op.f("uq_organisations_uscc")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_division_code"), ["division_code"], unique=False)

    op.create_table(
        "schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schemes")),
        sa.UniqueConstraint("code", name=op.f("uq_schemes_code")),
    )
    with op.batch_alter_table("schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schemes_category_code"), ["category_code"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("trademark", sa.String(length=120), nullable=True),
        sa.Column("factory", sa.String(length=300), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("gtin IS NULL OR length(gtin) = 14", name=op.f("ck_products_gtin_is_14_digits")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_products_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("gtin", name=op.f("uq_products_gtin")),
        sa.UniqueConstraint(
            "organisation_id", "name_zh", "model", name=op.f("uq_products_organisation_id_name_zh_model")
        ),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category_code"), ["category_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "scheme_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("boundary", sa.String(length=20), nullable=False),
        sa.Column("declared_unit", sa.String(length=40), nullable=False),
        sa.Column("validity_months", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_path", sa.String(length=300), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "boundary IN ('cradle-to-gate', 'cradle-to-grave')", name=op.f("ck_scheme_versions_boundary_known")
        ),
        sa.CheckConstraint("length(content_sha256) = 64", name=op.f("ck_scheme_versions_hash_length")),
        sa.CheckConstraint("validity_months > 0", name=op.f("ck_scheme_versions_validity_positive")),
        sa.ForeignKeyConstraint(["scheme_id"], ["schemes.id"], name=op.f("fk_scheme_versions_scheme_id_schemes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_versions")),
        sa.UniqueConstraint("scheme_id", "version", name=op.f("uq_scheme_versions_scheme_id_version")),
    )
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheme_versions_scheme_id"), ["scheme_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("organisation_kind", sa.String(length=32), nullable=True),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("is_active_account", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'applicant' AND organisation_kind = 'enterprise') OR (role = 'body_admin' AND organisation_kind = 'certification_body') OR (role = 'verifier' AND organisation_kind = 'certification_body') OR (role = 'decision_maker' AND organisation_kind = 'certification_body') OR (role = 'regulator' AND organisation_kind = 'regulator') OR (role = 'site_admin' AND organisation_id IS NULL)",
            name=op.f("ck_users_role_matches_organisation"),
        ),
        sa.CheckConstraint(
            "role IN ('applicant', 'body_admin', 'verifier', 'decision_maker', 'regulator', 'site_admin')",
            name=op.f("ck_users_role_known"),
        ),
        sa.CheckConstraint(
            "(organisation_id IS NULL) = (organisation_kind IS NULL)", name=op.f("ck_users_organisation_pair")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id", "organisation_kind"],
            ["organisations.id", "organisations.kind"],
            name="fk_users_organisation_kind",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tag", sa.String(length=80), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.CheckConstraint("tag LIKE '%:%'", name=op.f("ck_audit_events_tag_has_subject")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_audit_events_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index("ix_audit_events_subject", ["subject_type", "subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_tag"), ["tag"], unique=False)

    _make_audit_events_append_only()

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('body_admin', 'verifier', 'decision_maker', 'applicant', 'regulator')",
            name=op.f("ck_invitations_role_invitable"),
        ),
        sa.ForeignKeyConstraint(["invited_by_id"], ["users.id"], name=op.f("fk_invitations_invited_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_invitations_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitations_organisation_id"), ["organisation_id"], unique=False)


def _make_audit_events_append_only() -> None:
    """The audit trail is append-only in the database itself, not only in the ORM."""
    if op.get_context().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_refuse_change()")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_email"))

    op.drop_table("invitations")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_tag"))
        batch_op.drop_index("ix_audit_events_subject")
        batch_op.drop_index(batch_op.f("ix_audit_events_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_organisation_id"))

    op.drop_table("users")
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheme_versions_scheme_id"))

    op.drop_table("scheme_versions")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_products_category_code"))

    op.drop_table("products")
    with op.batch_alter_table("schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schemes_category_code"))

    op.drop_table("schemes")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_division_code"))

    op.drop_table("organisations")
