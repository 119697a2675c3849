"""Shared fixtures: real databases (SQLite files and, when configured, PostgreSQL) and a guard
that fails any test trying to reach beyond 127.0.0.1 (there is no internet, and tests must not
depend on it)."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.db import Database

POSTGRES_URL = os.environ.get("LINKLETTER_TEST_POSTGRES_URL")

# Locally, property tests explore new random examples on every run (that is how they find
# bugs); in CI they replay a fixed, reproducible set, so a red build always reproduces.
settings.register_profile("explore", max_examples=300)
settings.register_profile("ci", derandomize=True, max_examples=300)
settings.load_profile("ci" if os.environ.get("CI") else "explore")


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything connects outside the loopback range."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(method: Any) -> Any:
        def connect(self: socket.socket, address: Any) -> Any:
            if not _is_local(address):
                raise AssertionError(f"test tried to reach the network: {address!r}")
            return method(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))


def _postgres_database() -> Iterator[str]:
    assert POSTGRES_URL
    name = f"linkletter_test_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("LINKLETTER_TEST_POSTGRES_URL is not set")
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database without any schema (for migration tests): SQLite or PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        if not POSTGRES_URL:
            pytest.skip("LINKLETTER_TEST_POSTGRES_URL is not set")
        yield from _postgres_database()


@pytest.fixture(scope="session")
def _postgres_db(postgres_url: str) -> Iterator[Database]:
    db = Database.connect(postgres_url)
    db.upgrade()
    yield db
    db.dispose()


def _truncate(db: Database) -> None:
    with db.engine.begin() as connection:
        tables = (
            connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: a real SQLite file, or the real local PostgreSQL."""
    if request.param == "sqlite":
        database = Database.connect(f"sqlite:///{tmp_path / 'linkletter.db'}")
        database.upgrade()
        yield database
        database.dispose()
    else:
        database = request.getfixturevalue("_postgres_db")
        _truncate(database)
        yield database
