"""uvicorn inside an event loop the caller owns (``linkletter run``), next to the adapters.

The caller keeps its signal handlers: uvicorn's are switched off, and ``stop()`` is how the
server is told to finish. The listening socket is bound here, before uvicorn starts, so a busy
port is an ``OSError`` raised to the caller (uvicorn itself would ``sys.exit``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the application that embeds us handles SIGINT/SIGTERM and calls stop()


class WebServer:
    """``await start()`` returns once requests are served; ``await stop()`` drains and closes."""

    def __init__(self, app: ASGIApp, host: str, port: int, *, log_level: str | None = None) -> None:
        """uvicorn's loggers keep the levels ``bot.logs.configure`` gave them (WARNING unless
        ``--verbose``: its banner and its access log of every health probe are INFO) unless
        ``log_level`` is given."""
        self.host = host
        self.requested_port = port
        self.config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # the application configures logging
            log_level=log_level,
            lifespan="off",
            server_header=False,
            proxy_headers=True,  # trusts X-Forwarded-* from $FORWARDED_ALLOW_IPS (127.0.0.1)
            timeout_graceful_shutdown=5,
        )
        self.server = _EmbeddedServer(self.config)
        self._socket: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._socket is None:
            raise RuntimeError("the web server is not started")
        return int(self._socket.getsockname()[1])

    async def start(self) -> None:
        self._socket = self._bind()
        self._task = asyncio.create_task(self.server.serve(sockets=[self._socket]))
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError("the web server stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.server.should_exit = True
        await self._task
        self._task = None
        if self._socket is not None:
            self._socket.close()

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            return socket.create_server((self.host, self.requested_port), family=family)
        except OSError as exc:
            exc.add_note(f"cannot listen on {self.host}:{self.requested_port} (web.host/web.port)")
            raise
