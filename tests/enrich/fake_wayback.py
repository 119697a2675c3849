"""A real Save Page Now (``GET /save/<url>``) on 127.0.0.1, answering as the Wayback Machine does.

The answers are built from recorded real responses:

- ``Content-Location: /web/<timestamp>/<url>`` on a 200: waybackpy's tests
  (github.com/akamhy/waybackpy, tests/test_save_api.py, ``test_archive_url_parser``), the header
  its ``waybackpy/save_api.py`` reads first.
- the memento ``Link`` header, with its ``first``/``prev``/``last memento`` neighbours and the
  rest of the headers of a real 2021 capture: the same test's ``headers`` dict; a
  ``Content-Location`` that is the *saved page's* own relative one (``Overview.html``), which
  the archive passes through: oduwsdl/archivenow issue 36 (``curl -ki
  https://web.archive.org/save/https://www.w3.org/TR/webarch/``).
- a redirect to ``/web/<timestamp>/<url>``: waybackpy's last resort, the response URL after the
  archive redirected to the capture.
- a 200 without any of them (a capture that did not happen): palewire/savepagenow issue 65.
- 429 when more than 15 saves a minute are asked for: waybackpy's ``TooManyRequestsError``
  (issue 97 there); 5xx and 520 from an overloaded archive; 403 for excluded sites.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

TIMESTAMP = "20210102094009"


@dataclass(frozen=True, slots=True)
class Answer:
    """One scripted answer; ``{url}`` in header values is the page asked for."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before answering (past the client's timeout: a hang)


CONTENT_LOCATION = Answer(headers=(("Content-Location", f"/web/{TIMESTAMP}/{{url}}"),))
# waybackpy's recorded capture of https://www.scribbr.com/citing-sources/et-al/, its page URL
# replaced by {url}; the memento is the 20210102094009 one.
MEMENTO_LINK = Answer(
    headers=(
        ("Content-Location", "Overview.html"),
        ("Memento-Datetime", "Sat, 02 Jan 2021 09:40:09 GMT"),
        (
            "Link",
            '<{url}>; rel="original", '
            '<https://web.archive.org/web/timemap/link/{url}>; rel="timemap"; '
            'type="application/link-format", '
            '<https://web.archive.org/web/{url}>; rel="timegate", '
            '<https://web.archive.org/web/20200601082911/{url}>; rel="first memento"; '
            'datetime="Mon, 01 Jun 2020 08:29:11 GMT", '
            '<https://web.archive.org/web/20201126185327/{url}>; rel="prev memento"; '
            'datetime="Thu, 26 Nov 2020 18:53:27 GMT", '
            f'<https://web.archive.org/web/{TIMESTAMP}/{{url}}>; rel="memento"; '
            'datetime="Sat, 02 Jan 2021 09:40:09 GMT", '
            f'<https://web.archive.org/web/{TIMESTAMP}/{{url}}>; rel="last memento"; '
            'datetime="Sat, 02 Jan 2021 09:40:09 GMT"',
        ),
        ("X-Archive-Src", "spn2-20210102092956-wwwb-spn20.us.archive.org-8001.warc.gz"),
    )
)
REDIRECT = Answer(status=302, headers=(("Location", f"/web/{TIMESTAMP}/{{url}}"),))
NO_CAPTURE = Answer(headers=(("X-Page-Cache", "MISS"),))
TOO_MANY = Answer(status=429, headers=(("Retry-After", "300"),))
UNAVAILABLE = Answer(status=503)
ORIGIN_ERROR = Answer(status=520)
EXCLUDED = Answer(status=403)


def hang(seconds: float) -> Answer:
    return Answer(delay=seconds)


@dataclass
class FakeWayback:
    """Answers ``GET /save/<url>`` in order from ``answers`` (then 503); records the URLs."""

    answers: list[Answer] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)  # the page URLs asked for
    save_url: str = ""  # http://127.0.0.1:PORT/save/

    async def handle(self, request: web.Request) -> web.StreamResponse:
        page = request.raw_path.removeprefix("/save/")
        if not page:  # the endpoint itself: its form page (what ``doctor`` asks for)
            return web.Response(text="<html>Save Page Now</html>")
        self.saved.append(page)
        answer = self.answers.pop(0) if self.answers else UNAVAILABLE
        if answer.delay:
            await asyncio.sleep(answer.delay)
        headers = {name: value.replace("{url}", page) for name, value in answer.headers}
        return web.Response(status=answer.status, headers=headers, text="<html>Wayback</html>")

    def copy(self, page: str) -> str:
        """The absolute address the archive's answers give for ``page``'s capture."""
        return self.save_url.removesuffix("/save/") + f"/web/{TIMESTAMP}/{page}"


@asynccontextmanager
async def fake_wayback() -> AsyncIterator[FakeWayback]:
    """Serve ``GET /save/{url}`` on an ephemeral loopback port."""
    archive = FakeWayback()
    app = web.Application()
    app.router.add_get("/save/{page:.*}", archive.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    archive.save_url = f"http://127.0.0.1:{runner.addresses[0][1]}/save/"
    try:
        yield archive
    finally:
        await runner.cleanup()
