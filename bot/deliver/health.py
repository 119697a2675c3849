"""Link health (issue 21): before the preview and again at publish, every link of the issue is
fetched again through the SSRF guard (``SafeFetcher``). A page that is gone, that now redirects
to another article, that shows paywall markup or cannot be reached becomes a problem with what
to do about it. Nothing is dropped: editors decide.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.capture.canonical import NotHttpUrl, canonical_url
from bot.digest.model import IssueItem
from bot.enrich.fetch import HTML_TYPES, JSON_TYPES, PAGE_TYPES, FetchSettings, SafeFetcher
from bot.enrich.model import FetchFailed, FetchRefused

CHECKED_AT_ONCE = 4
GONE = re.compile(r"^HTTP (404|410)$")
# Markup publishers put on metered or subscriber-only articles (schema.org's own flag first).
PAYWALL = re.compile(
    rb"""["']isAccessibleForFree["']\s*:\s*["']?false"""
    rb"""|<meta[^>]+(?:article:content_tier|content-tier)[^>]+(?:locked|metered)"""
    rb"""|<[^>]+(?:class|id)\s*=\s*["'][^"']*\bpaywall""",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class LinkProblem:
    item_id: int
    number: int  # the item's number in the issue
    url: str
    kind: str  # gone | moved | paywall | unreachable | refused
    detail: str

    def advice(self) -> str:
        """The problem and what to do, for the editors."""
        item, detail = self.item_id, self.detail
        what = {
            "gone": f"{detail}: the page is gone. Share a live copy, or reject item {item}.",
            "moved": f"now leads to {detail}. Fine if it is the same article; "
            f"otherwise share the right link and reject item {item}.",
            "paywall": "the page looks paywalled. Say so in its why "
            f"(`/linkletter why {item} …`), or reject item {item}.",
            "unreachable": f"could not be reached ({detail}). Check it in a browser; "
            f"reject item {item} if it stays down.",
            "refused": f"not checked ({detail}).",
        }
        return f"{self.number}. {self.url}: {what[self.kind]}"


async def check_links(items: Sequence[IssueItem], settings: FetchSettings) -> list[LinkProblem]:
    """The problems of ``items``' links, in issue order (one fetch each, a few at a time)."""
    fetcher = SafeFetcher(settings)
    gate = asyncio.Semaphore(CHECKED_AT_ONCE)

    async def check(item: IssueItem) -> LinkProblem | None:
        async with gate:
            return await _check(fetcher, item)

    try:
        found = await asyncio.gather(*(check(item) for item in items))
    finally:
        await fetcher.aclose()
    return [problem for problem in found if problem is not None]


async def _check(fetcher: SafeFetcher, item: IssueItem) -> LinkProblem | None:
    def problem(kind: str, detail: str) -> LinkProblem:
        return LinkProblem(item.item_id, item.number, item.url, kind, detail)

    try:
        page = await fetcher.fetch(item.url, PAGE_TYPES | JSON_TYPES)
    except FetchRefused as refused:
        reason = str(refused)
        if GONE.match(reason):
            return problem("gone", reason)
        if reason.startswith("content type not accepted"):
            return None  # an image or a download: it is there
        return problem("refused", reason)
    except FetchFailed as failed:
        return problem("unreachable", str(failed))
    if _key(page.final_url) != _key(item.url):
        return problem("moved", page.final_url)
    if page.media_type in HTML_TYPES and PAYWALL.search(page.body):
        return problem("paywall", "")
    return None


def _key(url: str) -> str:
    try:
        return canonical_url(url)
    except NotHttpUrl:
        return url
