"""Real HTTP server on 127.0.0.1 for the enrichment tests, plus spies at resolver and transport.

The spies only watch (and, for addresses we pretend are public, route to the local server): the
requests are made by real httpx over real sockets.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiohttp import web

from tests.enrich import hostile

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "enrich"
READABILITY = FIXTURES.parent / "readability"
# Documentation-free public addresses we pretend to resolve names to; SpyTransport routes them
# to the local server so the test sees where the connection was aimed.
FAKE_PUBLIC_IP = "93.184.216.34"
OTHER_PUBLIC_IP = "93.184.216.35"


@dataclass
class ServerLog:
    hits: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    hosts: list[str] = field(default_factory=list)
    completed: set[str] = field(default_factory=set)  # handlers that wrote their whole body
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # per Host
    peak_per_host: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    peak_total: int = 0

    def record(self, request: web.Request) -> None:
        self.hits[request.path].append(time.monotonic())
        self.hosts.append(request.headers.get("Host", ""))


LOG = web.AppKey("log", ServerLog)


@dataclass
class LocalServer:
    base: str  # http://127.0.0.1:PORT
    port: int
    log: ServerLog

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


async def _page(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    path = READABILITY / name / "source.html"
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(body=path.read_bytes(), content_type="text/html", charset="utf-8")


def _fixture_route(filename: str, content_type: str) -> Handler:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=(FIXTURES / filename).read_bytes(), content_type=content_type)

    return handler


async def _hops(request: web.Request) -> web.Response:
    """/hops/N redirects N times, then serves a page."""
    remaining = int(request.match_info["n"])
    if remaining == 0:
        return web.Response(text="<html><title>Arrived</title></html>", content_type="text/html")
    raise web.HTTPFound(f"/hops/{remaining - 1}")


async def _redirect_to(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["target"])


async def _hostile(request: web.Request) -> web.Response:
    """The hostile documents of tests/enrich/hostile.py, built once each."""
    name = request.match_info["name"]
    if name not in _HOSTILE:
        raise web.HTTPNotFound()
    body, content_type = _HOSTILE[name]
    return web.Response(body=body(), content_type=content_type)


_HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "stray-end-tags": (hostile.stray_end_tags_page, "text/html"),
    "hidden-end-tags": (hostile.hidden_end_tags_page, "text/html"),
    "shared-stream.pdf": (hostile.shared_stream_pdf, "application/pdf"),
}


async def _raw_redirect(request: web.Request) -> web.Response:
    """A redirect whose Location is the ``to`` query parameter exactly as given (malformed too)."""
    return web.Response(status=302, headers={"Location": request.query["to"]})


async def _hang_up(request: web.Request) -> web.Response:
    """Closes the connection without an answer."""
    assert request.transport is not None
    request.transport.close()
    return web.Response()


async def _html(request: web.Request) -> web.Response:
    """Serves the ``body`` query parameter as a page (for small, test-written pages)."""
    return web.Response(text=request.query["body"], content_type="text/html")


async def _stream(request: web.Request) -> web.StreamResponse:
    """``total`` bytes of HTML in 16 KiB chunks, chunked (no Content-Length)."""
    total = int(request.query["total"])
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    chunk = b"<p>" + b"x" * (16_384 - 3)
    for _ in range(total // len(chunk)):
        await response.write(chunk)
    request.app[LOG].completed.add(request.path)
    return response


async def _huge_length(request: web.Request) -> web.StreamResponse:
    """Announces 100 MB, sends a little, then stalls: a client that reads would wait."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.content_length = 100_000_000
    await response.prepare(request)
    await response.write(b"<html>")
    await asyncio.sleep(30)
    request.app[LOG].completed.add(request.path)
    return response


_BOMB = gzip.compress(b"<html><body>" + b"\0" * 50_000_000, compresslevel=9)


async def _gzip_bomb(_request: web.Request) -> web.Response:
    """~50 KB on the wire, 50 MB decoded."""
    return web.Response(
        body=_BOMB, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
    )


async def _slow(request: web.Request) -> web.StreamResponse:
    """One byte a second, forever (for the test's purposes)."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    for _ in range(60):
        await response.write(b"x")
        await asyncio.sleep(1)
    request.app[LOG].completed.add(request.path)
    return response


async def _flaky(request: web.Request) -> web.Response:
    """First answer: the status and Retry-After given in the query; later answers: a page."""
    hits = request.app[LOG].hits[request.path]
    if len(hits) == 1:
        headers = (
            {"Retry-After": request.query["retry_after"]} if "retry_after" in request.query else {}
        )
        return web.Response(status=int(request.query["status"]), headers=headers)
    return web.Response(text="<html><title>Recovered</title></html>", content_type="text/html")


async def _delay(request: web.Request) -> web.Response:
    """Answers a small page after ``seconds``, tracking how many requests overlap."""
    log = request.app[LOG]
    host = request.headers.get("Host", "")
    log.in_flight[host] += 1
    log.peak_per_host[host] = max(log.peak_per_host[host], log.in_flight[host])
    log.peak_total = max(log.peak_total, sum(log.in_flight.values()))
    try:
        await asyncio.sleep(float(request.query["seconds"]))
    finally:
        log.in_flight[host] -= 1
    return web.Response(text="<html><title>Delayed</title></html>", content_type="text/html")


async def _status(request: web.Request) -> web.Response:
    return web.Response(status=int(request.match_info["code"]), text="nope")


@web.middleware
async def _log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    request.app[LOG].record(request)
    return await handler(request)


def build_app(log: ServerLog) -> web.Application:
    app = web.Application(middlewares=[_log_requests])
    app[LOG] = log
    app.router.add_get("/pages/{name}", _page)
    app.router.add_get("/abs/2103.03206v2", _fixture_route("arxiv-2103.03206v2.html", "text/html"))
    app.router.add_get("/encode/httpx", _fixture_route("github-repo.html", "text/html"))
    app.router.add_get("/spec.pdf", _fixture_route("shared-mime-info-spec.pdf", "application/pdf"))
    app.router.add_get(
        "/spec-served-as-html", _fixture_route("shared-mime-info-spec.pdf", "text/html")
    )
    app.router.add_get("/oembed/youtube", _fixture_route("youtube-oembed.json", "application/json"))
    app.router.add_get("/oembed/vimeo", _fixture_route("vimeo-oembed.json", "application/json"))
    app.router.add_get("/hops/{n}", _hops)
    app.router.add_get("/redirect-to", _redirect_to)
    app.router.add_get("/hostile/{name}", _hostile)
    app.router.add_get("/raw-redirect", _raw_redirect)
    app.router.add_get("/hang-up", _hang_up)
    app.router.add_get("/html", _html)
    app.router.add_get("/stream", _stream)
    app.router.add_get("/huge-length", _huge_length)
    app.router.add_get("/gzip-bomb", _gzip_bomb)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/flaky", _flaky)
    app.router.add_get("/status/{code}", _status)
    app.router.add_get("/delay", _delay)
    return app


@dataclass
class Tripwire:
    """A listening socket that must never be connected to."""

    port: int
    connections: int = 0


class SpyResolver:
    """An injectable resolver answering from a table (one answer list per call, in turn)."""

    def __init__(self, answers: dict[str, Iterable[list[str]]] | None = None) -> None:
        self._answers = {host: list(replies) for host, replies in (answers or {}).items()}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        replies = self._answers.get(host)
        if not replies:
            raise OSError(f"no DNS answer for {host}")
        return replies.pop(0) if len(replies) > 1 else replies[0]


class SpyTransport(httpx.AsyncBaseTransport):
    """Real httpx transport that records each request it is asked to send.

    Requests aimed at ``routes`` addresses (pretend-public IPs) are delivered to 127.0.0.1 on
    the mapped port, so a test can check where the fetcher aimed its connection.
    """

    def __init__(self, routes: dict[str, int] | None = None) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._routes = routes or {}
        self.requests: list[httpx.Request] = []
        self.aimed_at: list[str] = []  # the host each request was aimed at, before routing

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.aimed_at.append(request.url.host)
        port = self._routes.get(request.url.host)
        if port is not None:
            request.url = request.url.copy_with(host="127.0.0.1", port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
