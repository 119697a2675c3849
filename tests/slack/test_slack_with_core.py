"""End to end with the real core: fake Slack -> slack-bolt -> adapter -> CurationService -> SQL.

A week of events shaped like the recorded payloads goes in over signed HTTP deliveries (with
retries), receipts come back out to the fake, an editor's reaction approves, the approved issue
is posted once, and a restart recovers what was said while the bot was down.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from adapters.slack.connection import SlackAdapter
from adapters.slack.publisher import SlackPublisher
from adapters.slack.translate import message_event
from bot.config import DigestConfig, parse_config
from bot.curate.service import CurationService
from bot.deliver.destinations import ChatDestination, Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.events import Effect
from storage.db import Database
from storage.models import Item, Share
from storage.repo import Repo
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import EDITOR, WATCHED, HttpApp, load_fixture, make_adapter, serve

NEWS = "C0NEWS"
CONFIG = f"""
[receipts]
captured = "inbox_tray"
duplicate = "recycle"

[[digest]]
name = "weekly"
sources = ["slack:{WATCHED}"]
publish_to = ["slack:{NEWS}"]
editors = ["slack:{EDITOR}"]
"""
DAY = 86_400


class Week:
    """Builds Events API deliveries from the recorded payloads, stamped over the past week."""

    def __init__(self) -> None:
        self.start = int(time.time()) - 7 * DAY
        self.counter = 0

    def ts(self, day: int) -> str:
        self.counter += 1
        return f"{self.start + day * DAY + self.counter}.{self.counter:06d}"

    def envelope(self, template: str, event: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = copy.deepcopy(load_fixture(template))
        payload["event_id"] = f"EvWEEK{self.counter:04d}"
        payload["event"] = event
        return payload

    def message(self, day: int, user: str, text: str, **extra: Any) -> dict[str, Any]:
        ts = self.ts(day)
        event = {
            **load_fixture("events_link.json")["event"],
            "channel": WATCHED,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            **extra,
        }
        return self.envelope("events_link.json", event)

    def edit(self, day: int, original: dict[str, Any], text: str) -> dict[str, Any]:
        event = copy.deepcopy(load_fixture("events_messageChange.json")["event"])
        old = original["event"]
        event["channel"] = WATCHED
        event["message"] |= {
            "text": text,
            "ts": old["ts"],
            "user": old["user"],
            "edited": {"user": old["user"], "ts": self.ts(day)},
        }
        event["previous_message"] |= {"text": old["text"], "ts": old["ts"]}
        event["ts"] = event["event_ts"] = self.ts(day)
        return self.envelope("events_messageChange.json", event)

    def unfurl(self, day: int, original: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(load_fixture("events_messageChange.json")["event"])
        old = original["event"]
        event["channel"] = WATCHED
        event["message"] |= {"text": old["text"], "ts": old["ts"], "user": old["user"]}
        event["previous_message"] |= {"text": old["text"], "ts": old["ts"]}
        event["ts"] = event["event_ts"] = self.ts(day)
        return self.envelope("events_messageChange.json", event)

    def delete(self, day: int, original: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(load_fixture("events_message_deleted.json")["event"])
        event |= {"channel": WATCHED, "deleted_ts": original["event"]["ts"]}
        event["ts"] = event["event_ts"] = self.ts(day)
        return self.envelope("events_message_deleted.json", event)

    def react(self, day: int, user: str, reaction: str, original: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(load_fixture("events_reaction_added.json")["event"])
        event |= {
            "user": user,
            "reaction": reaction,
            "event_ts": self.ts(day),
            "item": {"type": "message", "channel": WATCHED, "ts": original["event"]["ts"]},
        }
        return self.envelope("events_reaction_added.json", event)


def items_by_url(db: Database) -> dict[str, Item]:
    with db.session() as session:
        return {item.canonical_url: item for item in Repo(session).items("weekly")}


def shares_of(db: Database, item: Item) -> list[Share]:
    with db.session() as session:
        return Repo(session).shares_of_item(item.id or 0)


def saved_checkpoint(db: Database, channel: str) -> str | None:
    with db.session() as session:
        return Repo(session).checkpoint(channel)


def receipts(fake: FakeSlack) -> dict[str, set[str]]:
    """Reaction names the bot put on each message of the watched channel, by ts."""
    return {
        call.args["timestamp"]: {
            c.args["name"]
            for c in fake.calls_to("reactions.add")
            if c.args["timestamp"] == call.args["timestamp"]
        }
        for call in fake.calls_to("reactions.add")
    }


@pytest.fixture
def service(db: Database) -> CurationService:
    return CurationService(parse_config(CONFIG), db)


@pytest.fixture
async def app_on_core(fake: FakeSlack, service: CurationService) -> AsyncIterator[HttpApp]:
    fake.add_channel(NEWS, "newsletter")
    adapter = make_adapter(fake, service, socket_mode=False)
    await adapter.start()
    async for base in serve(adapter.routes()):
        yield HttpApp(adapter, f"{base}/slack/events")
    await adapter.stop()


async def deliver(fake: FakeSlack, app: HttpApp, payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        assert await fake.post_event(app.url, payload) == 200


async def test_a_week_in_slack_becomes_an_approved_issue_posted_once(
    fake: FakeSlack,
    db: Database,
    service: CurationService,
    app_on_core: HttpApp,
) -> None:
    """reliability rows 3 and 5 with the real core: retries, edits, unfurls, deletes, bots,
    broadcasts; receipts go out, an editor's ✅ approves, and the core's publish engine posts the
    issue exactly once although the first attempt died after posting (row 19, Slack side)."""
    week = Week()
    paper = week.message(0, "UANN", "Worth a read <https://example.org/paper?utm_source=x|paper>")
    why = week.message(
        0, "UBOB", "why this matters: it measures what others guess", thread_ts=paper["event"]["ts"]
    )
    again = week.message(1, "UCAT", "https://example.org/paper")
    pair = week.message(2, "UBOB", "<https://a.example/x> and <https://b.example/y>")
    gone = week.message(3, "UDAN", "<https://c.example/oops>")
    broadcast = week.message(
        4,
        "UANN",
        "also <https://d.example/thread>",
        subtype="thread_broadcast",
        thread_ts=pair["event"]["ts"],
    )
    bot_post = copy.deepcopy(load_fixture("events_github_with_link.json"))
    bot_post["event"]["channel"] = WATCHED
    events = [
        paper,
        why,
        again,
        pair,
        gone,
        broadcast,
        bot_post,
        week.unfurl(1, paper),
        week.edit(2, pair, "<https://a.example/x> only"),
        week.delete(3, gone),
        week.react(5, "UEVE", "+1::skin-tone-2", paper),
        week.react(5, EDITOR, "white_check_mark", paper),
        week.react(6, EDITOR, "white_check_mark", broadcast),
    ]
    await deliver(fake, app_on_core, events)
    for retry in (1, 2, 3):  # Slack's retries of deliveries it thought had failed
        assert await fake.post_event(app_on_core.url, paper, retry_num=retry) == 200
        assert await fake.post_event(app_on_core.url, events[-1], retry_num=retry) == 200
    await fake.wait_for(
        lambda: (
            items_by_url(db).get("https://d.example/thread") is not None
            and items_by_url(db)["https://d.example/thread"].status == "approved"
        )
    )

    found = items_by_url(db)
    article = found["https://example.org/paper"]
    assert (article.status, article.why) == ("approved", "it measures what others guess")
    assert article.votes >= 1
    assert found["https://a.example/x"].status == "draft"
    assert found["https://b.example/y"].status == "withdrawn"  # edited out of its message
    assert found["https://c.example/oops"].status == "withdrawn"
    assert not any("github.com" in url for url in found)
    assert len(shares_of(db, found["https://d.example/thread"])) == 1  # broadcast counted once
    assert len(shares_of(db, article)) == 2  # Ann's and Cat's shares of one article

    await fake.wait_for(lambda: len(receipts(fake)) == 5)
    captured = [paper, pair, gone, broadcast]
    assert receipts(fake) == {m["event"]["ts"]: {"inbox_tray"} for m in captured} | {
        again["event"]["ts"]: {"recycle"},  # a second share of a queued article
    }

    parts = await publish_with_a_crash(db, service, app_on_core.adapter)
    posts = fake.bot_posts(NEWS)
    assert len(posts) == parts
    assert [p["metadata"]["event_payload"]["key"] for p in posts] == [
        f"weekly:1:slack:{NEWS}:{number}" for number in range(parts)
    ]
    rendered = " ".join(json.dumps(p["blocks"]) for p in posts)
    assert "https://example.org/paper" in rendered
    assert "https://d.example/thread" in rendered
    assert "a.example" not in rendered  # still a draft


class KilledAfterFirstPost:
    """The Slack publisher inside a process that dies right after its first post reached Slack,
    before the engine could record it (reliability row 19, on the Slack side)."""

    platform = "slack"

    def __init__(self, inner: SlackPublisher) -> None:
        self.inner = inner
        self.alive = False

    async def post(self, channel: str, payload: dict[str, Any], key: str) -> str:
        ts = await self.inner.post(channel, payload, key)
        if not self.alive:
            self.alive = True
            raise ConnectionError("killed after posting")
        return ts

    async def find_posted(self, channel: str, key: str) -> str | None:
        return await self.inner.find_posted(channel, key)

    async def direct_message(self, user: str, payload: dict[str, Any]) -> None:
        await self.inner.direct_message(user, payload)

    async def apply(self, effect: Effect) -> None:
        await self.inner.apply(effect)


async def publish_with_a_crash(
    db: Database, service: CurationService, adapter: SlackAdapter
) -> int:
    """Publish with the core's engine through a publisher killed after its first post, then
    publish again (the restart) and once more; return how many parts the issue has."""
    publisher = KilledAfterFirstPost(adapter.publisher)

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, {"slack": publisher})

    engine = PublishEngine(service.config, db, destinations)
    first = await engine.publish("weekly", "2026-W48")
    assert first.outcome == "incomplete"
    assert (await engine.publish("weekly", "2026-W48")).outcome == "published"
    assert (await engine.publish("weekly", "2026-W48")).outcome == "already-published"
    assert first.issue is not None
    return len(ChatDestination(f"slack:{NEWS}", publisher).parts(first.issue))


async def run_for_a_while(
    fake: FakeSlack,
    service: CurationService,
    work: Callable[[str], Awaitable[None]],
) -> None:
    """One life of the bot: start, serve HTTP events while ``work(url)`` runs, stop."""
    adapter = make_adapter(fake, service, socket_mode=False)
    await adapter.start()
    async for base in serve(adapter.routes()):
        await work(f"{base}/slack/events")
    await adapter.stop()


async def test_restart_recovers_missed_messages_and_old_retries_do_nothing(
    fake: FakeSlack,
    db: Database,
    service: CurationService,
) -> None:
    """reliability row 9 (a gap is backfilled from the checkpoint, nothing missing or doubled)
    and row 3 (one event_id delivered with retries 0–3 across a restart -> one effect)."""
    week = Week()
    before = week.message(6, "UANN", "<https://example.org/before>")
    channel = f"slack:{WATCHED}"

    async def first_life(url: str) -> None:
        assert await fake.post_event(url, before) == 200
        await fake.wait_for(lambda: "https://example.org/before" in items_by_url(db))
        await fake.wait_for(lambda: saved_checkpoint(db, channel) == before["event"]["ts"])

    await run_for_a_while(fake, service, first_life)

    missed = fake.add_message(
        WATCHED,
        {
            "user": "UBOB",
            "text": "<https://example.org/missed>",
            "ts": fake.next_ts(),
            "reactions": [{"name": "white_check_mark", "users": [EDITOR], "count": 1}],
        },
    )
    reply = fake.add_message(
        WATCHED,
        {
            "user": "UCAT",
            "text": "Why: it is the missing piece",
            "ts": fake.next_ts(),
            "thread_ts": missed["ts"],
        },
    )
    missed |= {"thread_ts": missed["ts"], "reply_count": 1, "latest_reply": reply["ts"]}

    async def second_life(url: str) -> None:
        for retry in (1, 2, 3):
            assert await fake.post_event(url, before, retry_num=retry) == 200
        await fake.wait_for(
            lambda: (
                "https://example.org/missed" in items_by_url(db)
                and items_by_url(db)["https://example.org/missed"].why is not None
            )
        )

    await run_for_a_while(fake, service, second_life)

    found = items_by_url(db)
    recovered = found["https://example.org/missed"]
    assert (recovered.status, recovered.why) == ("approved", "it is the missing piece")
    assert len(found) == 2
    assert receipts(fake) == {before["event"]["ts"]: {"inbox_tray"}, missed["ts"]: {"inbox_tray"}}
    assert len(fake.calls_to("reactions.add")) == 2
    assert saved_checkpoint(db, channel) == missed["ts"]


def test_a_broadcast_why_reply_with_a_link_is_the_parents_why(
    db: Database, service: CurationService
) -> None:
    """The real export thread (``thread_with_broadcast_reply.json``) with links in its text: a
    ``thread_broadcast`` reply that opens with a why is the parent's why, its link included."""
    parent, _, broadcast = load_fixture("thread_with_broadcast_reply.json")
    parent["text"] = "thread message <https://a.example/paper>"
    broadcast["text"] = "*why this matters:* <https://b.example/bench|the bench> agrees"
    for message in (parent, broadcast):
        service.handle_sync(message_event(WATCHED, message))
    [item] = items_by_url(db).values()
    assert (item.canonical_url, item.why) == ("https://a.example/paper", "the bench agrees")
