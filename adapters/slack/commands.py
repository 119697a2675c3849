"""``/linkletter`` text, buttons and the App Home, to and from ``bot.ports`` command types."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack.render import escape, escape_label, link
from adapters.slack.translate import slack_id
from bot.curate.commands import Tone, item_buttons, parse_command_text
from bot.events import Author
from bot.ports import CommandReply, CommandRequest, QueueEntry

ACTION_PREFIX = "linkletter_"
CONFIRM_ACTION = f"{ACTION_PREFIX}confirm"
STYLES: dict[Tone, str | None] = {Tone.go: "primary", Tone.stop: "danger", Tone.plain: None}
ITEM_ACTIONS = frozenset(command.name for command in item_buttons())


def request_from(
    name: str,
    args: str,
    user_id: str,
    channel_id: str,
    *,
    confirmed: bool = False,
) -> CommandRequest:
    """The command as the core takes it. The user goes without a name: a slash command's
    ``user_name`` is the legacy handle, not the display name the core stores per person."""
    return CommandRequest(
        name=name,
        args=args,
        user=Author(id=slack_id(user_id)),
        channel=slack_id(channel_id),
        platform="slack",
        confirmed=confirmed,
    )


def request_from_action(action: dict[str, Any], user_id: str, channel_id: str) -> CommandRequest:
    """A button press -> the request it stands for (approve/reject/feature, or a confirmation)."""
    action_id = str(action.get("action_id", ""))
    value = str(action.get("value", ""))
    if action_id == CONFIRM_ACTION:
        saved = json.loads(value)
        name, args = parse_command_text(f"{saved['name']} {saved['args']}")
        return request_from(name, args, user_id, channel_id, confirmed=True)
    name, _ = parse_command_text(action_id.removeprefix(ACTION_PREFIX))
    return request_from(name, value, user_id, channel_id)


def _heading(reply: CommandReply) -> str:
    return reply.text.split("\n", 1)[0] if reply.entries else reply.text


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _button(label: str, action: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def entry_blocks(entry: QueueEntry, *, buttons: bool) -> list[dict[str, Any]]:
    """One queued item: title link, why, votes and section; editor buttons when asked."""
    star = "⭐ " if entry.featured else ""
    lines = [f"{star}{link(entry.url, escape_label(entry.title))}"]
    if entry.why:
        lines.append(f"_{escape(entry.why)}_")
    lines.append(f"{entry.votes} votes · {escape(entry.section)} · {entry.status}")
    blocks = [_section("\n".join(lines))]
    if buttons:
        value = str(entry.item_id)
        blocks.append(
            {
                "type": "actions",
                "block_id": f"item_{entry.item_id}",
                "elements": [
                    _button(c.button, f"{ACTION_PREFIX}{c.name}", value, STYLES[c.tone])
                    for c in item_buttons()
                ],
            }
        )
    return blocks


def entries_blocks(
    entries: tuple[QueueEntry, ...], *, limit: int, buttons: bool
) -> list[dict[str, Any]]:
    """The first ``limit`` entries (Block Kit allows 50 blocks), then how many more there are."""
    blocks = [block for entry in entries[:limit] for block in entry_blocks(entry, buttons=buttons)]
    if len(entries) > limit:
        more = len(entries) - limit
        blocks.append(_section(f"…and {more} more: `linkletter items list` shows them all."))
    return blocks


def reply_message(request: CommandRequest, reply: CommandReply, *, editor: bool) -> dict[str, Any]:
    """A ``CommandReply`` as a ``respond()`` body (ephemeral unless the core says otherwise).

    When entries are drawn as blocks, only the first line of the text (the heading) is kept:
    the rest is the same queue written out for platforms without buttons.
    """
    blocks = [_section(escape(_heading(reply)))]
    blocks.extend(entries_blocks(reply.entries, limit=20, buttons=editor))  # ≤ 43 blocks
    if reply.needs_confirmation:
        value = json.dumps({"name": request.name, "args": request.args})
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button("Confirm", CONFIRM_ACTION, value, "primary"),
                ],
            }
        )
    return {
        "text": escape(reply.text)[:3000],
        "blocks": blocks,
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
        "replace_original": False,
    }


def queue_update(
    request: CommandRequest, done: CommandReply, queue: CommandReply
) -> dict[str, Any]:
    """The queue message redrawn after one of its buttons: what was decided, then the queue
    as it is now, replacing the message the button sat in (``response_url``)."""
    body = reply_message(request, queue, editor=True)
    body["blocks"][0] = _section(escape(f"{done.text}\n{_heading(queue)}"))
    body["text"] = escape(f"{done.text}\n{queue.text}")[:3000]
    return body | {"replace_original": True}


def home_view(reply: CommandReply, *, editor: bool) -> dict[str, Any]:
    """The App Home tab: the queue with buttons for editors, "what you shared" for others."""
    title = "This period's queue" if editor else "What you shared"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        _section(escape(_heading(reply))),
    ]
    blocks.extend(entries_blocks(reply.entries, limit=23, buttons=editor))  # ≤ 49 blocks
    return {"type": "home", "blocks": blocks}
