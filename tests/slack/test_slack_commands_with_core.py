"""Commands, the shortcut, buttons and the App Home over Socket Mode with the real core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.slack.connection import SHORTCUT_CALLBACK_ID, SlackAdapter
from adapters.slack.render import escape
from bot.config import parse_config
from bot.curate.commands import REFUSAL, listed
from bot.curate.service import CurationService
from storage.db import Database
from storage.models import Item
from storage.repo import Repo
from tests.core.helpers import EDITOR_ONLY, help_names
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import EDITOR, OTHER, WATCHED, load_fixture, make_adapter

CONFIG = f"""
[[digest]]
name = "weekly"
sources = ["slack:{WATCHED}"]
editors = ["slack:{EDITOR}"]
"""


@pytest.fixture
async def app(fake: FakeSlack, db: Database) -> AsyncIterator[SlackAdapter]:
    adapter = make_adapter(fake, CurationService(parse_config(CONFIG), db), socket_mode=True)
    await adapter.start()
    await fake.wait_connected()
    yield adapter
    await adapter.stop()


def all_items(db: Database) -> list[Item]:
    with db.session() as session:
        return Repo(session).items("weekly")


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def slash(fake: FakeSlack, text: str, user: str) -> dict[str, Any]:
    """Run ``/linkletter text`` as ``user``; return what was sent to the response_url."""
    count = len(fake.responses)
    await fake.push_envelope(
        {
            "command": "/linkletter",
            "text": text,
            "user_id": user,
            "user_name": user.lower(),
            "channel_id": WATCHED,
            "team_id": "TFAKE",
            "response_url": fake.response_url(),
            "trigger_id": "1.2.3",
        },
        kind="slash_commands",
    )
    await fake.wait_for(lambda: len(fake.responses) > count)
    return fake.responses[-1]


async def test_shortcut_add_then_editor_approves_from_the_queue(
    fake: FakeSlack,
    db: Database,
    app: SlackAdapter,
) -> None:
    message = load_fixture("message_with_links.json")
    await fake.push_envelope(
        {
            "type": "message_action",
            "callback_id": SHORTCUT_CALLBACK_ID,
            "user": {"id": "UANN"},
            "channel": {"id": OTHER},
            "team": {"id": "TFAKE"},
            "message": message,
            "message_ts": message["ts"],
            "trigger_id": "1.2.3",
            "response_url": fake.response_url(),
        },
        kind="interactive",
    )
    await fake.wait_for(lambda: len(fake.responses) == 1)
    assert "Added to *weekly*" in fake.responses[0]["text"]
    [item] = all_items(db)
    assert item.canonical_url == "https://chat.zulip.org/"
    assert item.unfurl_title == "Public view of Zulip Community | Zulip team chat"

    refused = await slash(fake, "queue", "UANN")
    assert "only this digest's editors" in refused["text"]

    queue = await slash(fake, "queue", EDITOR)
    approve = buttons(queue["blocks"])[0]
    assert (approve["action_id"], approve["value"]) == ("linkletter_approve", str(item.id))
    answered = len(fake.responses)
    await fake.push_envelope(
        {
            "type": "block_actions",
            "user": {"id": EDITOR},
            "team": {"id": "TFAKE"},
            "channel": {"id": WATCHED},
            "container": {"type": "message"},
            "trigger_id": "1.2.3",
            "response_url": fake.response_url(),
            "actions": [{**approve, "type": "button", "block_id": "b", "action_ts": "1.2"}],
        },
        kind="interactive",
    )
    await fake.wait_for(lambda: len(fake.responses) > answered)
    updated = fake.responses[-1]
    assert updated["replace_original"] is True  # the queue message itself is redrawn
    assert updated["text"].startswith(f"Item {item.id} is now approved.\n")
    assert "· approved" in str(updated["blocks"])  # the item's line shows its new state
    assert "· draft" not in str(updated["blocks"])
    assert buttons(updated["blocks"])  # still curatable
    assert all_items(db)[0].status == "approved"


async def test_home_tab_lists_what_a_member_shared(
    fake: FakeSlack,
    db: Database,
    app: SlackAdapter,
) -> None:
    reply = await slash(fake, "add https://example.org/essay because it is good", "UANN")
    assert "Added" in reply["text"]
    opened = load_fixture("events_app_home_opened_home.json")
    opened["event"]["user"] = "UANN"
    await fake.push_envelope(opened)
    await fake.wait_for(lambda: "UANN" in fake.views)
    home = str(fake.views["UANN"]["blocks"])
    assert "What you shared" in home
    assert "https://example.org/essay" in home
    assert buttons(fake.views["UANN"]["blocks"]) == []


async def test_slash_add_shows_the_sharers_display_name_not_their_handle(
    fake: FakeSlack, db: Database, app: SlackAdapter
) -> None:
    """The payload's ``user_name`` is the legacy handle ("uann"); the issue shows the profile's
    name, looked up with users.info after the add."""
    fake.add_user("UANN", "uann", real_name="Ann Example", display_name="Annie")
    answer = await slash(fake, "add https://example.org/paper why: it is good", "UANN")
    assert "Added to *weekly*" in answer["text"]
    [item] = all_items(db)

    def named() -> dict[int, str]:
        with db.session() as session:
            return Repo(session).sharer_names([item.id or 0])

    await fake.wait_for(lambda: named() == {item.id: "Annie"})


async def test_help_lists_the_command_table(fake: FakeSlack, app: SlackAdapter) -> None:
    """Slack offers what the table holds: help names every listed command, and each one typed
    reaches its own handler (none falls back to the help)."""
    reply = await slash(fake, "help", "UANN")
    assert help_names(reply["text"]) == {command.name for command in listed()}
    for command in listed():
        if command.name != "help":
            assert (await slash(fake, command.name, EDITOR))["text"] != reply["text"]


@pytest.mark.parametrize("name", EDITOR_ONLY)
async def test_editor_commands_are_refused_to_others(
    fake: FakeSlack, app: SlackAdapter, name: str
) -> None:
    assert (await slash(fake, name, "UANN"))["text"] == escape(REFUSAL)
    assert (await slash(fake, name, EDITOR))["text"] != escape(REFUSAL)
