"""Throw-away databases for benchmarks: a SQLite file in a temporary directory, or a fresh
PostgreSQL database (dropped afterwards) on the server named by LINKLETTER_BENCH_POSTGRES_URL or
LINKLETTER_TEST_POSTGRES_URL."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.db import Database


def postgres_server() -> str | None:
    return os.environ.get("LINKLETTER_BENCH_POSTGRES_URL") or os.environ.get(
        "LINKLETTER_TEST_POSTGRES_URL"
    )


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="linkletter-bench-") as directory:
        yield f"sqlite:///{Path(directory) / 'bench.db'}"


@contextmanager
def postgres_url(server: str) -> Iterator[str]:
    name = f"linkletter_bench_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(server).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh(kind: str) -> Iterator[Database]:
    """A migrated, empty database of ``kind`` (``sqlite`` or ``postgres``)."""
    if kind == "sqlite":
        context = sqlite_url()
    else:
        server = postgres_server()
        if server is None:
            raise LookupError("set LINKLETTER_BENCH_POSTGRES_URL for the PostgreSQL figures")
        context = postgres_url(server)
    with context as url:
        db = Database.connect(url)
        db.upgrade()
        try:
            yield db
        finally:
            db.dispose()


def kinds() -> list[str]:
    """SQLite always; PostgreSQL when a server is configured."""
    return ["sqlite", "postgres"] if postgres_server() else ["sqlite"]
