"""Engines, sessions and schema versions. SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from storage.errors import Conflict, DatabaseUnavailable, SchemaOutOfDate
from storage.unit import UnitOfWork

if TYPE_CHECKING:  # alembic is imported by ``upgrade`` only: see HEAD_REVISION
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions (tests/test_schema.py checks it against alembic's
# script directory). The schema check of `linkletter run` and of every /readyz compares with
# it instead of asking alembic, whose import costs ~10 MB of RSS for the life of the process.
HEAD_REVISION = "0008"
SQLITE_CACHE_KIB = 512
FULL_BELOW_BYTES = 64 * 1024  # a filesystem with less free than this counts as full
READ_ONLY = "linkletter_read_only"  # the execution option of Database.reading's connections
OUTAGE_PATIENCE = 120.0  # seconds Database.write/read wait out an outage before raising
T = TypeVar("T")
log = logging.getLogger(__name__)
__all__ = ["Conflict", "Database", "DatabaseUnavailable", "SchemaOutOfDate", "explain"]


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


FIXES = {
    "disk_full": "the disk holding the database is full: free space there (or move the "
    "database to a larger volume) and retry; nothing was written.",
    "read_only": "the database is read-only: make it writable by this user (for SQLite the "
    "file and its directory, which holds the -wal and -shm files), or point "
    "LINKLETTER_DATABASE_URL at the primary rather than a replica.",
    "permission_denied": "permission denied: give the user Linkletter runs as access to the "
    "database (for SQLite, read and write on the file and its directory; for PostgreSQL, "
    "GRANT on the database and its tables).",
    "locked": "the database is locked by another process for longer than the busy timeout: "
    "wait for it (another `linkletter` command or `linkletter run`) and retry.",
    "unreachable": "cannot reach the database server: check the host and port in "
    "LINKLETTER_DATABASE_URL and that the server is running.",
    "auth_failed": "the database refused the login: check the user name and password in "
    "LINKLETTER_DATABASE_URL.",
    "missing": "the database does not exist on the server: create it (e.g. `createdb NAME`), "
    "then run `linkletter db upgrade`.",
    "io_error": "the disk reported an I/O error: check the disk and the kernel log (`dmesg`), "
    "then retry.",
    "error": "the database refused the work: `linkletter db current` checks the schema; if "
    "it is current, this is a bug worth reporting with this message.",
    "damaged": "the file is not a usable SQLite database (damaged, or another kind of file): "
    "restore it from a backup, or point LINKLETTER_DATABASE_URL at the right file.",
}
_SQLITE_KINDS = {
    "SQLITE_FULL": "disk_full",
    "SQLITE_READONLY": "read_only",
    "SQLITE_PERM": "permission_denied",
    "SQLITE_AUTH": "permission_denied",
    "SQLITE_CANTOPEN": "permission_denied",  # the file exists (explain checks first)
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_NOTADB": "damaged",
    "SQLITE_CORRUPT": "damaged",
}
_POSTGRES_STATES = {
    "53100": "disk_full",
    "25006": "read_only",
    "42501": "permission_denied",
    "55P03": "locked",
    "28P01": "auth_failed",
    "28000": "auth_failed",
    "3D000": "missing",
}
# Connection failures come from libpq with no SQLSTATE: only its message tells them apart.
_POSTGRES_MESSAGES = [
    (re.compile(r'database ".*" does not exist'), "missing"),
    (re.compile(r"password authentication failed|role \".*\" does not exist"), "auth_failed"),
    (re.compile(r"no space left on device", re.IGNORECASE), "disk_full"),
    (re.compile(r"permission denied", re.IGNORECASE), "permission_denied"),
]


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for in-memory databases and other dialects)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):  # a URI filename (?uri=true): file:PATH?mode=ro
        return Path(parsed.database.removeprefix("file:").partition("?")[0])
    return Path(parsed.database)


def is_missing(path: Path) -> bool:
    """The file is not there (a directory we may not search is SQLite's to report)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def missing_file(path: Path) -> DatabaseUnavailable:
    path = path.absolute()  # a relative URL is relative to where the command ran
    if not path.parent.is_dir():
        return DatabaseUnavailable(
            f"the directory {path.parent} of the database file does not exist: create it "
            "(`mkdir -p`), or set LINKLETTER_DATABASE_URL to the file you meant.",
            "missing",
        )
    return DatabaseUnavailable(
        f"the database file {path} does not exist: run `linkletter db upgrade` to create it, "
        "or set LINKLETTER_DATABASE_URL to the file you meant.",
        "missing",
    )


def problem_kind(exc: DBAPIError) -> str:
    """Which of ``FIXES`` a driver error is: by SQLite's error name, PostgreSQL's SQLSTATE,
    or (for libpq's connection failures, which have none) the message. An operational error
    with no SQLSTATE is a connection that failed: unreachable."""
    orig = exc.orig
    name = str(getattr(orig, "sqlite_errorname", ""))
    for prefix, kind in _SQLITE_KINDS.items():  # extended names: SQLITE_READONLY_DBMOVED, ...
        if name == prefix or name.startswith(prefix + "_"):
            return kind
    if name:
        return "io_error" if name.startswith("SQLITE_IOERR") else "error"
    state = getattr(orig, "sqlstate", None)
    if state in _POSTGRES_STATES:
        return _POSTGRES_STATES[state]
    message = str(orig)
    for pattern, kind in _POSTGRES_MESSAGES:
        if pattern.search(message):
            return kind
    return "unreachable" if state is None and isinstance(exc, OperationalError) else "error"


def on_read_only_filesystem(path: Path) -> bool:
    """SQLite cannot open its -wal/-shm files there and says "unable to open" (CANTOPEN)."""
    return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)


def on_full_filesystem(path: Path) -> bool:
    """A write that fails for want of space is often "disk I/O error" (IOERR), not FULL."""
    found = os.statvfs(path.parent)
    return found.f_bavail * found.f_frsize < FULL_BELOW_BYTES


# Problems that waiting does not mend: an operator must act. Every other kind (a server
# restarting, a lock, a full disk being cleared) is waited out by the callers that retry.
LASTING_KINDS = frozenset({"read_only", "permission_denied", "missing", "damaged", "auth_failed"})


def explain(exc: DBAPIError, url: str) -> DatabaseUnavailable:
    """The operator's version of a driver error: what is wrong, where, and the fix."""
    path = sqlite_file(url)
    if path is not None and is_missing(path):
        return missing_file(path)
    kind = problem_kind(exc)
    if kind == "permission_denied" and path is not None and on_read_only_filesystem(path):
        kind = "read_only"
    if kind == "io_error" and path is not None and on_full_filesystem(path):
        kind = "disk_full"
    where = str(path) if path is not None else safe_url(url)
    waitable = isinstance(exc, OperationalError) and kind not in LASTING_KINDS
    return DatabaseUnavailable(f"database {where}: {FIXES[kind]} ({_detail(exc)})", kind, waitable)


def _detail(exc: DBAPIError) -> str:
    """The driver's message, first line only."""
    return str(exc.orig).strip().partition("\n")[0]


class Database:
    """One engine plus the schema-version checks around it."""

    def __init__(self, engine: Engine, outage_patience: float = OUTAGE_PATIENCE) -> None:
        self.engine = engine
        self.outage_patience = outage_patience

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @classmethod
    def connect(cls, url: str, *, create: bool = True) -> Database:
        """``create=False``: a SQLite file that does not exist is an error, not a new empty
        database (every command but ``db upgrade``)."""
        url = normalise_url(url)
        path = sqlite_file(url)
        if not create and path is not None and is_missing(path):
            raise missing_file(path)
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

    # --- units of work ----------------------------------------------------------------------
    async def write(self, work: Callable[[UnitOfWork], T], *, patience: float | None = None) -> T:
        """``work`` in one transaction on a worker thread, never on the event loop.

        While the database is unreachable (a restart, a failover, a full disk), the work waits
        and is retried with backoff for up to ``patience`` seconds (``outage_patience`` unless
        given), so work arriving during a short outage is done when it ends instead of being
        lost. Past the patience ``DatabaseUnavailable`` is raised, and at once for a problem
        that waiting cannot mend (a read-only or missing database, a refused login). A
        unique-key race with another process is retried once, then raised as ``Conflict``.
        """
        return await self._waiting(lambda: self.write_now(work), patience)

    @contextmanager
    def unit(self) -> Iterator[UnitOfWork]:
        """A unit whose work commits at the end of the block, or rolls back entirely; no retry
        (the CLI's commands fail with the explanation instead)."""
        with self._translated(), self.session() as session:
            yield UnitOfWork(session, self._explain)

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """A unit for reads only: its transaction is rolled back at the end of the block.
        The objects it loaded stay usable (detached first, so the rollback does not expire them).
        """
        engine = self.engine.execution_options(**{READ_ONLY: True})
        with self._translated(), Session(engine, expire_on_commit=False) as session:
            try:
                yield UnitOfWork(session, self._explain)
            finally:
                session.expunge_all()
                session.rollback()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back entirely (for
        storage itself and for tests that inspect rows; everything else goes through units)."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def _explain(self, exc: DBAPIError) -> DatabaseUnavailable:
        return explain(exc, self.url)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Driver errors leave storage as its own: ``Conflict`` or ``DatabaseUnavailable``."""
        try:
            yield
        except IntegrityError as error:
            raise Conflict(f"database {safe_url(self.url)}: {_detail(error)}") from error
        except DBAPIError as error:
            raise self._explain(error) from error
        except SQLAlchemyError as error:  # not the driver's: the pool's timeout, for one
            raise DatabaseUnavailable(f"database {safe_url(self.url)}: {error}", "error") from error

    def write_now(self, work: Callable[[UnitOfWork], T]) -> T:
        """``write`` in this thread without the outage retry (scripts outside an event loop);
        a unique-key race with another process is retried once all the same."""
        for attempt in (1, 2):
            try:
                with self.unit() as uow:
                    return work(uow)
            except Conflict:
                if attempt == 2:
                    raise
                log.info("unique-key race with another writer; retrying once")
        raise AssertionError("unreachable")

    async def _waiting(self, attempt: Callable[[], T], patience: float | None) -> T:
        limit = self.outage_patience if patience is None else patience
        waited, delay = 0.0, 0.5
        while True:
            try:
                return await asyncio.to_thread(attempt)
            except DatabaseUnavailable as error:
                if waited >= limit or not error.waitable:
                    raise
                log.warning("database unavailable; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                waited, delay = waited + delay, min(delay * 2, 5.0)

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
        except DBAPIError as exc:
            raise explain(exc, self.url) from exc

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (``linkletter db upgrade``)."""
        from alembic import command

        self.current_revision()  # a clear message when the database cannot be used
        with self._translated():
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
