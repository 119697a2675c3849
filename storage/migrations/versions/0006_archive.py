"""archived copies: each item's snapshot at a Wayback-compatible save endpoint, and its queue

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
COLUMNS = (
    "archived_url",
    "archive_status",
    "archive_error",
    "archive_attempts",
    "archive_next_at",
    "archive_lease_owner",
    "archive_lease_until",
)


def upgrade() -> None:
    # Plain ALTER TABLE, no batch: SQLite's batch mode copies the table, which breaks the
    # search triggers of 0004 that name it.
    op.add_column("item", sa.Column("archived_url", sa.Text(), nullable=True))
    op.add_column("item", sa.Column("archive_status", sa.String(length=20), nullable=True))
    op.add_column("item", sa.Column("archive_error", sa.Text(), nullable=True))
    op.add_column(
        "item", sa.Column("archive_attempts", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("item", sa.Column("archive_next_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("item", sa.Column("archive_lease_owner", sa.String(), nullable=True))
    op.add_column(
        "item", sa.Column("archive_lease_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_item_archive", "item", ["archive_status", "archive_next_at"])


def downgrade() -> None:
    op.drop_index("ix_item_archive", table_name="item")
    for column in reversed(COLUMNS):
        op.drop_column("item", column)  # SQLite 3.35+ drops a column in place
