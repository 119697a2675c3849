"""Link health (issue 21) against real HTTP servers on 127.0.0.1, on SQLite and PostgreSQL: before
the preview and at publish every approved link is fetched again through the SSRF guard; gone,
moved, paywalled and unreachable links are shown with what to do, and nothing is dropped."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.deliver.health import check_links
from bot.enrich.fetch import FetchSettings
from bot.ports import ChatPublisher
from storage.db import Database
from tests.core.fakes import RecordingPublisher
from tests.core.helpers import ANN, EDITOR, at, post, react, service
from tests.core.test_history import CONFIG
from tests.core.test_publish import Clock
from tests.enrich.servers import LocalServer

LOCAL = FetchSettings(allow_private_networks=True, timeout=5, max_attempts=1)
PAYWALLED = '<html><body><div class="article paywall">Subscribe to read</div></body></html>'


def _links(server: LocalServer, closed_port: int) -> dict[str, str]:
    live = server.url("/pages/mozilla-1")
    return {
        "live": live,
        "gone": server.url("/status/404"),
        "gone-for-good": server.url("/status/410"),
        "moved": server.url(f"/redirect-to?target={quote(server.url('/pages/001'), safe='')}"),
        "paywall": server.url(f"/html?body={quote(PAYWALLED, safe='')}"),
        "down": f"http://127.0.0.1:{closed_port}/article",
    }


def _engine(db: Database, settings: FetchSettings) -> PublishEngine:
    core = service(db, CONFIG)
    chat: dict[str, ChatPublisher] = {"slack": RecordingPublisher()}

    def destinations(_: Any) -> dict[str, Destination]:
        return build_destinations(["slack:CPUB"], chat)

    return PublishEngine(core.config, db, destinations, now=Clock(at(100)), link_check=settings)


def _approve_all(db: Database, links: dict[str, str]) -> None:
    core = service(db, CONFIG)
    for n, url in enumerate(links.values()):
        core.handle_sync(post("slack:C1", f"{n}", ANN, url, n))
        core.handle_sync(react("slack:C1", f"{n}", EDITOR, "white_check_mark", n + 0.5))


async def test_preview_and_publish_show_every_problem_and_drop_nothing(
    db: Database, server: LocalServer, closed_port: int
) -> None:
    links = _links(server, closed_port)
    _approve_all(db, links)
    engine = _engine(db, LOCAL)
    digest = engine.config.digest("weekly")
    issue = await engine.preview(digest)
    notes = "\n".join(await engine.preview_notes(digest, issue))
    assert "Link check: 5 links need a look (nothing was dropped):" in notes
    assert f"{links['gone']}: HTTP 404: the page is gone." in notes
    assert f"{links['gone-for-good']}: HTTP 410: the page is gone." in notes
    assert f"{links['moved']}: now leads to {server.url('/pages/001')}." in notes
    assert f"{links['paywall']}: the page looks paywalled." in notes
    assert f"{links['down']}: could not be reached (connection failed" in notes
    assert links["live"] + ":" not in notes
    report = await engine.publish("weekly", "p1")
    assert report.outcome == "published"
    assert len(report.issue.items if report.issue else ()) == len(links)  # nothing dropped
    assert "issue 1 published" in report.describe()
    assert f"{links['gone']}: HTTP 404" in report.describe()


async def test_the_ssrf_guard_still_applies(server: LocalServer) -> None:
    """Without the private-network switch a link to 127.0.0.1 is not fetched, only reported."""
    from bot.digest.model import IssueItem

    item = IssueItem(number=1, item_id=7, url=server.url("/pages/mozilla-1"), title="t")
    [problem] = await check_links([item], FetchSettings(timeout=5))
    assert problem.kind == "refused"
    assert "not checked" in problem.advice()
    assert server.log.hits == {}


async def test_a_healthy_issue_adds_no_link_note(db: Database, server: LocalServer) -> None:
    _approve_all(db, {"live": server.url("/pages/mozilla-1")})
    engine = _engine(db, LOCAL)
    digest = engine.config.digest("weekly")
    notes = await engine.preview_notes(digest, await engine.preview(digest))
    assert not any(note.startswith("Link check") for note in notes)
