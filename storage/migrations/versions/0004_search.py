"""memory, engagement and search (issue 21): engagement counts on items, and an index for the
drafts of a period (the preview's "lively discussion" suggestions)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNTS = ("reactor_count", "reply_count", "participant_count", "channel_count", "platform_count")


def upgrade() -> None:
    with op.batch_alter_table("item") as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_item_digest_status_shared", "item", ["digest", "status", "first_shared_at"])


def downgrade() -> None:
    op.drop_index("ix_item_digest_status_shared", table_name="item")
    with op.batch_alter_table("item") as batch_op:
        for name in COUNTS:
            batch_op.drop_column(name)
