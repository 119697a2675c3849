"""Network faults while a digest goes out: the real ``PublishEngine`` with the real Slack and
Discord publishers against the protocol fakes, which answer with 429 storms, 5xx errors and a
dropped gateway WebSocket. However many runs it takes, each message is posted exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.bot import DiscordSettings, LinkletterDiscord, run
from adapters.slack.publisher import SlackPublisher
from adapters.slack.settings import SlackSettings, make_client
from bench import workload
from bot.curate.service import CurationService
from bot.deliver.destinations import build_destinations
from bot.deliver.engine import PublishEngine, PublishReport
from storage.db import Database
from tests.discord.fake_discord import FakeDiscord
from tests.discord.support import RecordingCore, settle
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

SLACK_CHANNEL = "C0DIGEST"
DISCORD_CHANNEL = "263607951971975168"  # a text channel of the fake's GUILD_CREATE capture
PERIOD = "2026-W47"


@pytest.fixture
def database(tmp_path: Path) -> Database:
    """An issue's worth of approved items (25 posts, each approved by an editor)."""
    db = Database.connect(f"sqlite:///{tmp_path / 'net.db'}")
    db.upgrade()
    core = CurationService(workload.config(), db)
    for event in workload.neutral(workload.approved(25)):
        core.handle_sync(event)
    return db


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel(SLACK_CHANNEL, "digest")
        yield fake


@pytest.fixture
async def discord_client() -> AsyncIterator[tuple[FakeDiscord, LinkletterDiscord]]:
    fake = FakeDiscord()
    await fake.start()
    settings = DiscordSettings(
        token=fake.token,
        api_url=fake.api_url,
        gateway_url=fake.gateway_url,
        guild_ready_timeout=0.05,
        identify_delay=0,
    )
    client = LinkletterDiscord(RecordingCore(watched=set(), editor_roles=set()), settings)
    task = asyncio.create_task(run(client, fake.token))
    await asyncio.wait_for(client.wait_until_ready(), 5)
    await settle(client)
    yield fake, client
    await client.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, 5)
    await fake.stop()


def engine(db: Database, targets: list[str], publishers: dict[str, Any]) -> PublishEngine:
    config = workload.config(publish_to=targets)
    return PublishEngine(
        config,
        db,
        lambda digest: build_destinations(digest.publish_to, publishers),
        now=lambda: workload.START,
        owner="one-bot",  # a restarted bot on the same host resumes its own claim
    )


async def publish_until_done(publisher: PublishEngine, runs: int = 6) -> list[PublishReport]:
    """The scheduler's retries: publish the same period again until the issue is complete."""
    reports = [await publisher.publish("weekly", PERIOD)]
    while reports[-1].outcome == "incomplete" and len(reports) < runs:
        reports.append(await publisher.publish("weekly", PERIOD))
    return reports


def slack_keys(fake: FakeSlack) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in fake.bot_posts(SLACK_CHANNEL)]


async def test_slack_429_storm_and_5xx_post_the_digest_exactly_once(
    database: Database, slack: FakeSlack
) -> None:
    """Reliability rows 6 and 19: more 429s than the client retries, then 5xx answers; the
    parts that failed stay pending, the next runs look for them before posting again."""
    client = make_client(SlackSettings(bot_token=BOT_TOKEN, api_url=slack.api_url))
    publisher = SlackPublisher(client, min_interval=0.01)
    slack.fail_next("chat.postMessage", 429, retry_after=0, times=5)
    publishing = engine(database, [f"slack:{SLACK_CHANNEL}"], {"slack": publisher})
    first = await publishing.publish("weekly", PERIOD)
    assert first.outcome == "incomplete"
    slack.fail_next("chat.postMessage", 503, times=4)
    reports = [first, *await publish_until_done(publishing)]
    assert reports[-1].outcome == "published"
    keys = slack_keys(slack)
    assert len(keys) == len(set(keys)) >= 1
    assert len(slack.calls_to("chat.postMessage")) > len(keys)  # the faults really happened
    assert (await publishing.publish("weekly", PERIOD)).outcome == "already-published"
    assert slack_keys(slack) == keys


async def test_discord_429s_and_a_dropped_gateway_post_the_digest_exactly_once(
    database: Database, discord_client: tuple[FakeDiscord, LinkletterDiscord]
) -> None:
    """Reliability rows 9 and 19 for Discord: rate limits on the message route and the
    gateway WebSocket cut while the issue goes out; every embed message arrives once."""
    fake, client = discord_client
    for _ in range(3):
        fake.rate_limit_next("/messages", 0.05)
    publishing = engine(database, [f"discord:{DISCORD_CHANNEL}"], {"discord": client.publisher})
    dropping = asyncio.create_task(fake.drop())
    reports = await publish_until_done(publishing)
    await dropping
    assert reports[-1].outcome == "published"
    bodies = [post for post in fake.posts if post["channel_id"] == DISCORD_CHANNEL]
    nonces = [post["nonce"] for post in bodies]
    assert len(nonces) == len(set(nonces)) > 1
    sent = [path for method, path in fake.requests if method == "POST" and "/messages" in path]
    assert len(sent) > len(nonces)  # the rate limits really answered some of them
    assert (await publishing.publish("weekly", PERIOD)).outcome == "already-published"
    await asyncio.wait_for(client.wait_until_ready(), 5)  # the gateway came back by itself
