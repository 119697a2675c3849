"""Ask a Wayback-compatible save endpoint for a snapshot of a page (Save Page Now's simple API:
``GET {save_url}{url}``) and read where the copy is from the answer's headers.

The copy's address comes, in this order, from ``Content-Location`` (``/web/<14 digits>/<url>``),
a ``Link`` header's ``rel="memento"`` entry, or a redirect's ``Location`` to such a path, as
waybackpy's ``save_api.py`` reads them. 429, 5xx, timeouts and unreachable endpoints raise
``FetchFailed`` (retried by the queue, after ``Retry-After`` when given); 403 and other 4xx,
and URLs the SSRF guard refuses (private networks are never sent to a third party), raise
``FetchRefused``. Only the headers are read: the body of a capture page is never downloaded.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from bot.enrich.fetch import retry_after_seconds
from bot.enrich.model import FetchFailed, FetchRefused
from bot.enrich.safety import Resolver, check_url, resolve_checked, system_resolver

MEMENTO_PATH = re.compile(r"/web/\d{14}/\S+")
_LINK_ENTRY = re.compile(r'<([^>]*)>((?:\s*;\s*[\w*-]+\s*=\s*(?:"[^"]*"|[^;,]*))*)')
_REL = re.compile(r'\brel\s*=\s*"([^"]*)"|\brel\s*=\s*([^;,\s]+)')
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TRANSIENT = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class ArchiveSettings:
    save_url: str  # ends where the page's URL is appended, e.g. https://web.archive.org/save/
    timeout: float = 120.0
    user_agent: str = "LinkletterBot/0.1"
    allow_private_networks: bool = False  # the item URL's guard (tests, closed intranets)


class ArchiveClient:
    """One connection pool to the save endpoint; close it with :meth:`aclose`."""

    def __init__(
        self,
        settings: ArchiveSettings,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._resolver = resolver or system_resolver
        self._http = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def status(self) -> int:
        """The HTTP status of ``GET save_url`` itself (``doctor``); ``FetchFailed`` when the
        endpoint does not answer."""
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with self._http.stream("GET", self.settings.save_url) as response:
                    return response.status_code
        except (TimeoutError, httpx.HTTPError) as error:
            raise FetchFailed(str(error) or type(error).__name__) from None

    async def save(self, url: str) -> str:
        """The archived copy's absolute URL; ``FetchFailed`` (retry) or ``FetchRefused``."""
        checked = check_url(url, allow_private_networks=self.settings.allow_private_networks)
        await resolve_checked(
            checked, self._resolver, allow_private_networks=self.settings.allow_private_networks
        )
        request_url = self.settings.save_url + str(checked.url)
        try:
            async with asyncio.timeout(self.settings.timeout):
                async with self._http.stream("GET", request_url) as response:
                    return self._archived(response)
        except TimeoutError:
            limit = self.settings.timeout
            raise FetchFailed(f"the archive did not answer within {limit:g}s") from None
        except httpx.HTTPError as error:
            reason = f"cannot reach the archive: {type(error).__name__}: {error}"
            raise FetchFailed(reason) from None

    def _archived(self, response: httpx.Response) -> str:
        status = response.status_code
        if status >= 500 or status in _TRANSIENT:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            raise FetchFailed(f"the archive answered HTTP {status}", wait)
        if status >= 400:
            raise FetchRefused(_refusal(status))
        found = archived_url(response.headers, status, self.settings.save_url)
        if found is None:
            raise FetchFailed(f"the archive answered HTTP {status} without the copy's address")
        return found


def _refusal(status: int) -> str:
    if status == 403:
        return "the archive refused to save it (HTTP 403: the site excludes archiving)"
    return f"the archive refused the request (HTTP {status})"


def archived_url(headers: httpx.Headers, status: int, save_url: str) -> str | None:
    """Where the answer says the copy is, made absolute against ``save_url``; None if nowhere."""
    candidates: list[str | None] = [
        headers.get("Content-Location"),
        memento_link(headers.get("Link", "")),
    ]
    if status in _REDIRECTS:
        candidates.append(headers.get("Location"))
    for candidate in candidates:
        if candidate:
            absolute: str = urljoin(save_url, candidate.strip())
            if MEMENTO_PATH.match(urlsplit(absolute).path):
                return absolute
    return None


def memento_link(value: str) -> str | None:
    """The ``rel="memento"`` target of a ``Link`` header (RFC 7089), else its last memento."""
    mementos: dict[frozenset[str], str] = {}
    for found in _LINK_ENTRY.finditer(value):
        target, params = found[1], found[2]
        rel = _REL.search(params)
        if rel is None:
            continue
        tokens = frozenset((rel[1] or rel[2]).lower().split())
        if "memento" in tokens:
            mementos.setdefault(tokens, target)
    return mementos.get(frozenset({"memento"})) or mementos.get(frozenset({"last", "memento"}))
