"""The whole path: fake Discord -> discord.py -> adapter -> the real core on a real database ->
publish engine -> adapter -> fake Discord (on SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import DigestConfig, parse_config
from bot.curate.commands import REFUSAL, listed
from bot.curate.service import CurationService
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import PublishEngine
from bot.events import Author, MessagePosted
from storage.db import Database
from storage.models import Item
from storage.repo import Repo
from tests.core.helpers import EDITOR_ONLY, help_names
from tests.discord.fake_discord import FakeDiscord
from tests.discord.support import (
    EDITOR,
    EDITOR_ROLE,
    MEMBER,
    OTHER_MEMBER,
    UNWATCHED,
    WATCHED,
    BotFactory,
    settle,
)

CONFIG = f"""
[[digest]]
name = "weekly"
title = "Weekly — Issue {{number}}"
sources = ["discord:{WATCHED}"]
publish_to = ["discord:{UNWATCHED}"]
editors = ["discord:role:{EDITOR_ROLE}"]
"""


def items(db: Database) -> list[Item]:
    with db.session() as session:
        return Repo(session).items("weekly")


async def test_shares_votes_approval_and_exactly_once_publication(
    fake: FakeDiscord, db: Database, start_bot: BotFactory
) -> None:
    core = CurationService(parse_config(CONFIG), db)
    client = await start_bot(core)

    share = fake.user_says(WATCHED, MEMBER, "Worth it: https://example.org/post?utm_source=dc")
    why = "why this matters: it explains the outage"
    fake.user_says(WATCHED, EDITOR, why, reply_to=share["id"])
    fake.react(WATCHED, share["id"], OTHER_MEMBER, "👍")
    fake.react(WATCHED, share["id"], EDITOR, "✅")
    withdrawn = fake.user_says(WATCHED, OTHER_MEMBER, "https://example.org/oops")
    fake.edit(WATCHED, withdrawn["id"], "https://example.org/oops-fixed")
    fake.delete(WATCHED, withdrawn["id"])
    await settle(client)

    item, *edited_then_deleted = items(db)
    assert [(i.canonical_url, i.status) for i in edited_then_deleted] == [
        ("https://example.org/oops", "withdrawn"),
        ("https://example.org/oops-fixed", "withdrawn"),
    ]
    assert (item.canonical_url, item.status, item.votes) == (
        "https://example.org/post",
        "approved",
        1,
    )
    assert item.why is not None
    assert "outage" in item.why
    assert (WATCHED, share["id"], "📥") in fake.reactions_put

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        return build_destinations(digest.publish_to, {"discord": client.publisher})

    engine = PublishEngine(core.config, db, destinations, now=lambda: datetime.now(UTC))
    first = await engine.publish("weekly", "2026-W48")
    again = await engine.publish("weekly", "2026-W48")

    assert first.outcome == "published"
    assert again.outcome == "already-published"
    posts = [p for p in fake.posts if p["channel_id"] == UNWATCHED]
    assert len(posts) == 1
    assert "Weekly — Issue 1" in posts[0]["content"]
    assert posts[0]["allowed_mentions"] == {"parse": []}
    assert any("example.org/post" in e.get("url", "") for e in posts[0]["embeds"])
    assert [i.status for i in items(db)] == ["published", "withdrawn", "withdrawn"]


async def test_a_slack_and_a_discord_share_are_one_item(
    fake: FakeDiscord, db: Database, start_bot: BotFactory
) -> None:
    config = CONFIG.replace(
        f'sources = ["discord:{WATCHED}"]', f'sources = ["discord:{WATCHED}", "slack:C1"]'
    )
    core = CurationService(parse_config(config), db)
    client = await start_bot(core)
    await core.handle(
        MessagePosted(
            "slack:C1:1.0",
            "slack:C1",
            "1.0",
            Author("slack:U1"),
            "<https://example.org/same?utm_medium=slack|same>",
            datetime.now(UTC),
        )
    )
    fake.user_says(WATCHED, MEMBER, "also <https://example.org/same?fbclid=x>")
    await settle(client)

    (item,) = items(db)
    with db.session() as session:
        shares = Repo(session).shares_of_item(item.id or 0)
    assert sorted(s.channel for s in shares) == [f"discord:{WATCHED}", "slack:C1"]


async def test_slash_queue_and_approve_button_with_the_real_core(
    fake: FakeDiscord, db: Database, start_bot: BotFactory
) -> None:
    core = CurationService(parse_config(CONFIG), db)
    client = await start_bot(core)
    fake.user_says(WATCHED, MEMBER, "https://example.org/queued")
    await settle(client)

    fake.slash(WATCHED, EDITOR, "queue")
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 1)
    (first_row, *_) = fake.interaction_callbacks[0]["data"]["components"]
    approve = first_row["components"][0]
    fake.click(WATCHED, MEMBER, approve["custom_id"])  # not an editor: refused by the core
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 2)
    assert [i.status for i in items(db)] == ["draft"]
    fake.click(WATCHED, EDITOR, approve["custom_id"])
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 3)

    assert [i.status for i in items(db)] == ["approved"]


async def test_the_command_tree_is_the_command_table(
    fake: FakeDiscord, db: Database, start_bot: BotFactory
) -> None:
    """Every listed command is a sub-command (``mine`` too), described by its summary; help
    names the same ones; the editors' ones refuse everyone else."""
    core = CurationService(parse_config(CONFIG), db)
    await start_bot(core)
    [group] = [c for c in fake.commands if c["name"] == "linkletter"]
    tree = {o["name"]: o["description"] for o in group["options"]}
    assert tree == {command.name: command.summary for command in listed()}
    [add] = [o for o in group["options"] if o["name"] == "add"]
    assert [(o["name"], o["description"], o["required"]) for o in add["options"]] == [
        ("text", "<url> [why]", False)
    ]

    assert help_names(await answer(fake, MEMBER, "help")) == set(tree)
    for name in EDITOR_ONLY:
        assert await answer(fake, MEMBER, name) == REFUSAL
        assert await answer(fake, EDITOR, name) != REFUSAL


async def answer(fake: FakeDiscord, user: str, name: str) -> str:
    """``/linkletter <name>`` from ``user``: the core's answer as sent."""
    count = len(fake.interaction_callbacks)
    fake.slash(WATCHED, user, name)
    await fake.wait_for(lambda: len(fake.interaction_callbacks) > count)
    return str(fake.interaction_callbacks[-1]["data"]["content"])
