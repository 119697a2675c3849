"""Command parsing and Block Kit rendering of core replies (no network)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.commands import home_view, reply_message, request_from
from bot.curate.commands import listed
from bot.ports import CommandReply, QueueEntry

MANIFEST = Path(__file__).parents[2] / "deploy" / "slack" / "manifest.yml"
HOSTILE = ["<!channel>", "<!here>", "<!everyone>", "<@U1>", "<https://evil|ok>", "<!subteam^S1>"]


def entry(title: str, why: str | None = None) -> QueueEntry:
    return QueueEntry(
        item_id=1,
        title=title,
        url="https://example.org/a",
        why=why,
        votes=0,
        section="Links",
        status="draft",
        featured=False,
        digest="weekly",
    )


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_user_text_is_inert_in_replies_and_home(hostile: str) -> None:
    """reliability row 10: mentions and disguised links from users never reach Slack armed."""
    reply = CommandReply(text=f"Heading {hostile}", entries=(entry(hostile, why=hostile),))
    request = request_from("queue", "", "UED", "C1")
    rendered = [reply_message(request, reply, editor=True)["blocks"], home_view(reply, editor=True)]
    for blocks in rendered:
        assert hostile not in texts(blocks)
        assert hostile.replace("<", "&lt;").replace(">", "&gt;") in texts(blocks)


def test_confirmation_button_carries_the_request() -> None:
    request = request_from("publish", "weekly", "UED", "C1")
    reply = CommandReply(text="Publish?", needs_confirmation=True)
    [actions] = [
        b for b in reply_message(request, reply, editor=True)["blocks"] if b["type"] == "actions"
    ]
    [button] = actions["elements"]
    assert json.loads(button["value"]) == {"name": "publish", "args": "weekly"}


def test_public_replies_are_in_channel() -> None:
    request = request_from("status", "", "U1", "C1")
    message = reply_message(request, CommandReply(text="ok", ephemeral=False), editor=False)
    assert message["response_type"] == "in_channel"


def test_big_queues_stay_within_fifty_blocks() -> None:
    """Block Kit allows at most 50 blocks per message or view."""
    reply = CommandReply(text="many", entries=tuple(entry(f"t{n}") for n in range(60)))
    request = request_from("queue", "", "UED", "C1")
    for blocks in (
        reply_message(request, reply, editor=True)["blocks"],
        home_view(reply, editor=True)["blocks"],
    ):
        assert len(blocks) <= 50
        assert "more: `linkletter items list`" in blocks[-1]["text"]["text"]


def test_a_pipe_in_a_url_or_title_cannot_relabel_the_queue_link() -> None:
    """issue 18: ``/linkletter add https://evil.example/x|https://trusted.example/`` must not
    show a trusted label that links to the evil URL, in the queue or the App Home."""
    url = "https://evil.example/x|https://trusted.example/"
    queued = QueueEntry(
        item_id=1, title="Docs | Trusted > Safe", url=url, why=None, votes=0,
        section="Elsewhere", status="draft", featured=False, digest="weekly",
    )  # fmt: skip
    reply = CommandReply(text="queue", entries=(queued,))
    request = request_from("queue", "", "UED", "C1")
    queue_blocks = reply_message(request, reply, editor=True)["blocks"]
    for blocks in (queue_blocks, home_view(reply, editor=True)["blocks"]):
        [line] = [b["text"]["text"] for b in blocks if "evil" in b.get("text", {}).get("text", "")]
        target, label = line.split("\n")[0].strip("<>").split("|")
        assert target == "https://evil.example/x%7Chttps://trusted.example/"
        assert label == "Docs ¦ Trusted &gt; Safe"


def test_the_manifest_hints_the_command_table() -> None:
    """The app's manifest is written by hand: its usage hint must list the table's commands."""
    [hint] = re.findall(r'usage_hint: "([^"]*)"', MANIFEST.read_text())
    assert hint == " | ".join(f"{c.name} {c.usage}".strip() for c in listed())
