"""people's display names (the platforms' user lookups and member names), found by user

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user"),
    )
    # a resolved name or a rename is written onto the person's earlier messages and shares
    op.create_index("ix_message_author", "message", ["author"])
    op.create_index("ix_share_user", "share", ["user"])


def downgrade() -> None:
    op.drop_index("ix_share_user", table_name="share")
    op.drop_index("ix_message_author", table_name="message")
    op.drop_table("person")
