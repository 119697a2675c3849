"""Fixtures: a local HTTP server with test routes, a tripwire port that must stay untouched and
a port nobody listens on."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web

from tests.enrich.servers import LocalServer, ServerLog, Tripwire, build_app


@pytest.fixture(autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """Every test ends its extraction workers (``Enricher.aclose``): none may outlive it."""
    yield
    leaked = multiprocessing.active_children()
    for process in leaked:
        process.kill()
        process.join()
    assert not leaked, f"extraction processes left running: {leaked}"


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    log = ServerLog()
    runner = web.AppRunner(build_app(log), handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield LocalServer(f"http://127.0.0.1:{port}", port, log)
    await runner.cleanup()


@pytest.fixture
async def tripwire() -> AsyncIterator[Tripwire]:
    wire = Tripwire(port=0)

    async def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        wire.connections += 1
        writer.close()

    listener = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    wire.port = listener.sockets[0].getsockname()[1]
    yield wire
    listener.close()
    await listener.wait_closed()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
