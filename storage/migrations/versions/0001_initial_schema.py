"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assist_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("feature", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("assist_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assist_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_assist_log_item_id"), ["item_id"], unique=False)

    op.create_table(
        "checkpoint",
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("position", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_item_id"), ["item_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("platform_message_id", sa.String(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_issue_id"), ["issue_id"], unique=False)

    op.create_table(
        "digest_state",
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.Column("intro", sa.Text(), nullable=True),
        sa.Column("outro", sa.Text(), nullable=True),
        sa.Column("preview_sent_for", sa.String(), nullable=True),
        sa.Column("settled_period", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_table(
        "issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compiled", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest", "number"),
        sa.UniqueConstraint("digest", "period"),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.Column("canonical_url", sa.String(length=2000), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("why_by", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("section", sa.String(), nullable=True),
        sa.Column("section_source", sa.String(), nullable=True),
        sa.Column("first_shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_shared_by", sa.String(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_issue_id", sa.Integer(), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("summary_source", sa.String(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("site_name", sa.String(), nullable=True),
        sa.Column("author", sa.String(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lang", sa.String(length=20), nullable=True),
        sa.Column("word_count", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("declared_canonical", sa.Text(), nullable=True),
        sa.Column("main_text", sa.Text(), nullable=True),
        sa.Column("unfurl_title", sa.Text(), nullable=True),
        sa.Column("unfurl_description", sa.Text(), nullable=True),
        sa.Column("unfurl_image", sa.Text(), nullable=True),
        sa.Column("unfurl_site", sa.String(), nullable=True),
        sa.Column("title_override", sa.Text(), nullable=True),
        sa.Column("summary_override", sa.Text(), nullable=True),
        sa.Column("image_override", sa.Text(), nullable=True),
        sa.Column("suggested_section", sa.String(), nullable=True),
        sa.Column("suggested_why", sa.Text(), nullable=True),
        sa.Column("assist_error", sa.Text(), nullable=True),
        sa.Column("enrich_status", sa.String(length=20), nullable=False),
        sa.Column("enrich_error", sa.Text(), nullable=True),
        sa.Column("enrich_attempts", sa.Integer(), nullable=False),
        sa.Column("enrich_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enrich_lease_owner", sa.String(), nullable=True),
        sa.Column("enrich_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest", "canonical_url"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_digest_status", ["digest", "status"], unique=False)
        batch_op.create_index("ix_item_enrich", ["enrich_status", "enrich_next_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_item_published_issue_id"), ["published_issue_id"], unique=False
        )

    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("author_name", sa.String(), nullable=True),
        sa.Column("author_roles", sa.String(), nullable=False),
        sa.Column("author_is_bot", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("thread_parent", sa.String(length=100), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_post", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("permalink", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_id"),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index("ix_message_thread", ["channel", "thread_parent"], unique=False)

    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "reaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("user_roles", sa.String(), nullable=False),
        sa.Column("user_is_bot", sa.Boolean(), nullable=False),
        sa.Column("emoji", sa.String(length=100), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_id", "user", "emoji"),
    )
    with op.batch_alter_table("reaction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reaction_channel"), ["channel"], unique=False)

    op.create_table(
        "share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=True),
        sa.Column("user_name", sa.String(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "channel", "message_id"),
    )
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_share_message", ["channel", "message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("share", schema=None) as batch_op:
        batch_op.drop_index("ix_share_message")
        batch_op.drop_index(batch_op.f("ix_share_item_id"))

    op.drop_table("share")
    with op.batch_alter_table("reaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reaction_channel"))

    op.drop_table("reaction")
    op.drop_table("processed_event")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_thread")

    op.drop_table("message")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_published_issue_id"))
        batch_op.drop_index("ix_item_enrich")
        batch_op.drop_index("ix_item_digest_status")

    op.drop_table("item")
    op.drop_table("issue")
    op.drop_table("digest_state")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_issue_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_item_id"))

    op.drop_table("decision")
    op.drop_table("checkpoint")
    with op.batch_alter_table("assist_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assist_log_item_id"))
        batch_op.drop_index(batch_op.f("ix_assist_log_at"))

    op.drop_table("assist_log")
