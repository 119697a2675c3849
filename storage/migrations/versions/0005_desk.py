"""the editors' desk: its signing key, one-time sign-in links, and items' manual order;
issue periods up to 100 characters (a manual publish's period names its editor)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
PERIODS = ("issue", "newsletter_draft")


def upgrade() -> None:
    op.create_table(
        "desk_secret",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "desk_login",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("editor", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=True))
    for table in PERIODS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("period", type_=sa.String(100), existing_type=sa.String(40))


def downgrade() -> None:
    for table in PERIODS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("period", type_=sa.String(40), existing_type=sa.String(100))
    # In place (SQLite 3.35+): batch mode would copy ``item``, and 0004's triggers name it.
    op.drop_column("item", "position")
    op.drop_table("desk_login")
    op.drop_table("desk_secret")
