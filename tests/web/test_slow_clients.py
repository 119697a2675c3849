"""Slow and silent clients against the real server on 127.0.0.1, over real sockets (issue 18):
a request sent one byte at a time (slowloris), or never sent, is disconnected at the request
deadline; a slow but complete request is served; past the connection limit, 503."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.web import WebServer
from storage.db import Database
from tests.web.conftest import archive_config, make_app

DEADLINE = 1.0
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture
async def server(db: Database, tmp_path: Path) -> AsyncIterator[WebServer]:
    app = make_app(archive_config(tmp_path), db)
    web = WebServer(
        app,
        "127.0.0.1",
        0,
        log_level="warning",
        request_timeout=DEADLINE,
        keep_alive_timeout=3,
        max_connections=3,
    )
    await web.start()
    yield web
    await web.stop()


async def connect(server: WebServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


async def trickle(writer: asyncio.StreamWriter, data: bytes, interval: float) -> None:
    """Send ``data`` one byte at a time; stop quietly when the server hangs up."""
    for byte in data:
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(interval)


async def seconds_until_closed(reader: asyncio.StreamReader, limit: float = 10.0) -> float:
    """How long until the server closes the connection (EOF or reset), at most ``limit``."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(limit):
            while await reader.read(1024):
                pass
    except ConnectionError:
        pass
    return time.monotonic() - started


async def read_response(reader: asyncio.StreamReader) -> bytes:
    """One whole response (head and ``Content-Length`` body), leaving the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    fields = dict(line.split(b": ", 1) for line in head.lower().split(b"\r\n")[1:] if line)
    return head + await reader.readexactly(int(fields[b"content-length"]))


async def get_status(server: WebServer, request: bytes = REQUEST) -> int:
    reader, writer = await connect(server)
    writer.write(request)
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_headers_one_byte_at_a_time_are_cut_off_at_the_deadline(server: WebServer) -> None:
    """Slowloris: before, uvicorn kept this connection open for as long as bytes kept coming."""
    reader, writer = await connect(server)
    endless = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: a\r\n" * 1000
    sending = asyncio.create_task(trickle(writer, endless, 0.05))
    open_for = await seconds_until_closed(reader)
    sending.cancel()
    writer.close()
    assert DEADLINE * 0.9 <= open_for < DEADLINE + 1.0


async def test_a_connection_that_sends_nothing_is_closed_at_the_deadline(
    server: WebServer,
) -> None:
    reader, writer = await connect(server)
    open_for = await seconds_until_closed(reader)
    writer.close()
    assert DEADLINE * 0.9 <= open_for < DEADLINE + 1.0


async def test_a_slow_body_is_cut_off_too(server: WebServer) -> None:
    reader, writer = await connect(server)
    head = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"
    writer.write(head)
    sending = asyncio.create_task(trickle(writer, b"{" * 1000, 0.05))
    open_for = await seconds_until_closed(reader)
    sending.cancel()
    writer.close()
    assert open_for < DEADLINE + 1.0


async def test_a_slow_but_complete_request_is_served(server: WebServer) -> None:
    reader, writer = await connect(server)
    await trickle(writer, REQUEST, DEADLINE * 0.5 / len(REQUEST))
    status_line = await reader.readline()
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 200")


async def test_the_next_request_on_a_kept_alive_connection_has_its_own_deadline(
    server: WebServer,
) -> None:
    """Served once, then a second request that never ends is cut off like the first would be."""
    reader, writer = await connect(server)
    writer.write(REQUEST)
    assert (await read_response(reader)).startswith(b"HTTP/1.1 200")
    sending = asyncio.create_task(trickle(writer, REQUEST[:-2] + b"X: y\r\n" * 1000, 0.05))
    open_for = await seconds_until_closed(reader)
    sending.cancel()
    writer.close()
    assert open_for < DEADLINE + 1.0  # not the keep-alive timeout (3 s) nor forever


async def test_past_the_connection_limit_requests_get_503_until_slow_clients_are_cut_off(
    server: WebServer,
) -> None:
    silent = [await connect(server) for _ in range(3)]
    assert await get_status(server) == 503
    await asyncio.gather(*(seconds_until_closed(reader) for reader, _ in silent))
    assert await get_status(server) == 200
    for _, writer in silent:
        writer.close()
