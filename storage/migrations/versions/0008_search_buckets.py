"""search (issue 21): PostgreSQL's GIN index also holds each row's id buckets, so the newest
matches above a floor are the words ANDed with a few buckets, exactly, inside the index; and it
has no pending list (``fastupdate = off``), which every search scanned whole (storage/search.py)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BUCKET, COARSE = 8192, 131072  # ids per bucket, per coarse bucket: storage.search
UPGRADE = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE FUNCTION item_search_bucket(item_id integer) RETURNS tsvector LANGUAGE sql "
    "IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_tsvector("
    f"ARRAY['~' || item_id / {BUCKET}, '~c' || item_id / {COARSE}]) $$",
    "CREATE INDEX ix_item_search_words ON item_search "
    "USING gin ((document || item_search_bucket(item_id))) WITH (fastupdate = off)",
    "DROP INDEX ix_item_search_recent",
    "DROP INDEX ix_item_search_document",
    "ANALYZE item_search",  # the planner's statistics for the new expression
]
DOWNGRADE = [
    "CREATE INDEX ix_item_search_document ON item_search USING gin (document)",
    "CREATE INDEX ix_item_search_recent ON item_search USING brin (item_id)",
    "DROP INDEX ix_item_search_words",
    "DROP FUNCTION item_search_bucket(integer)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
