"""A small local web server for the demo's sample pages (127.0.0.1, a free port)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from adapters.console.articles import ARTICLES, Article

_ARTICLES = web.AppKey("articles", dict[str, Article])
_BASE = web.AppKey("base", list[str])


async def _article(request: web.Request) -> web.Response:
    article = request.app[_ARTICLES].get(request.match_info["slug"])
    if article is None:
        raise web.HTTPNotFound()
    return web.Response(text=article.html(request.app[_BASE][0]), content_type="text/html")


async def _image(request: web.Request) -> web.Response:
    article = request.app[_ARTICLES].get(request.match_info["slug"])
    if article is None:
        raise web.HTTPNotFound()
    return web.Response(body=article.image(), content_type="image/png")


@asynccontextmanager
async def serve_articles() -> AsyncIterator[str]:
    """Serve the sample articles; yields the base URL."""
    app = web.Application()
    app[_ARTICLES] = {article.slug: article for article in ARTICLES}
    app[_BASE] = [""]
    app.router.add_get("/articles/{slug}", _article)
    app.router.add_get("/images/{slug}.png", _image)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    app[_BASE][0] = base
    try:
        yield base
    finally:
        await runner.cleanup()
