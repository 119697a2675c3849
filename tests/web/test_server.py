"""The embedded uvicorn server: it leaves the host application's signal handlers alone, reports
a busy port as an error, and stops cleanly."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx
import pytest

from bot.web import WebServer
from storage.db import Database
from tests.web.conftest import archive_config, make_app


async def test_serves_until_stopped_and_keeps_the_callers_signal_handlers(
    db: Database, tmp_path: Path
) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = WebServer(make_app(archive_config(tmp_path), db), "127.0.0.1", 0, log_level="warning")
    await server.start()
    url = f"http://127.0.0.1:{server.port}/healthz"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 200
        during = {sig: signal.getsignal(sig) for sig in before}
        await server.stop()
        with pytest.raises(httpx.ConnectError):
            await client.get(url)
    assert during == before


async def test_a_busy_port_is_an_error_for_the_caller(db: Database, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = WebServer(make_app(archive_config(tmp_path), db), "127.0.0.1", port)
        with pytest.raises(OSError, match="Address already in use") as raised:
            await server.start()
    assert "web.host/web.port" in " ".join(raised.value.__notes__)
