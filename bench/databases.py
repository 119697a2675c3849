"""Throw-away databases for benchmarks: a SQLite file in a temporary directory, or a fresh
PostgreSQL database (dropped afterwards) on the server named by LINKLETTER_BENCH_POSTGRES_URL or
LINKLETTER_TEST_POSTGRES_URL; or one kept across runs (``kept``), to time a change on the same
large database without building it again."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url

from storage.db import Database


def postgres_server() -> str | None:
    return os.environ.get("LINKLETTER_BENCH_POSTGRES_URL") or os.environ.get(
        "LINKLETTER_TEST_POSTGRES_URL"
    )


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="linkletter-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


def _admin(server: str) -> tuple[URL, Engine]:
    """The server's URL and an engine on it that can create and drop databases."""
    admin_url = make_url(server).set(drivername="postgresql+psycopg")
    return admin_url, create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _database_url(admin_url: URL, name: str) -> str:
    return admin_url.set(database=name).render_as_string(hide_password=False)


@contextmanager
def postgres_url(server: str) -> Iterator[str]:
    name = f"linkletter_bench_{uuid.uuid4().hex[:10]}"
    admin_url, admin = _admin(server)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _database_url(admin_url, name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _server() -> str:
    server = postgres_server()
    if server is None:
        raise LookupError("set LINKLETTER_BENCH_POSTGRES_URL for the PostgreSQL figures")
    return server


@contextmanager
def _migrated(url: str) -> Iterator[Database]:
    db = Database.connect(url)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def fresh(kind: str) -> Iterator[Database]:
    """A migrated, empty database of ``kind`` (``sqlite`` or ``postgres``)."""
    context = sqlite_url() if kind == "sqlite" else postgres_url(_server())
    with context as url, _migrated(url) as db:
        yield db


def kept_url(kind: str, where: str) -> str:
    """The SQLite file ``where``, or the PostgreSQL database named ``where`` (created if it
    does not exist yet); neither is removed afterwards."""
    if kind == "sqlite":
        return f"sqlite:///{Path(where).resolve()}"
    admin_url, admin = _admin(_server())
    with admin.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": where}
        )
        if found.first() is None:
            connection.execute(text(f'CREATE DATABASE "{where}"'))
    admin.dispose()
    return _database_url(admin_url, where)


@contextmanager
def kept(kind: str, where: str) -> Iterator[Database]:
    """A migrated database of ``kind`` kept at ``where`` across runs, as an earlier run left it."""
    with _migrated(kept_url(kind, where)) as db:
        yield db


def kinds() -> list[str]:
    """SQLite always; PostgreSQL when a server is configured."""
    return ["sqlite", "postgres"] if postgres_server() else ["sqlite"]
