"""Engines, sessions and schema versions. SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

if TYPE_CHECKING:  # alembic is imported by ``upgrade`` only: see HEAD_REVISION
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (tests/test_schema.py checks it against alembic's
# script directory). The schema check of `linkletter run` and of every /readyz compares with
# it instead of asking alembic, whose import costs ~10 MB of RSS for the life of the process.
HEAD_REVISION = "0002"
SQLITE_CACHE_KIB = 512
READ_ONLY = "linkletter_read_only"  # the execution option of Database.reading's connections
T = TypeVar("T")


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message says which and how to fix it."""


class SchemaOutOfDate(Exception):
    """The database schema is older (or newer) than this code expects."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # 512 KiB of page cache per connection instead of 2 MiB: the pool keeps one connection per busy
    # worker thread (5-6 under load) and their caches were most of the RSS growth past 2,500
    # events (docs/benchmarks.md, Memory); the pages are in the OS cache anyway.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()
    dbapi_connection.isolation_level = None  # the driver's own BEGIN is replaced by _begin


def _begin_immediate(connection: Any) -> None:
    """Start every SQLite transaction as a writer (``BEGIN IMMEDIATE``), except readers'.

    A transaction that reads first and writes later cannot wait for the write lock: SQLite
    fails it at once with "database is locked", whatever the busy timeout. Taking the lock at
    BEGIN lets concurrent transactions (the core, the enrichment worker, the scheduler, web
    pages) queue for up to ``busy_timeout`` instead; each holds the lock for milliseconds.
    Sessions of :meth:`Database.reading` never write, so they take a WAL snapshot (plain
    ``BEGIN``) and queue behind no writer.
    """
    reader = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def normalise_url(url: str) -> str:
    """Let operators write ``postgresql://`` and still get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """One engine plus the schema-version checks around it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str) -> Database:
        url = normalise_url(url)
        if url.startswith("sqlite"):
            memory = url in ("sqlite://", "sqlite:///:memory:")
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                poolclass=StaticPool if memory else None,
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _begin_immediate)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        return cls(engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back entirely."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: its transaction is rolled back at the end of the block.
        The objects it loaded stay usable (detached first, so the rollback does not expire them).
        """
        engine = self.engine.execution_options(**{READ_ONLY: True})
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
            finally:
                session.expunge_all()
                session.rollback()

    async def transaction(self, work: Callable[[Session], T]) -> T:
        """``work`` in one transaction on a worker thread, never on the event loop."""

        def run() -> T:
            with self.session() as session:
                return work(session)

        return await asyncio.to_thread(run)

    def _alembic(self) -> AlembicConfig:
        from alembic.config import Config as AlembicConfig

        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = self.engine
        return config

    def head_revision(self) -> str:
        return HEAD_REVISION

    def current_revision(self) -> str | None:
        """The revision alembic recorded in the database, read without alembic."""
        try:
            with self.engine.connect() as connection:
                if not inspect(connection).has_table("alembic_version"):
                    return None
                query = text("SELECT version_num FROM alembic_version")
                revision: str | None = connection.execute(query).scalar_one_or_none()
                return revision
        except OperationalError as exc:
            raise DatabaseUnavailable(
                f"cannot reach the database at {safe_url(str(self.engine.url))}: "
                f"{exc.orig}. Check LINKLETTER_DATABASE_URL and that the server is running."
            ) from exc

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (``linkletter db upgrade``)."""
        from alembic import command

        self.current_revision()  # a clear message when the server is down
        command.upgrade(self._alembic(), "head")

    def require_current_schema(self) -> None:
        current, head = self.current_revision(), self.head_revision()
        if current != head:
            raise SchemaOutOfDate(
                f"the database schema is at {current or 'nothing (empty database)'}, this "
                f"version of Linkletter needs {head}: run `linkletter db upgrade` first."
            )

    def dispose(self) -> None:
        self.engine.dispose()
