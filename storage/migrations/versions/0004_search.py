"""memory, engagement and search (issue 21): engagement counts on items, an index for the drafts
of a period (the preview's suggestions), and the full-text index ``item_search`` kept current by
triggers: SQLite FTS5, PostgreSQL tsvector + GIN (storage/search.py reads it)

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
# the item columns the index reads: an UPDATE of any other column (leases, counts) costs nothing
INDEXED = (
    "title, title_override, unfurl_title, summary, summary_override, unfurl_description, why, "
    "site_name, unfurl_site"
)
SHARERS = "(SELECT string_agg(s.user_name, ' ') FROM share s WHERE s.item_id = x.id AND s.active)"
FIELDS = (
    "coalesce(x.title_override, x.title, x.unfurl_title, '')",
    "coalesce(x.summary_override, x.summary, x.unfurl_description, '')",
    "coalesce(x.why, '')",
    "coalesce(x.site_name, x.unfurl_site, '')",
)

SQLITE_SHARERS = SHARERS.replace("string_agg", "group_concat")
SQLITE_ROWS = (
    "INSERT INTO item_search(rowid, title, summary, why, site, sharer) SELECT x.id, "
    f"{', '.join(FIELDS)}, coalesce({SQLITE_SHARERS}, '') FROM item x"
)


def _sqlite_refresh(target: str, condition: str = "") -> str:
    """Re-index item ``target`` (``new.id``…) inside a trigger: drop its row, write it anew."""
    return (
        f"DELETE FROM item_search WHERE rowid = {target}{condition}; "
        f"{SQLITE_ROWS} WHERE x.id = {target}{condition};"
    )


SQLITE = [
    "CREATE VIRTUAL TABLE item_search USING fts5(title, summary, why, site, sharer, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    SQLITE_ROWS,
    f"CREATE TRIGGER item_search_insert AFTER INSERT ON item BEGIN {_sqlite_refresh('new.id')} END",
    f"CREATE TRIGGER item_search_update AFTER UPDATE OF {INDEXED} ON item "
    f"BEGIN {_sqlite_refresh('new.id')} END",
    "CREATE TRIGGER item_search_delete AFTER DELETE ON item BEGIN "
    "DELETE FROM item_search WHERE rowid = old.id; END",
    "CREATE TRIGGER item_search_share_insert AFTER INSERT ON share "
    f"BEGIN {_sqlite_refresh('new.item_id')} END",
    "CREATE TRIGGER item_search_share_update AFTER UPDATE OF user_name, active, item_id ON share "
    f"BEGIN {_sqlite_refresh('old.item_id')} "
    f"{_sqlite_refresh('new.item_id', ' AND new.item_id <> old.item_id')} END",
]
SQLITE_DOWN = [
    "DROP TRIGGER item_search_share_update",
    "DROP TRIGGER item_search_share_insert",
    "DROP TRIGGER item_search_delete",
    "DROP TRIGGER item_search_update",
    "DROP TRIGGER item_search_insert",
    "DROP TABLE item_search",
]

# Titles weigh most, then whys and sites, summaries, names; one configuration, as the query's.
PG_DOCUMENT = (
    f"setweight(to_tsvector('english', {FIELDS[0]}), 'A') || "
    f"setweight(to_tsvector('english', {FIELDS[2]}), 'B') || "
    f"setweight(to_tsvector('english', {FIELDS[1]}), 'C') || "
    f"setweight(to_tsvector('english', {FIELDS[3]}), 'B') || "
    f"setweight(to_tsvector('english', coalesce({SHARERS}, '')), 'D')"
)
POSTGRES = [
    "CREATE TABLE item_search (item_id integer PRIMARY KEY, document tsvector NOT NULL)",
    f"INSERT INTO item_search (item_id, document) SELECT x.id, {PG_DOCUMENT} FROM item x",
    "CREATE INDEX ix_item_search_document ON item_search USING gin (document)",
    "CREATE FUNCTION item_search_refresh(target integer) RETURNS void LANGUAGE sql AS $$ "
    f"INSERT INTO item_search (item_id, document) SELECT x.id, {PG_DOCUMENT} FROM item x "
    "WHERE x.id = target "
    "ON CONFLICT (item_id) DO UPDATE SET document = excluded.document $$",
    "CREATE FUNCTION item_search_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'DELETE' THEN DELETE FROM item_search WHERE item_id = OLD.id; RETURN OLD; END IF; "
    "PERFORM item_search_refresh(NEW.id); RETURN NEW; END $$",
    "CREATE FUNCTION item_search_share() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND OLD.item_id <> NEW.item_id THEN "
    "PERFORM item_search_refresh(OLD.item_id); END IF; "
    "PERFORM item_search_refresh(NEW.item_id); RETURN NEW; END $$",
    "CREATE TRIGGER item_search_insert AFTER INSERT OR DELETE ON item "
    "FOR EACH ROW EXECUTE FUNCTION item_search_item()",
    f"CREATE TRIGGER item_search_update AFTER UPDATE OF {INDEXED} ON item "
    "FOR EACH ROW EXECUTE FUNCTION item_search_item()",
    "CREATE TRIGGER item_search_share AFTER INSERT OR UPDATE OF user_name, active, item_id "
    "ON share FOR EACH ROW EXECUTE FUNCTION item_search_share()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER item_search_share ON share",
    "DROP TRIGGER item_search_update ON item",
    "DROP TRIGGER item_search_insert ON item",
    "DROP FUNCTION item_search_share()",
    "DROP FUNCTION item_search_item()",
    "DROP FUNCTION item_search_refresh(integer)",
    "DROP TABLE item_search",
]


def upgrade() -> None:
    with op.batch_alter_table("item") as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_item_digest_status_shared", "item", ["digest", "status", "first_shared_at"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES if postgres else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index("ix_item_digest_status_shared", table_name="item")
    with op.batch_alter_table("item") as batch_op:
        for name in COUNTS:
            batch_op.drop_column(name)
