"""The real bolt app over Socket Mode against the fake: events, reconnects, commands, App Home."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.slack.connection import SHORTCUT_CALLBACK_ID, SlackAdapter
from bot.events import MessagePosted
from bot.ports import CommandReply, QueueEntry
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import (
    EDITOR,
    OTHER,
    WATCHED,
    RecordingCore,
    in_channel,
    load_fixture,
    make_adapter,
)

ENTRY = QueueEntry(
    item_id=7,
    title="Fast <b>things</b> & more",
    url="https://example.org/a",
    why="<!channel> read this",
    votes=3,
    section="ML",
    status="draft",
    featured=False,
    digest="weekly",
)


def slash(fake: FakeSlack, text: str, user: str = EDITOR) -> dict[str, Any]:
    return {
        "command": "/linkletter",
        "text": text,
        "user_id": user,
        "user_name": user.lower(),
        "channel_id": WATCHED,
        "team_id": "TFAKE",
        "response_url": fake.response_url(),
        "trigger_id": "1.2.3",
        "api_app_id": "AFAKE",
    }


def button_press(fake: FakeSlack, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": EDITOR},
        "team": {"id": "TFAKE"},
        "api_app_id": "AFAKE",
        "trigger_id": "1.2.3",
        "response_url": fake.response_url(),
        "actions": [{**element, "type": "button", "block_id": "b", "action_ts": "1.2"}],
        **extra,
    }


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_envelope_is_acked_and_handled(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    payload = in_channel(load_fixture("events_link.json"))
    ack = await fake.push_envelope(payload)
    assert "envelope_id" in ack
    await fake.wait_for(lambda: len(fake.calls_to("reactions.add")) == 1)
    assert [e.event_id for e in core.events] == ["Ev043R67DQ1H"]


async def test_readiness_follows_the_socket(fake: FakeSlack, core: RecordingCore) -> None:
    adapter = make_adapter(fake, core, socket_mode=True)
    assert not adapter.is_connected()
    await adapter.start()
    await fake.wait_connected()
    assert adapter.is_connected()
    await adapter.stop()
    assert not adapter.is_connected()


async def test_redelivered_envelope_is_handled_not_dropped(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    """reliability row 4: an envelope that only arrives as a retry (retry_attempt=1) is captured."""
    payload = in_channel(load_fixture("events_zulip_message_with_normal_text.json"))
    await fake.push_envelope(payload, retry_attempt=1)
    await fake.push_envelope(payload, retry_attempt=2)
    await fake.wait_for(lambda: len(core.deliveries) == 2)
    assert [e.event_id for e in core.events] == [payload["event_id"]]


async def test_reconnect_backfills_what_was_said_meanwhile(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    """reliability row 9: after a dropped connection, history since the checkpoint is replayed."""
    live = in_channel(load_fixture("events_link.json"))
    live["event"]["ts"] = fake.next_ts()
    await fake.push_envelope(live)
    await fake.wait_for(lambda: core.checkpoints.get(f"slack:{WATCHED}") == live["event"]["ts"])
    await fake.drop_socket_connections()
    missed = fake.add_message(
        WATCHED, {"user": "U2", "text": "<https://example.org/missed>", "ts": fake.next_ts()}
    )
    await fake.wait_connected()
    await fake.wait_for(lambda: len(core.events) == 2)
    recovered = core.events[1]
    assert isinstance(recovered, MessagePosted)
    assert recovered.message_id == missed["ts"]
    assert fake.connections_opened == 2


async def test_slash_command_is_acked_and_answered_ephemerally(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    core.reply = CommandReply(text="Queue: 1 item", entries=(ENTRY,))
    await fake.push_envelope(slash(fake, "queue  weekly"), kind="slash_commands")
    await fake.wait_for(lambda: len(fake.responses) == 1)
    [request] = core.commands
    assert (request.name, request.args, request.user.id, request.channel) == (
        "queue",
        "weekly",
        f"slack:{EDITOR}",
        f"slack:{WATCHED}",
    )
    response = fake.responses[0]
    assert response["response_type"] == "ephemeral"
    assert [b["action_id"] for b in buttons(response["blocks"])] == [
        "linkletter_approve",
        "linkletter_reject",
        "linkletter_feature",
    ]
    entry_text = response["blocks"][1]["text"]["text"]
    assert "<!channel>" not in entry_text  # reliability row 10: user text is inert
    assert "&lt;!channel&gt;" in entry_text


async def test_unknown_subcommand_asks_for_help(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    await fake.push_envelope(slash(fake, "frobnicate now"), kind="slash_commands")
    await fake.wait_for(lambda: len(core.commands) == 1)
    assert core.commands[0].name == "help"


async def test_publish_confirmation_button_resends_confirmed(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    core.reply = CommandReply(text="Publish 12 items to #news?", needs_confirmation=True)
    await fake.push_envelope(slash(fake, "publish weekly"), kind="slash_commands")
    await fake.wait_for(lambda: len(fake.responses) == 1)
    [confirm] = buttons(fake.responses[0]["blocks"])
    core.reply = CommandReply(text="Published.")
    press = button_press(fake, confirm, channel={"id": WATCHED}, container={"type": "message"})
    await fake.push_envelope(press, kind="interactive")
    await fake.wait_for(lambda: len(core.commands) == 2)
    assert (core.commands[1].name, core.commands[1].args, core.commands[1].confirmed) == (
        "publish",
        "weekly",
        True,
    )


async def test_add_to_digest_shortcut_works_in_unwatched_channels(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    message = load_fixture("message_with_links.json")
    shortcut = {
        "type": "message_action",
        "callback_id": SHORTCUT_CALLBACK_ID,
        "user": {"id": "U2"},
        "channel": {"id": OTHER},
        "team": {"id": "TFAKE"},
        "message": message,
        "message_ts": message["ts"],
        "trigger_id": "1.2.3",
        "response_url": fake.response_url(),
    }
    await fake.push_envelope(shortcut, kind="interactive")
    await fake.wait_for(lambda: len(fake.responses) == 1)
    [request] = core.commands
    assert request.name == "add"
    assert isinstance(request.message, MessagePosted)
    assert (request.message.channel, request.message.message_id) == (
        f"slack:{OTHER}",
        message["ts"],
    )
    assert request.message.unfurls[0].site_name == "Zulip"


async def test_app_home_shows_editors_the_queue_and_buttons_update_it(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    core.reply = CommandReply(text="1 draft", entries=(ENTRY,))
    opened = load_fixture("events_app_home_opened_home.json")
    opened["event"]["user"] = EDITOR
    await fake.push_envelope(opened)
    await fake.wait_for(lambda: EDITOR in fake.views)
    assert core.commands[0].name == "queue"
    approve = buttons(fake.views[EDITOR]["blocks"])[0]
    del fake.views[EDITOR]
    await fake.push_envelope(
        button_press(fake, approve, view={"type": "home", "id": "V1"}), kind="interactive"
    )
    await fake.wait_for(lambda: EDITOR in fake.views)
    assert [(c.name, c.args) for c in core.commands] == [
        ("queue", ""),
        ("approve", "7"),
        ("queue", ""),
    ]


async def test_app_home_shows_others_what_they_shared_without_buttons(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    core.reply = CommandReply(text="You shared 1 link", entries=(ENTRY,))
    await fake.push_envelope(load_fixture("events_app_home_opened_home.json"))
    user = load_fixture("events_app_home_opened_home.json")["event"]["user"]
    await fake.wait_for(lambda: user in fake.views)
    assert core.commands[0].name == "mine"
    assert buttons(fake.views[user]["blocks"]) == []


async def test_bot_says_hello_once_when_it_joins_a_channel(
    fake: FakeSlack,
    core: RecordingCore,
    socket_app: SlackAdapter,
) -> None:
    event = {
        "type": "member_joined_channel",
        "user": fake.bot_user_id,
        "channel": WATCHED,
        "channel_type": "C",
        "team": "TFAKE",
        "event_ts": "1700000000.000100",
    }
    joined = {"type": "event_callback", "event_id": "EvJOIN", "team_id": "TFAKE", "event": event}
    someone = {**joined, "event_id": "EvJOIN2", "event": {**event, "user": "U2"}}
    unwatched = {**joined, "event_id": "EvJOIN3", "event": {**event, "channel": OTHER}}
    for payload in (joined, joined, someone, unwatched):
        await fake.push_envelope(payload)
    await fake.wait_for(lambda: len(fake.bot_posts(WATCHED)) == 1)
    await asyncio.sleep(0.2)  # room for a (wrong) second hello
    [hello] = fake.bot_posts(WATCHED)
    assert fake.bot_posts(OTHER) == []  # a channel it only publishes to: nothing to announce
    assert "links shared here" in hello["text"]
    assert hello["unfurl_links"] is False
