"""Newsletter drafts at preview time (issue 12): the preview makes each platform's draft and
shows its link, publishing updates that same draft with the final issue, and nothing is made
twice across failures, crashes and editors working on the platform meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.config import Config, DigestConfig
from bot.deliver.destinations import Destination, DraftDestination, SavedDraft, build_destinations
from bot.deliver.drafts import DraftLink, drafts_line
from bot.deliver.engine import LEASE, PublishEngine
from bot.deliver.notify import EditorNotifier
from bot.deliver.scheduler import DigestScheduler
from bot.deliver.services.build import build_platform_destinations
from bot.deliver.services.ghost import admin_token
from storage.db import Database
from storage.issues import IssueRepo
from tests.core.fakes import Crash, RecordingPublisher
from tests.core.helpers import ANN, EDITOR, post, react, service
from tests.core.test_publish import Clock
from tests.destinations.conftest import GHOST_ID, GHOST_SECRET, Running, Waits
from tests.destinations.fakes import FakeButtondown, FakeGhost, FakeMailchimp
from tests.destinations.test_engine import tables

pytestmark = pytest.mark.usefixtures("secrets")

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/London"))
PREVIEW_TIME = MONDAY_9 - timedelta(hours=23)
PUBLISH_TIME = MONDAY_9 + timedelta(seconds=5)
PERIOD = "2026-11-23T09:00+0000"
PLATFORMS = ["buttondown:news", "ghost:blog", "mailchimp:campaign"]
LATE_URL = "https://example.com/approved-after-the-preview"


@dataclass
class Fakes:
    buttondown: Running[FakeButtondown]
    ghost: Running[FakeGhost]
    mailchimp: Running[FakeMailchimp]

    def drafts(self) -> dict[str, list[str]]:
        """Each platform's drafts (saved campaigns), as their content."""
        return {
            "buttondown:news": [e["body"] for e in self.buttondown.fake.emails],
            "ghost:blog": [p["html"] for p in self.ghost.fake.posts],
            "mailchimp:campaign": [c["html"] for c in self.mailchimp.fake.campaigns.values()],
        }

    def links(self) -> dict[str, str]:
        """Where an editor opens each platform's one draft."""
        [email], [ghost_post] = self.buttondown.fake.emails, self.ghost.fake.posts
        [campaign] = self.mailchimp.fake.campaigns.values()
        return {
            "buttondown:news": f"https://buttondown.com/emails/{email['id']}",
            "ghost:blog": f"{self.ghost.url}/ghost/#/editor/post/{ghost_post['id']}",
            "mailchimp:campaign": (
                f"https://us6.admin.mailchimp.com/campaigns/edit?id={campaign['web_id']}"
            ),
        }


@pytest.fixture
def fakes(
    buttondown: Running[FakeButtondown],
    ghost: Running[FakeGhost],
    mailchimp: Running[FakeMailchimp],
) -> Fakes:
    return Fakes(buttondown, ghost, mailchimp)


@pytest.fixture
def text(fakes: Fakes, tmp_path: Path) -> str:
    quoted = ", ".join(f'"{name}"' for name in ["slack:CPUB", *PLATFORMS])
    return f"""
[[digest]]
name = "weekly"
sources = ["slack:C1"]
publish_to = [{quoted}]
editors = ["slack:UED"]
editors_channel = "slack:CEDIT"
schedule = "mon 09:00"
timezone = "Europe/London"
preview_hours = 24
grace_hours = 6
""" + tables(
        fakes.buttondown.url, fakes.ghost.url, fakes.mailchimp.url, "http://127.0.0.1:9", tmp_path
    )


Wrap = Callable[[Destination], Destination]


def engine(
    db: Database,
    text: str,
    clock: Clock,
    chat: RecordingPublisher,
    waits: Waits,
    wrap: Wrap | None = None,
) -> PublishEngine:
    config: Config = service(db, text).config

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        found = {
            **build_destinations(digest.publish_to, {"slack": chat}),
            **build_platform_destinations(digest.publish_to, config.destinations, waits.policy()),
        }
        return {name: wrap(d) if wrap else d for name, d in found.items()}

    return PublishEngine(config, db, destinations, now=clock)


def scheduler(
    db: Database, text: str, clock: Clock, chat: RecordingPublisher, waits: Waits
) -> DigestScheduler:
    built = engine(db, text, clock, chat, waits)
    return DigestScheduler(built.config, built, EditorNotifier({"slack": chat}), now=clock)


def approve(db: Database, text: str, url: str, minute: float) -> None:
    core = service(db, text)
    mid = f"m{minute}"
    core.handle_sync(post("slack:C1", mid, ANN, f"{url} why: worth it", minute))
    core.handle_sync(react("slack:C1", mid, EDITOR, "white_check_mark", minute + 1))


def preview_heading(chat: RecordingPublisher) -> str:
    [heading, *_] = [p.get("text", "") for channel, _, p in chat.posts if channel == "slack:CEDIT"]
    return str(heading)


def drafts_in(heading: str) -> str:
    [line] = [line for line in heading.splitlines() if line.startswith("Drafts: ")]
    return line


def draft_rows(db: Database) -> dict[str, tuple[str | None, str | None]]:
    with db.session() as session:
        rows = IssueRepo(session).drafts("weekly", PERIOD)
        return {row.destination: (row.platform_id, row.link) for row in rows}


async def run_preview(db: Database, text: str, waits: Waits) -> RecordingPublisher:
    approve(db, text, "https://example.com/first", 0)
    chat = RecordingPublisher()
    await scheduler(db, text, Clock(PREVIEW_TIME), chat, waits).tick()
    return chat


# --- preview --------------------------------------------------------------------------------


async def test_preview_makes_each_draft_and_shows_its_link(
    db: Database, text: str, fakes: Fakes, waits: Waits
) -> None:
    chat = await run_preview(db, text, waits)
    drafts = fakes.drafts()
    assert {name: len(found) for name, found in drafts.items()} == dict.fromkeys(PLATFORMS, 1)
    assert all("https://example.com/first" in found[0] for found in drafts.values())
    links = fakes.links()
    assert drafts_in(preview_heading(chat)) == (
        f"Drafts: Buttondown {links['buttondown:news']} · Ghost {links['ghost:blog']}"
        f" · Mailchimp {links['mailchimp:campaign']}"
    )
    assert {name: link for name, (_, link) in draft_rows(db).items()} == links
    assert [channel for channel, _, _ in chat.posts if channel == "slack:CPUB"] == []
    assert fakes.buttondown.fake.emails[0]["status"] == "draft"
    assert fakes.ghost.fake.posts[0]["status"] == "draft"
    assert fakes.mailchimp.fake.sent == []


async def test_publish_after_preview_updates_the_same_drafts_with_the_final_issue(
    db: Database, text: str, fakes: Fakes, waits: Waits
) -> None:
    chat = await run_preview(db, text, waits)
    preview_links = fakes.links()
    preview_version = fakes.ghost.fake.posts[0]["updated_at"]
    approve(db, text, LATE_URL, 60)  # curated after the preview: only the final issue has it
    assert all(LATE_URL not in found[0] for found in fakes.drafts().values())

    [report] = await scheduler(db, text, Clock(PUBLISH_TIME), chat, waits).tick()
    assert (report.outcome, report.failures) == ("published", [])
    drafts = fakes.drafts()
    assert {name: len(found) for name, found in drafts.items()} == dict.fromkeys(PLATFORMS, 1)
    assert all(LATE_URL in found[0] for found in drafts.values())
    assert fakes.links() == preview_links
    assert set(report.links) == set(preview_links.values())
    assert fakes.ghost.fake.posts[0]["updated_at"] != preview_version
    assert fakes.ghost.fake.posts[0]["slug"] == "weekly-1-ghost-blog-0"
    assert fakes.mailchimp.fake.sent == []
    assert {fakes.buttondown.fake.emails[0]["status"], fakes.ghost.fake.posts[0]["status"]} == {
        "draft"
    }
    with db.session() as session:
        repo = IssueRepo(session)
        [issue] = repo.issues()
        assert issue.id is not None
        delivered = {d.destination: d.platform_message_id for d in repo.deliveries(issue.id)}
    assert {name: delivered[name] for name in PLATFORMS} == preview_links


async def test_publish_without_a_preview_creates_the_drafts(
    db: Database, text: str, fakes: Fakes, waits: Waits
) -> None:
    approve(db, text, LATE_URL, 0)
    [report] = await scheduler(db, text, Clock(PUBLISH_TIME), RecordingPublisher(), waits).tick()
    assert (report.outcome, report.failures) == ("published", [])
    drafts = fakes.drafts()
    assert {name: len(found) for name, found in drafts.items()} == dict.fromkeys(PLATFORMS, 1)
    assert all(LATE_URL in found[0] for found in drafts.values())
    assert {name: link for name, (_, link) in draft_rows(db).items()} == fakes.links()


async def test_a_platform_failing_at_preview_shows_its_reason_and_the_others_get_links(
    db: Database, text: str, fakes: Fakes, waits: Waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GHOST_ADMIN_KEY", f"{GHOST_ID}:{'ab' * 32}")  # a revoked key
    chat = await run_preview(db, text, waits)
    line = drafts_in(preview_heading(chat))
    [email], [campaign] = fakes.buttondown.fake.emails, fakes.mailchimp.fake.campaigns.values()
    assert f"Buttondown https://buttondown.com/emails/{email['id']}" in line
    assert (
        f"Mailchimp https://us6.admin.mailchimp.com/campaigns/edit?id={campaign['web_id']}" in line
    )
    assert "Ghost not saved (create draft: HTTP 401: Invalid token: invalid signature)" in line
    assert fakes.ghost.fake.posts == []

    monkeypatch.setenv("GHOST_ADMIN_KEY", f"{GHOST_ID}:{GHOST_SECRET}")  # fixed before publishing
    [report] = await scheduler(db, text, Clock(PUBLISH_TIME), chat, waits).tick()
    assert (report.outcome, report.failures) == ("published", [])
    assert {name: len(found) for name, found in fakes.drafts().items()} == dict.fromkeys(
        PLATFORMS, 1
    )


def test_drafts_line_tells_two_drafts_of_one_platform_apart() -> None:
    line = drafts_line(
        [
            DraftLink("ghost:blog", link="https://blog.example.com/ghost/#/editor/post/1"),
            DraftLink("ghost:staff", error="update draft: HTTP 500: boom"),
            DraftLink("buttondown:news", link="https://buttondown.com/emails/2"),
        ]
    )
    assert line == (
        "Drafts: Ghost (blog) https://blog.example.com/ghost/#/editor/post/1"
        " · Ghost (staff) not saved (update draft: HTTP 500: boom)"
        " · Buttondown https://buttondown.com/emails/2"
    )
    assert drafts_line([]) == ""


# --- crashes --------------------------------------------------------------------------------


@dataclass
class CrashAfterSave:
    """The process dies right after the platform saved the draft, before it is recorded."""

    name: str
    inner: DraftDestination

    def parts(self, issue: Any) -> list[Any]:
        return self.inner.parts(issue)

    async def post(self, part: Any, key: str) -> str:
        raise AssertionError("a newsletter draft is saved, never posted blindly")

    async def find(self, key: str) -> str | None:
        return await self.inner.find(key)

    async def save(self, part: Any, key: str, draft_id: str | None, recover: bool) -> SavedDraft:
        await self.inner.save(part, key, draft_id, recover)
        raise Crash(f"killed after saving {key}")


def crashing(target: str) -> Wrap:
    def wrap(destination: Destination) -> Destination:
        if destination.name == target and isinstance(destination, DraftDestination):
            return CrashAfterSave(destination.name, destination)
        return destination

    return wrap


@pytest.mark.parametrize("destination", PLATFORMS)
@pytest.mark.parametrize("crash_at", ["preview", "publish", "publish-without-preview"])
async def test_a_crash_after_saving_never_makes_a_second_draft(
    db: Database, text: str, fakes: Fakes, waits: Waits, destination: str, crash_at: str
) -> None:
    """Killed after the platform saved, before Linkletter recorded it, at preview or publish:
    the next run finds or updates that draft; each platform ends with one, final, draft."""
    approve(db, text, "https://example.com/first", 0)
    chat, clock = RecordingPublisher(), Clock(PREVIEW_TIME)
    digest = service(db, text).config.digest("weekly")
    if crash_at != "publish-without-preview":
        preview = engine(
            db, text, clock, chat, waits, crashing(destination) if crash_at == "preview" else None
        )
        issue = await preview.preview(digest)
        if crash_at == "preview":
            with pytest.raises(Crash):
                await preview.preview_drafts(digest, PERIOD, issue)
        else:
            await preview.preview_drafts(digest, PERIOD, issue)
    approve(db, text, LATE_URL, 60)
    clock.value = PUBLISH_TIME
    if crash_at != "preview":
        with pytest.raises(Crash):
            await engine(db, text, clock, chat, waits, crashing(destination)).publish(
                "weekly", PERIOD
            )
        clock.value += LEASE + timedelta(seconds=1)
    report = await engine(db, text, clock, chat, waits).publish("weekly", PERIOD)
    assert (report.outcome, report.failures) == ("published", [])
    drafts = fakes.drafts()
    assert len(drafts[destination]) == 1
    assert LATE_URL in drafts[destination][0]
    assert draft_rows(db)[destination][1] == fakes.links()[destination]
    assert fakes.mailchimp.fake.sent == []


# --- editors on the platform meanwhile -------------------------------------------------------


async def test_ghost_draft_saved_by_an_editor_after_the_preview_still_gets_the_final_issue(
    db: Database, text: str, fakes: Fakes, waits: Waits
) -> None:
    """The ``updated_at`` Linkletter saw at preview is stale by publish: it reads the current
    one first, as Ghost's docs recommend, instead of failing with a collision."""
    chat = await run_preview(db, text, waits)
    [ghost_post] = fakes.ghost.fake.posts
    stale = ghost_post["updated_at"]
    fakes.ghost.fake.edit_in_admin(ghost_post["id"], title="Tweaked in Ghost")
    assert ghost_post["updated_at"] != stale
    approve(db, text, LATE_URL, 60)
    [report] = await scheduler(db, text, Clock(PUBLISH_TIME), chat, waits).tick()
    assert (report.outcome, report.failures) == ("published", [])
    assert len(fakes.ghost.fake.posts) == 1
    assert LATE_URL in ghost_post["html"]


@pytest.mark.parametrize(("collisions", "published"), [(1, True), (2, False)])
async def test_ghost_collision_between_read_and_write_is_read_again_once(
    db: Database, text: str, fakes: Fakes, waits: Waits, collisions: int, published: bool
) -> None:
    """Someone saves the post in Ghost between Linkletter's read and its PUT: Ghost answers
    409; Linkletter reads the new ``updated_at`` and tries once more, then reports it."""
    chat = await run_preview(db, text, waits)
    fakes.ghost.fake.collisions = collisions
    approve(db, text, LATE_URL, 60)
    [report] = await scheduler(db, text, Clock(PUBLISH_TIME), chat, waits).tick()
    [ghost_post] = fakes.ghost.fake.posts
    assert (LATE_URL in ghost_post["html"]) is published
    if published:
        assert report.failures == []
    else:
        assert report.failures == [
            "ghost:blog: update draft: HTTP 409: Saving failed! Someone else is editing this post."
        ]
        assert report.outcome == "incomplete"


async def test_ghost_fake_refuses_a_stale_or_missing_updated_at_and_unknown_ids(
    ghost: Running[FakeGhost],
) -> None:
    """The fake checks what Ghost checks, so the passing updates above prove the client sends
    the current ``updated_at``."""
    headers = {"Authorization": f"Ghost {admin_token(f'{GHOST_ID}:{GHOST_SECRET}', time.time())}"}
    async with httpx.AsyncClient(
        base_url=f"{ghost.url}/ghost/api/admin", headers=headers
    ) as client:
        created = await client.post("/posts/", json={"posts": [{"title": "T", "status": "draft"}]})
        post_id, current = (
            created.json()["posts"][0]["id"],
            created.json()["posts"][0]["updated_at"],
        )
        ghost.fake.edit_in_admin(post_id)
        stale = await client.put(
            f"/posts/{post_id}/", json={"posts": [{"title": "U", "updated_at": current}]}
        )
        assert stale.status_code == 409
        assert stale.json()["errors"][0]["type"] == "UpdateCollisionError"
        missing = await client.put(f"/posts/{post_id}/", json={"posts": [{"title": "U"}]})
        assert missing.status_code == 422
        unknown = await client.put(
            "/posts/000000000000000000000000/", json={"posts": [{"updated_at": current}]}
        )
        assert unknown.status_code == 404
        assert unknown.json()["errors"][0]["type"] == "NotFoundError"
    assert ghost.fake.posts[0]["title"] == "T"


def send_from_platform(fakes: Fakes, destination: str) -> None:
    """An editor sends (publishes) the preview draft from the platform before the slot."""
    if destination == "buttondown:news":
        fakes.buttondown.fake.send(fakes.buttondown.fake.emails[0]["id"])
    elif destination == "ghost:blog":
        fakes.ghost.fake.edit_in_admin(fakes.ghost.fake.posts[0]["id"], status="published")
    else:
        fakes.mailchimp.fake.mark_sent(next(iter(fakes.mailchimp.fake.campaigns)))


@pytest.mark.parametrize("destination", PLATFORMS)
async def test_a_draft_already_sent_from_the_platform_is_left_alone(
    db: Database, text: str, fakes: Fakes, waits: Waits, destination: str
) -> None:
    chat = await run_preview(db, text, waits)
    send_from_platform(fakes, destination)
    sent_content = fakes.drafts()[destination][0]
    approve(db, text, LATE_URL, 60)
    [report] = await scheduler(db, text, Clock(PUBLISH_TIME), chat, waits).tick()
    assert (report.outcome, report.failures) == ("published", [])
    assert fakes.drafts()[destination] == [sent_content]  # not edited, no second draft
    others = [name for name in PLATFORMS if name != destination]
    assert all(LATE_URL in fakes.drafts()[name][0] for name in others)


async def test_a_preview_draft_deleted_on_the_platform_is_made_again_at_publish(
    db: Database, text: str, fakes: Fakes, waits: Waits
) -> None:
    chat = await run_preview(db, text, waits)
    deleted = fakes.buttondown.fake.emails.pop()
    [report] = await scheduler(db, text, Clock(PUBLISH_TIME), chat, waits).tick()
    assert (report.outcome, report.failures) == ("published", [])
    [email] = fakes.buttondown.fake.emails
    assert email["id"] != deleted["id"]
    assert draft_rows(db)["buttondown:news"] == (
        email["id"],
        f"https://buttondown.com/emails/{email['id']}",
    )
    assert email["metadata"] == {"linkletter_key": "weekly:1:buttondown:news:0"}
