"""Fetch one page safely: guarded addresses, pinned connections, bounded size and time.

Every hop (the first request and each redirect) is checked by :mod:`bot.enrich.safety`, the host is
resolved once and the request is sent to the checked IP with the original ``Host`` header and, for
TLS, the ``sni_hostname`` extension so certificates are still verified against the name. Keep-alive
is off so a TLS connection verified for one name is never reused for another name on the same IP.
"""

from __future__ import annotations

import asyncio
import email.utils
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin

import httpx

from bot.enrich.model import FetchFailed, FetchRefused
from bot.enrich.safety import (
    CheckedURL,
    IPAddress,
    Resolver,
    check_url,
    resolve_checked,
    system_resolver,
)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf"})
PAGE_TYPES = HTML_TYPES | PDF_TYPES
JSON_TYPES = frozenset({"application/json", "text/json", "application/json+oembed"})

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TRANSIENT_CLIENT_STATUSES = frozenset({408, 425, 429})
_ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,application/json;q=0.8"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How pages are fetched. The owner's config fills it from ``[fetch]`` and the environment."""

    allow_private_networks: bool = False  # only for tests and closed intranets
    max_bytes: int = 5_000_000  # decoded body size cap
    timeout: float = 20.0  # total deadline for one fetch, all redirect hops and the body included
    connect_timeout: float = 5.0
    max_redirects: int = 5
    user_agent: str = "LinkletterBot/0.1 (link preview for team newsletters)"
    global_concurrency: int = 16
    per_host_concurrency: int = 2
    max_attempts: int = 3
    backoff_base: float = 1.0  # seconds; attempt n waits backoff_base * 2**(n-1) or Retry-After
    max_retry_wait: float = 60.0  # a longer Retry-After is handed to the caller instead of slept
    budget: float = 30.0  # seconds of wall clock for one page: fetch and extraction together
    extract_processes: int = 2  # worker processes for extraction (started at the first page)


@dataclass(frozen=True, slots=True)
class FetchedPage:
    final_url: str  # the URL as named (never the pinned IP) after redirects
    media_type: str  # lower-case, without parameters, e.g. "text/html"
    content_type: str | None  # the full header, with its charset if any
    body: bytes  # decoded (gzip/deflate undone), at most ``max_bytes``


class SafeFetcher:
    """GETs pages through the SSRF guard. One instance per process; close with :meth:`aclose`."""

    def __init__(
        self,
        settings: FetchSettings,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._resolver = resolver or system_resolver
        self._client = httpx.AsyncClient(
            transport=transport
            or httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0)),
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            follow_redirects=False,
            trust_env=False,  # an environment proxy would resolve names itself, unchecked
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            headers={
                "User-Agent": settings.user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip, deflate",  # the only codings the bounded decoder knows
            },
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, accept: frozenset[str] = PAGE_TYPES) -> FetchedPage:
        """Fetch ``url``; raise :class:`FetchRefused` (final) or :class:`FetchFailed` (may pass)."""
        try:
            async with asyncio.timeout(self._settings.timeout):
                return await self._follow_redirects(url, accept)
        except TimeoutError:
            raise FetchFailed(f"no complete answer within {self._settings.timeout} s") from None
        except _FETCH_ERRORS as error:
            raise fetch_failure(error) from None

    async def _follow_redirects(self, url: str, accept: frozenset[str]) -> FetchedPage:
        current = url
        allow_private = self._settings.allow_private_networks
        for _hop in range(self._settings.max_redirects + 1):
            checked = check_url(current, allow_private_networks=allow_private)
            response = await self._send(checked)
            try:
                location = response.headers.get("Location")
                if response.status_code not in _REDIRECT_STATUSES or not location:
                    _raise_for_status(response)
                    return await self._read_body(response, str(checked.url), accept)
            finally:
                await response.aclose()
            current = urljoin(str(checked.url), location)
        raise FetchRefused(f"more than {self._settings.max_redirects} redirects")

    async def _send(self, checked: CheckedURL) -> httpx.Response:
        """Send to the checked addresses in turn; the next is tried only if connecting fails."""
        addresses = await resolve_checked(
            checked, self._resolver, allow_private_networks=self._settings.allow_private_networks
        )
        for address in addresses[:-1]:
            try:
                return await self._send_to(checked, address)
            except httpx.ConnectError:
                continue
        return await self._send_to(checked, addresses[-1])

    async def _send_to(self, checked: CheckedURL, address: IPAddress) -> httpx.Response:
        extensions = {}
        if checked.address is None and checked.url.scheme == "https":
            extensions["sni_hostname"] = checked.host
        request = self._client.build_request(
            "GET",
            checked.url.copy_with(host=str(address)),
            headers={"Host": checked.url.netloc.decode("ascii")},
            extensions=extensions,
        )
        return await self._client.send(request, stream=True)

    async def _read_body(
        self, response: httpx.Response, final_url: str, accept: frozenset[str]
    ) -> FetchedPage:
        content_type = response.headers.get("Content-Type")
        media_type = _media_type(content_type)
        if media_type is not None and media_type not in accept:
            raise FetchRefused(f"content type not accepted: {media_type}")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._settings.max_bytes:
            raise FetchRefused(f"Content-Length {declared} is over {self._settings.max_bytes}")
        body = BoundedBody(response.headers.get("Content-Encoding", ""), self._settings.max_bytes)
        async for chunk in response.aiter_raw():
            body.feed(chunk)
        data = body.finish()
        media_type = media_type or sniff_media_type(data)
        if media_type not in accept:
            raise FetchRefused(f"content type not accepted: {media_type or 'unknown'}")
        return FetchedPage(final_url, media_type, content_type, data)


class BoundedBody:
    """Undo gzip/deflate while counting DECODED bytes: a compression bomb stops at the cap.

    ``zlib``'s ``max_length`` keeps each step's output within the remaining budget, so memory
    never grows beyond the cap however well the body compresses.
    """

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip() for c in content_encoding.lower().split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in {"gzip", "x-gzip", "deflate"}):
            raise FetchRefused(f"content encoding not supported: {content_encoding}")
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        # MAX_WBITS | 32 detects zlib and gzip headers; raw deflate is tried if that fails.
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32) if codings else None
        self._may_be_raw_deflate = codings == ["deflate"]

    def feed(self, data: bytes) -> None:
        if self._zlib is None:
            self._keep(data)
            return
        while data and not self._zlib.eof:
            self._keep(self._decompress(data))
            data = self._zlib.unconsumed_tail

    def finish(self) -> bytes:
        if self._zlib is not None:
            self._keep(self._zlib.flush(self._budget()))
        return b"".join(self._parts)

    def _decompress(self, data: bytes) -> bytes:
        assert self._zlib is not None
        try:
            return self._zlib.decompress(data, self._budget())
        except zlib.error as error:
            if self._may_be_raw_deflate and self._size == 0:
                self._may_be_raw_deflate = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._decompress(data)
            raise FetchRefused(f"body cannot be decoded: {error}") from None

    def _budget(self) -> int:
        return self._limit - self._size + 1  # one byte more than allowed reveals an overflow

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._limit:
            raise FetchRefused(f"body is over {self._limit} bytes")
        self._parts.append(data)


# Everything the fetch path raises besides our own two: httpx's classes (httpx.HTTPError covers
# transport, protocol, decoding and redirect errors), the URL parsers' (urljoin's ValueError, idna's
# UnicodeError), sockets' OSError and the connect task group's ExceptionGroup.
_FETCH_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    ValueError,
    OSError,
    ExceptionGroup,
)
_MALFORMED = (
    httpx.InvalidURL,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.DecodingError,
    httpx.TooManyRedirects,
    ValueError,  # UnicodeError and idna.IDNAError too
)


def fetch_failure(error: BaseException) -> FetchFailed | FetchRefused:
    """The one failure an error of the fetch path stands for: final when the URL, redirect or
    answer is malformed (it will not get better), transient for network trouble."""
    if isinstance(error, ExceptionGroup) and error.exceptions:
        return fetch_failure(error.exceptions[0])
    what = f"{type(error).__name__}: {error}"
    if isinstance(error, httpx.TimeoutException):
        return FetchFailed(f"timeout: {type(error).__name__}")
    if isinstance(error, httpx.RemoteProtocolError) and "location header" in str(error).lower():
        return FetchRefused(f"malformed redirect: {error}")  # httpx checks Location itself
    if isinstance(error, _MALFORMED):
        return FetchRefused(f"malformed URL or request: {what}")
    if isinstance(error, httpx.RemoteProtocolError):
        return FetchFailed(f"bad answer: {what}")
    return FetchFailed(f"connection failed: {what}")


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status >= 500 or status in _TRANSIENT_CLIENT_STATUSES:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        raise FetchFailed(f"HTTP {status}", retry_after)
    raise FetchRefused(f"HTTP {status}")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), if usable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def sniff_media_type(data: bytes) -> str | None:
    """Guess HTML or PDF for a body served without a Content-Type."""
    head = data[:1024].lstrip().lower()
    if head.startswith(b"%pdf-"):
        return "application/pdf"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    return None
