"""Slash commands, the message shortcut, posting digests and receipts, and fatal gateway closes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.discord.bot import DiscordSettings, DiscordSetupError, LinkletterDiscord, run
from bot.events import MessagePosted, ReplyInThread
from tests.discord.fake_discord import FakeDiscord
from tests.discord.support import (
    EDITOR,
    EDITOR_ROLE,
    MEMBER,
    WATCHED,
    BotFactory,
    RecordingCore,
    settle,
)

EPHEMERAL = 64
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE = 4, 5, 6, 7


async def test_slash_command_reaches_core_and_answers_ephemerally(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    client = await start_bot(core)
    assert {c["name"] for c in fake.commands} == {"linkletter", "Add to digest"}
    fake.slash(WATCHED, EDITOR, "add", "https://example.org/x why: good")
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 1)

    (request,) = core.requests
    assert (request.name, request.args, request.channel, request.platform) == (
        "add",
        "https://example.org/x why: good",
        f"discord:{WATCHED}",
        "discord",
    )
    assert request.user.roles == (f"discord:role:{EDITOR_ROLE}",)
    (callback,) = fake.interaction_callbacks
    assert callback["type"] == CHANNEL_MESSAGE
    assert callback["data"]["content"] == "add: ok"
    assert callback["data"]["flags"] & EPHEMERAL
    await settle(client)


async def test_slow_answers_are_deferred_then_sent_as_follow_ups(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    core.command_delay = 0.3
    await start_bot(core, answer_within=0.05)
    fake.slash(WATCHED, EDITOR, "publish")
    await fake.wait_for(lambda: len(fake.followups) == 1)
    (ack,) = fake.interaction_callbacks
    assert ack["type"] == DEFERRED_CHANNEL_MESSAGE
    assert ack["data"]["flags"] & EPHEMERAL
    assert fake.followups[0]["content"] == "Publish now?"

    (row,) = fake.followups[0]["components"]
    fake.click(WATCHED, EDITOR, row["components"][0]["custom_id"])
    await fake.wait_for(lambda: len(fake.original_edits) == 1)
    assert fake.interaction_callbacks[1]["type"] == DEFERRED_UPDATE_MESSAGE
    assert fake.original_edits[0]["content"] == "publish: ok"
    assert fake.original_edits[0]["components"] == []


async def test_publish_asks_for_confirmation_then_confirms(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    await start_bot(core)
    fake.slash(WATCHED, EDITOR, "publish")
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 1)
    (row,) = fake.interaction_callbacks[0]["data"]["components"]
    (button,) = row["components"]
    assert button["label"] == "Confirm"

    fake.click(WATCHED, MEMBER, button["custom_id"])
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 2)
    assert len(core.requests) == 1  # someone else's click is refused

    fake.click(WATCHED, EDITOR, button["custom_id"])
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 3)
    assert [r.confirmed for r in core.requests] == [False, True]
    assert fake.interaction_callbacks[2]["type"] == UPDATE_MESSAGE
    assert fake.interaction_callbacks[2]["data"]["content"] == "publish: ok"


async def test_queue_buttons_send_decisions_as_the_presser(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    await start_bot(core)
    fake.slash(WATCHED, EDITOR, "queue")
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 1)
    rows = fake.interaction_callbacks[0]["data"]["components"]
    labels = [[c["label"] for c in row["components"]] for row in rows]
    assert labels == [
        ["Approve 7", "Reject 7", "Feature 7"],
        ["Approve 9", "Reject 9", "Feature 9"],
    ]

    fake.click(WATCHED, MEMBER, rows[1]["components"][0]["custom_id"])
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 2)
    decision = core.requests[-1]
    assert (decision.name, decision.args, decision.user.id) == ("approve", "9", f"discord:{MEMBER}")
    assert fake.interaction_callbacks[1]["data"]["flags"] & EPHEMERAL

    fake.click(WATCHED, EDITOR, rows[0]["components"][0]["custom_id"])
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 3)
    decision, redraw = core.requests[-2:]
    assert (decision.name, decision.args, decision.user.id) == ("approve", "7", f"discord:{EDITOR}")
    assert redraw.name == "queue"
    update = fake.interaction_callbacks[2]
    assert update["type"] == UPDATE_MESSAGE  # the queue message itself is edited
    assert update["data"]["content"] == "approve: ok\n2 waiting"
    assert len(update["data"]["components"]) == 2  # its buttons stay


async def test_message_shortcut_captures_the_message(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    await start_bot(core)
    shared = fake.user_says(WATCHED, MEMBER, "https://example.org/worth-it")
    fake.message_shortcut(WATCHED, EDITOR, shared["id"])
    await fake.wait_for(lambda: len(fake.interaction_callbacks) == 1)

    (request,) = core.requests
    assert request.name == "add"
    assert isinstance(request.message, MessagePosted)
    assert (request.message.message_id, request.message.author.id) == (
        shared["id"],
        f"discord:{MEMBER}",
    )


PAYLOAD: dict[str, Any] = {
    "content": "This week: @everyone <@&136965347994632192> <@134127815531560960>",
    "embeds": [
        {
            "title": "Issue 12",
            "description": "[x](http://evil.example)",
            "footer": {"text": "Linkletter"},
        }
    ],
}


async def test_post_disables_mentions_and_is_recognised_after_a_crash(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    """reliability row 10 (mentions inert on output) and the nonce/marker used for row 19."""
    client = await start_bot(core)
    fake.rate_limit_next("/messages", retry_after=0.05)
    first = await client.publisher.post(f"discord:{WATCHED}", PAYLOAD, key="weekly:12:0")
    again = await client.publisher.post(f"discord:{WATCHED}", PAYLOAD, key="weekly:12:0")

    assert first == again  # the nonce made the retry a no-op
    (post,) = fake.posts
    assert post["allowed_mentions"] == {"parse": []}
    assert post["enforce_nonce"] is True
    assert post["content"] == PAYLOAD["content"]
    assert post["embeds"][0]["footer"]["text"].startswith("Linkletter · ll:")
    assert fake.requests.count(("POST", f"/channels/{WATCHED}/messages")) == 3  # 429 + 2
    assert await client.publisher.find_posted(f"discord:{WATCHED}", "weekly:12:0") == first
    assert await client.publisher.find_posted(f"discord:{WATCHED}", "weekly:13:0") is None


async def test_thread_reply_receipt_and_direct_message(
    fake: FakeDiscord, core: RecordingCore, start_bot: BotFactory
) -> None:
    client = await start_bot(core)
    shared = fake.user_says(WATCHED, MEMBER, "https://example.org/again")
    await client.publisher.apply(ReplyInThread(f"discord:{WATCHED}", shared["id"], "Already in"))
    await client.publisher.direct_message(f"discord:{EDITOR}", {"content": "Preview"})

    reply, dm = fake.posts
    assert reply["message_reference"]["message_id"] == shared["id"]
    assert reply["allowed_mentions"]["parse"] == []
    assert (dm["channel_id"], dm["content"]) == (f"9{EDITOR}", "Preview")


async def test_missing_message_content_intent_is_fatal_without_reconnects(
    fake: FakeDiscord, core: RecordingCore
) -> None:
    """reliability row 8: close 4014 -> a clear setup error, one IDENTIFY, no loop."""
    fake.identify_close_code = 4014
    settings = DiscordSettings(
        token=fake.token, api_url=fake.api_url, gateway_url=fake.gateway_url, identify_delay=0
    )
    client = LinkletterDiscord(core, settings)
    with pytest.raises(DiscordSetupError, match="Message Content Intent"):
        await asyncio.wait_for(run(client, fake.token), 5)
    assert fake.ops[2] == 1
    assert client.is_closed()


async def test_bad_token_is_a_setup_error(fake: FakeDiscord, core: RecordingCore) -> None:
    settings = DiscordSettings(token="wrong", api_url=fake.api_url, gateway_url=fake.gateway_url)
    with pytest.raises(DiscordSetupError, match="token"):
        await asyncio.wait_for(run(LinkletterDiscord(core, settings), "wrong"), 5)
