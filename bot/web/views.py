"""The archive's endpoints: digest and issue pages, issue formats, feeds and stats.

Database work and the issue page's rendering run in a worker thread (``run_in_threadpool``):
nothing here blocks the event loop the bot's adapters share.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.config import Config
from bot.curate.search import usable
from bot.digest.model import CompiledIssue
from bot.digest.render import render_json, render_markdown
from bot.digest.render._common import safe_url
from bot.web.archive import Archive, DigestListing, Published
from bot.web.feeds import FEED_LIMIT, atom_feed, digest_title, rss_feed
from bot.web.pages import issue_page, page
from bot.web.security import ISSUE_CSP
from bot.web.stats import bar_chart, read_stats
from storage.db import Database
from storage.search import SearchHit

ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
MARKDOWN = "text/markdown; charset=utf-8"
MAX_QUERY = 200  # characters of a search kept (the query uses at most a dozen words anyway)
SEARCH_SHOWN = 50
MAX_ISSUE_NUMBER = 2**31 - 1  # the column's range: a larger number cannot exist (nor be queried)
FeedBuilder = Callable[[DigestListing, list[Published], str, str], bytes]


class ArchiveViews:
    def __init__(self, config: Config, db: Database, now: Callable[[], datetime]) -> None:
        self.config = config
        self.db = db
        self.archive = Archive(config, db)
        self.now = now

    def routes(self) -> list[Route]:
        get = ["GET"]
        return [
            Route("/", self.index, methods=get),
            Route("/stats", self.stats, methods=get),
            Route("/search", self.search, methods=get),
            Route("/d/{digest}/", self.digest, methods=get),
            Route("/d/{digest}/feed.xml", self.atom, methods=get),
            Route("/d/{digest}/rss.xml", self.rss, methods=get),
            Route("/d/{digest}/{number:int}", self.issue, methods=get),
            Route("/d/{digest}/{number:int}.md", self.issue_markdown, methods=get),
            Route("/d/{digest}/{number:int}.json", self.issue_json, methods=get),
        ]

    # --- pages ------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        digests = await run_in_threadpool(self.archive.listings)
        return page("index.html.j2", request, digests=digests)

    async def digest(self, request: Request) -> Response:
        listing = await self._listing(request)
        return page("digest.html.j2", request, digest=listing)

    async def issue(self, request: Request) -> Response:
        issue = await self._issue(request)
        html = await run_in_threadpool(issue_page, issue)
        return HTMLResponse(html, headers={"Content-Security-Policy": ISSUE_CSP})

    async def issue_markdown(self, request: Request) -> Response:
        issue = await self._issue(request)
        return Response(render_markdown(issue), media_type=MARKDOWN)

    async def issue_json(self, request: Request) -> Response:
        issue = await self._issue(request)
        return Response(render_json(issue), media_type="application/json")

    async def search(self, request: Request) -> Response:
        """The search box's answer: published items only; any input is a query (no 500s)."""
        words = request.query_params.get("q", "")[:MAX_QUERY].strip()
        hits = await run_in_threadpool(self.archive.search, words, SEARCH_SHOWN) if words else []
        return page(
            "search.html.j2",
            request,
            query=words,
            hits=[_hit_view(hit) for hit in hits],
            usable=usable(words),
        )

    async def stats(self, request: Request) -> Response:
        names = [digest.name for digest in self.config.digests]
        selected = request.query_params.get("digest")
        if selected is not None and selected not in names:
            raise HTTPException(404)
        digests = [selected] if selected else names
        showing = [d.name for d in self.config.digests if d.name in digests and d.show_sharer]
        stats = await run_in_threadpool(read_stats, self.db, digests, showing, self.now())
        return page(
            "stats.html.j2",
            request,
            stats=stats,
            chart=bar_chart(stats.weeks),
            digests=names,
            selected=selected,
        )

    # --- feeds ------------------------------------------------------------------------------
    async def atom(self, request: Request) -> Response:
        return await self._feed(request, atom_feed, ATOM)

    async def rss(self, request: Request) -> Response:
        return await self._feed(request, rss_feed, RSS)

    async def _feed(self, request: Request, build: FeedBuilder, media_type: str) -> Response:
        found = await run_in_threadpool(
            self.archive.recent, request.path_params["digest"], FEED_LIMIT
        )
        if found is None:
            raise HTTPException(404)
        listing, issues = found
        title = self.digest_title(listing.name)
        body = await run_in_threadpool(build, listing, issues, self.base_url(request), title)
        return Response(body, media_type=media_type)

    def digest_title(self, name: str) -> str:
        """The configured digest's title; a digest removed from the config keeps its name."""
        configured = {digest.name: digest.title for digest in self.config.digests}
        return digest_title(configured[name], name) if name in configured else name

    def base_url(self, request: Request) -> str:
        """The archive's absolute root: ``web.public_url``, else what the request was sent to."""
        base = self.config.web.public_url or str(request.base_url)
        return base.rstrip("/") + "/"

    # --- lookups ----------------------------------------------------------------------------
    async def _listing(self, request: Request) -> DigestListing:
        listing = await run_in_threadpool(self.archive.listing, request.path_params["digest"])
        if listing is None:
            raise HTTPException(404)
        return listing

    async def _issue(self, request: Request) -> CompiledIssue:
        digest, number = request.path_params["digest"], request.path_params["number"]
        if number > MAX_ISSUE_NUMBER:
            raise HTTPException(404)
        issue = await run_in_threadpool(self.archive.issue, digest, number)
        if issue is None:
            raise HTTPException(404)
        return issue


def _hit_view(hit: SearchHit) -> dict[str, object]:
    """What the results page shows of a hit; a link only to an http(s) page."""
    return {
        "title": hit.title,
        "url": safe_url(hit.url),
        "site": hit.site,
        "why": hit.why,
        "digest": hit.digest,
        "number": hit.issue_number,
        "date": hit.issue_date,
    }
