"""The archive over the real server, on SQLite and PostgreSQL: every page and format, feeds
validated with feedparser, hostile page text shown as text (reliability row 10)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import feedparser
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.config import Config
from storage.db import Database
from tests.web.conftest import PageSite, archive_config, make_app, seed_archive, serving

HOSTILE_TEXT = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<script>alert(3)</script>",  # the sharer's display name
    "<b>title</b>",
    "<i>Evil</i>",
)


async def test_index_lists_digests_and_their_issues(seeded: Config, db: Database) -> None:
    async with serving(make_app(seeded, db)) as client:
        index = await client.get("/")
        digest = await client.get("/d/weekly/")
        quiet = await client.get("/d/quiet/")
    assert index.status_code == digest.status_code == quiet.status_code == 200
    for html in (index.text, digest.text):
        assert "weekly — Issue 2" in html
        assert "weekly — Issue 1" in html
        assert html.index("Issue 2") < html.index("Issue 1")  # newest first
    assert 'href="./d/weekly/2"' in index.text
    assert 'href="../../d/weekly/2"' in digest.text
    assert 'href="feed.xml"' in digest.text
    assert "No issue published yet." in quiet.text


async def test_issue_page_and_its_formats(seeded: Config, db: Database) -> None:
    async with serving(make_app(seeded, db)) as client:
        page = await client.get("/d/weekly/1")
        markdown = await client.get("/d/weekly/1.md")
        document = await client.get("/d/weekly/1.json")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "Firefox — Customize and make it your own" in page.text
    assert "prefers-color-scheme: dark" in page.text  # the web page's stylesheet, not the e-mail
    assert '<a href="feed.xml">Atom feed</a>' in page.text
    assert 'rel="alternate" type="application/atom+xml"' in page.text
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text.startswith('---\ntitle: "weekly — Issue 1"')
    assert document.headers["content-type"] == "application/json"
    body = document.json()
    assert (body["digest"], body["number"]) == ("weekly", 1)
    titles = [item["title"] for section in body["sections"] for item in section["items"]]
    assert len(titles) == 3


async def test_unknown_digests_and_issues_are_404_pages(db: Database, tmp_path: Path) -> None:
    paths = ["/d/nope/", "/d/nope/1", "/d/weekly/1", "/d/weekly/1.md", "/d/nope/feed.xml", "/x"]
    paths += ["/d/weekly/99999999999999999999", "/d/weekly/2147483648.json"]
    async with serving(make_app(archive_config(tmp_path), db)) as client:
        responses = {path: await client.get(path) for path in paths}
    for path, response in responses.items():
        assert response.status_code == 404, path
        assert "Not found" in response.text
        assert path not in response.text  # nothing of the request is echoed back


async def test_hostile_titles_are_text_everywhere(seeded: Config, db: Database) -> None:
    """Reliability row 10: markup from a stranger's page and a sharer's name stays inert."""
    async with serving(make_app(seeded, db)) as client:
        page = (await client.get("/d/weekly/1")).text
        stats = (await client.get("/stats")).text
        feed = (await client.get("/d/weekly/feed.xml")).text
        document = (await client.get("/d/weekly/1.json")).json()
    for raw in HOSTILE_TEXT:
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hostile &lt;b&gt;title&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page  # shared by …
    assert "<script" not in stats
    assert "<td>&lt;script&gt;alert(3)&lt;/script&gt;</td>" in stats
    # The feed's HTML content is escaped once for HTML and once more for XML.
    assert "&amp;lt;script&amp;gt;alert(1)" in feed
    entry = feedparser.parse(feed).entries[-1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in entry.content[0].value
    assert "<script" not in entry.content[0].value
    # JSON gives the raw text, labelled as JSON, for a consumer to escape.
    titles = [item["title"] for section in document["sections"] for item in section["items"]]
    assert any(title.startswith("<script>alert(1)</script>") for title in titles)


async def test_atom_and_rss_feeds_are_valid(seeded: Config, db: Database) -> None:
    async with serving(make_app(seeded, db)) as client:
        atom = await client.get("/d/weekly/feed.xml")
        rss = await client.get("/d/weekly/rss.xml")
        empty = await client.get("/d/quiet/feed.xml")
        base = str(client.base_url)
    assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"
    for response, version in ((atom, "atom10"), (rss, "rss20")):
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == version
        assert [entry.title for entry in parsed.entries] == ["weekly — Issue 2", "weekly — Issue 1"]
        assert [entry.link for entry in parsed.entries] == [
            f"{base}/d/weekly/2",
            f"{base}/d/weekly/1",
        ]
    parsed = feedparser.parse(atom.content)
    assert parsed.feed.link == f"{base}/d/weekly/"
    assert parsed.entries[0].published_parsed[:3] == (2026, 11, 26)
    assert "lemonde-1" in parsed.entries[0].content[0].value
    nothing_yet = feedparser.parse(empty.content)
    assert (nothing_yet.bozo, nothing_yet.entries) == (False, [])


async def test_feed_links_use_the_public_url(
    db: Database, page_site: PageSite, tmp_path: Path
) -> None:
    config = archive_config(tmp_path, 'public_url = "https://news.example.org/linkletter/"')
    await seed_archive(db, config, page_site)
    async with serving(make_app(config, db)) as client:
        feed = feedparser.parse((await client.get("/d/weekly/feed.xml")).content)
        document = (await client.get("/d/weekly/2.json")).json()
    base = "https://news.example.org/linkletter"
    assert feed.entries[0].link == f"{base}/d/weekly/2"
    assert {link.href for link in feed.feed.links} == {
        f"{base}/d/weekly/",
        f"{base}/d/weekly/feed.xml",
    }
    assert document["public_url"] == f"{base}/d/weekly/2"


async def test_stats_counts_weeks_domains_and_sharers(seeded: Config, db: Database) -> None:
    async with serving(make_app(seeded, db)) as client:
        everything = (await client.get("/stats")).text
        weekly = (await client.get("/stats", params={"digest": "weekly"})).text
        quiet = (await client.get("/stats", params={"digest": "quiet"})).text
        unknown = await client.get("/stats", params={"digest": "nope"})
    rows = {
        "2026-11-16": '<td class="num">4</td><td class="num">3</td>',  # one share was rejected
        "2026-11-23": '<td class="num">2</td><td class="num">1</td>',  # one is still a draft
        "2026-11-30": '<td class="num">0</td><td class="num">0</td>',
    }
    for week, counts in rows.items():
        assert f"<tr><td>{week}</td>{counts}</tr>" in weekly
    assert "<title>week of 2026-11-16: 4 shared</title>" in weekly
    assert '<tr><td>127.0.0.1</td><td class="num">4</td></tr>' in weekly
    assert '<tr><td>localhost</td><td class="num">2</td></tr>' in weekly
    assert weekly.index("<td>Ann</td>") < weekly.index("<td>Bob</td>")  # 3 shares before 2
    assert everything.count("<td>Ann</td>") == 1
    assert "does not show who shared" in quiet
    assert "<td>Ann</td>" not in quiet
    assert unknown.status_code == 404


async def test_every_response_carries_the_security_headers(seeded: Config, db: Database) -> None:
    paths = ["/", "/d/weekly/1", "/d/weekly/1.json", "/d/weekly/feed.xml", "/stats", "/nope"]
    paths += ["/healthz", "/readyz", "/metrics", "/static/web.css"]
    async with serving(make_app(seeded, db)) as client:
        responses = [await client.get(path) for path in paths]
    for response in responses:
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "script-src" not in csp  # no script source at all: default-src 'none' applies
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "server" not in headers


async def _length(request: Request) -> Response:
    """Stands in for the Slack adapter's route: it reads the whole body."""
    return PlainTextResponse(str(len(await request.body())))


async def test_request_bodies_over_one_megabyte_are_refused(db: Database, tmp_path: Path) -> None:
    extra = [Route("/slack/events", _length, methods=["POST"])]
    async with serving(make_app(archive_config(tmp_path), db, extra_routes=extra)) as client:
        declared = await client.post("/slack/events", content=b"x" * 1_000_001)
        streamed = await client.post("/slack/events", content=_chunks(1_100_000))
        declared_on_a_page = await client.post("/", content=b"x" * 1_000_001)
        within = await client.post("/slack/events", content=_chunks(900_000))
    assert declared.status_code == streamed.status_code == declared_on_a_page.status_code == 413
    assert streamed.headers["x-content-type-options"] == "nosniff"
    assert (within.status_code, within.text) == (200, str(15 * 64_000))


async def _chunks(total: int, size: int = 64_000) -> AsyncIterator[bytes]:
    """A body sent chunked, without Content-Length."""
    for _ in range(-(-total // size)):
        yield b"x" * size


async def test_search_box_finds_published_links_and_survives_any_query(
    seeded: Config, db: Database
) -> None:
    """Issue 21: the archive's search, escaped, published items only, no 500 on any query."""
    from bot.curate.service import CurationService
    from tests.core.helpers import ANN, post

    draft = "https://example.com/draft why: hostile drafts stay private"
    CurationService(seeded, db).handle_sync(post("slack:C1", "d1", ANN, draft, 9000))
    hostile = ['"', "title:zebra OR", "NEAR(", "*", "<script>alert(9)</script>", "%00", "x" * 5000]
    async with serving(make_app(seeded, db)) as client:
        found = await client.get("/search", params={"q": "hostile TITLE"})
        index = await client.get("/")
        answers = [await client.get("/search", params={"q": words}) for words in hostile]
        empty = await client.get("/search")
    assert found.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hostile &lt;b&gt;title&lt;/b&gt;" in found.text
    assert 'href="./d/weekly/' in found.text  # the issue that carried it
    assert "drafts stay private" not in found.text
    assert 'action="./search"' in index.text  # the box is on every archive page
    assert [answer.status_code for answer in answers] == [200] * len(hostile)
    assert all("<script>alert(9)" not in answer.text for answer in answers)
    assert "&lt;script&gt;alert(9)&lt;/script&gt;" in answers[4].text
    assert "has none" in answers[0].text
    assert "Nothing published matches" in answers[1].text
    assert empty.status_code == 200
