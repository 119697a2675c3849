"""A real Synapse for the Matrix tests: started once per session, stopped at the end.

Skipped with a reason when ``matrix-synapse`` (a dev extra) is not installed.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from adapters.matrix.connection import MatrixConnection
from adapters.matrix.settings import MatrixSettings
from bot.config import Config, parse_config
from bot.curate.service import CurationService
from storage.db import Database
from tests.matrix import synapse
from tests.matrix.synapse import Synapse, User

log = logging.getLogger(__name__)


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    if importlib.util.find_spec("synapse") is None:
        pytest.skip("matrix-synapse is not installed (pip install -e '.[dev]')")
    server = synapse.start(tmp_path_factory.mktemp("synapse"))
    log.warning("Synapse started in %.1fs", server.start_seconds)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bot_account(homeserver: Synapse) -> User:
    return homeserver.register("linkletter")


@pytest.fixture(scope="session")
def alice(homeserver: Synapse) -> User:
    user = homeserver.register("alice")
    user.set_name("Alice Example")
    return user


@pytest.fixture(scope="session")
def bob(homeserver: Synapse) -> User:
    return homeserver.register("bob")


def config_for(sources: list[str], publish_to: list[str], editors: list[str]) -> Config:
    quoted = ", ".join
    return parse_config(
        f"""
[[digest]]
name = "weekly"
title = "Weekly — Issue {{number}}"
sources = [{quoted(f'"{s}"' for s in sources)}]
publish_to = [{quoted(f'"{p}"' for p in publish_to)}]
editors = [{quoted(f'"{e}"' for e in editors)}]
"""
    )


def settings_for(server: Synapse, account: User) -> MatrixSettings:
    return MatrixSettings(homeserver=server.url, access_token=account.token)


Connect = Callable[[CurationService], Awaitable[MatrixConnection]]


@pytest.fixture
async def connect(homeserver: Synapse, bot_account: User) -> AsyncIterator[Connect]:
    """Start a connection for a core (stopped at the end of the test)."""
    started: list[MatrixConnection] = []

    async def start(core: CurationService) -> MatrixConnection:
        digests = core.config.digests
        connection = MatrixConnection(
            core,
            settings_for(homeserver, bot_account),
            [s for d in digests for s in d.sources],
            publish_to=[p for d in digests for p in d.publish_to],
            editors=[e for d in digests for e in d.editors],
        )
        await connection.start()
        started.append(connection)
        return connection

    yield start
    for connection in started:
        await connection.stop()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database.connect(f"sqlite:///{tmp_path / 'linkletter.db'}")
    database.upgrade()
    yield database
    database.dispose()
