"""search text folded anew: traditional characters as simplified, and the synonyms of the words a label holds
(registry.labels.searchtext, issue 18 item 10); no change of schema

Revision ID: 0013_search_folding
Revises: 0012_complaints
Create Date: 2026-12-03 20:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_search_folding"
down_revision = "0012_complaints"
branch_labels = None
depends_on = None

BATCH = 5000


def _refresh() -> None:
    """Every label's search text as issuance writes it now, from the same function (the FTS5 triggers and the
    generated PostgreSQL column follow)."""
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
    _refresh()


def downgrade() -> None:
    pass  # the richer text is a superset of the old one: searches that worked before still work
