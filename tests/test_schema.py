"""The schema check that ``linkletter run`` and ``/readyz`` make without importing alembic, and
the SQLite connection settings."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

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
