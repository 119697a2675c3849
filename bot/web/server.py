"""uvicorn inside an event loop the caller owns (``linkletter run``), next to the adapters.

The caller keeps its signal handlers: uvicorn's are switched off, and ``stop()`` is how the
server is told to finish. The listening socket is bound here, before uvicorn starts, so a busy
port is an ``OSError`` raised to the caller (uvicorn itself would ``sys.exit``).

Slow clients: uvicorn's ``timeout_keep_alive`` only runs between requests, so a client that
sends its request one byte at a time (slowloris), or nothing at all, held a connection open
forever. ``RequestDeadlineProtocol`` gives each request ``request_timeout`` seconds from the
connection (or the previous response) to the last byte of its body, then closes it; and
``limit_concurrency`` answers 503 instead of piling up work past that many connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_TIMEOUT = 10.0  # seconds to send a whole request (headers and body)
KEEP_ALIVE_TIMEOUT = 5  # seconds an idle keep-alive connection stays open (uvicorn's default)
MAX_CONNECTIONS = 200  # beyond this many open connections or tasks, new requests get 503


class RequestDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for reading each request.

    The timer starts when the connection opens and again after each response; it stops once
    h11 has the whole request. A client still sending (or silent) at the deadline is
    disconnected. Subclasses set ``request_timeout`` (see ``deadline_protocol``).
    """

    request_timeout: float = REQUEST_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._stop_deadline()  # the request is all in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._start_deadline()  # for the next request on this keep-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def _start_deadline(self) -> None:
        self._stop_deadline()
        self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _stop_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.logger.debug("closing a connection that did not send its request in time")
            self.transport.close()


def deadline_protocol(request_timeout: float) -> type[RequestDeadlineProtocol]:
    """The protocol class uvicorn instantiates per connection, with this deadline."""
    return type(
        "RequestDeadlineProtocol", (RequestDeadlineProtocol,), {"request_timeout": request_timeout}
    )


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the application that embeds us handles SIGINT/SIGTERM and calls stop()


class WebServer:
    """``await start()`` returns once requests are served; ``await stop()`` drains and closes."""

    def __init__(
        self,
        app: ASGIApp,
        host: str,
        port: int,
        *,
        log_level: str | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
        keep_alive_timeout: int = KEEP_ALIVE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        """uvicorn's loggers keep the levels ``bot.app.logs.configure`` gave them (WARNING unless
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
            http=deadline_protocol(request_timeout),
            timeout_keep_alive=keep_alive_timeout,
            limit_concurrency=max_connections,
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
