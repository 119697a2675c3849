"""search (issue 21): a BRIN index on ``item_search.item_id`` (PostgreSQL), so the window of a
query's newest matches above a floor is the GIN bitmap ANDed with a few page ranges, and only
those pages are read (storage/search.py); rows go in in id order, which is what BRIN needs

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_item_search_recent ON item_search USING brin (item_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_item_search_recent")
