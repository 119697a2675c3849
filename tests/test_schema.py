"""The schema check that ``linkletter run`` and ``/readyz`` make without importing alembic, and
the SQLite connection settings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from storage.db import HEAD_REVISION, MIGRATIONS, SQLITE_CACHE_KIB, Database


def test_head_revision_is_the_newest_migration() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head == HEAD_REVISION, f"a new migration: set HEAD_REVISION in storage/db.py to {head}"


def test_current_revision_reads_what_alembic_recorded(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'schema.db'}")
    try:
        assert db.current_revision() is None
        db.upgrade()
        assert db.current_revision() == HEAD_REVISION
        db.require_current_schema()
    finally:
        db.dispose()


def test_sqlite_page_cache_is_capped(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path / 'cache.db'}")
    try:
        with db.engine.connect() as connection:
            cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    finally:
        db.dispose()
    assert cache == -SQLITE_CACHE_KIB  # negative: KiB, not pages


ARCHIVE_COLUMNS = {
    "archived_url", "archive_status", "archive_error", "archive_attempts", "archive_next_at",
    "archive_lease_owner", "archive_lease_until",
}  # fmt: skip


def _item_columns(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return {column["name"] for column in inspect(connection).get_columns("item")}


def _insert_item_at_0005(db: Database) -> None:
    """One item row, with the columns ``item`` has at revision 0005."""
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO item (digest, canonical_url, url, status, featured, votes, "
                "reactor_count, reply_count, participant_count, channel_count, "
                "platform_count, enrich_status, enrich_attempts, created_at, updated_at) "
                "VALUES ('w', 'https://a.example/', 'https://a.example/', 'approved', false, "
                "0, 0, 0, 0, 0, 0, 'done', 0, :now, :now)"
            ),
            {"now": datetime.now(UTC)},
        )


def test_archive_migration_upgrades_and_downgrades(empty_database_url: str) -> None:
    """0006 adds the archive columns to rows that exist (attempts 0) and takes them away again."""
    db = Database.connect(empty_database_url)
    config = db._alembic()
    try:
        command.upgrade(config, "0005")
        _insert_item_at_0005(db)
        assert not ARCHIVE_COLUMNS & _item_columns(db)
        command.upgrade(config, "0006")
        assert _item_columns(db) >= ARCHIVE_COLUMNS
        with db.engine.connect() as connection:
            row = connection.execute(
                text("SELECT archive_attempts, archive_status FROM item")
            ).one()
        assert tuple(row) == (0, None)
        command.downgrade(config, "0005")
        assert not ARCHIVE_COLUMNS & _item_columns(db)
        command.upgrade(config, "head")
        assert db.current_revision() == HEAD_REVISION
    finally:
        db.dispose()


def test_every_migration_downgrades_and_upgrades_again(empty_database_url: str) -> None:
    """Down one revision at a time to an empty schema, each step with a row in ``item`` where
    the table exists (SQLite's batch mode rebuilds a table, and 0004's triggers name it), then
    up to the head again."""
    db = Database.connect(empty_database_url)
    config = db._alembic()
    revisions = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()]
    try:
        command.upgrade(config, "0005")
        _insert_item_at_0005(db)
        command.upgrade(config, "head")
        for revision in revisions:  # newest first
            command.downgrade(config, "-1")
            assert db.current_revision() != revision
        assert "item" not in inspect(db.engine).get_table_names()
        command.upgrade(config, "head")
        assert db.current_revision() == HEAD_REVISION
    finally:
        db.dispose()
