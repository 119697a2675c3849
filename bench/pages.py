"""A local web server whose pages answer slowly, standing in for the shared articles."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Post {name}</title><meta property="og:title" content="Post {name}">
<meta name="description" content="A page that took {delay} s to answer.">
</head><body><article><h1>Post {name}</h1>{body}</article></body></html>"""
BODY = "<p>" + "A sentence of ordinary article text, repeated to give the extractor work. " * 40


@asynccontextmanager
async def slow_pages(delay: float) -> AsyncIterator[str]:
    """Serve ``/posts/<name>`` after ``delay`` seconds; yields the base URL."""
    hits = 0

    async def page(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        await asyncio.sleep(delay)
        text = PAGE.format(name=request.match_info["name"], delay=delay, body=BODY + "</p>")
        return web.Response(text=text, content_type="text/html")

    app = web.Application()
    app.router.add_get("/posts/{name}", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
