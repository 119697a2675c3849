"""Slack Block Kit: an issue as a list of ``chat.postMessage`` payloads, split between items.

Every string that came from a person or a web page goes through ``escape`` (``&``, ``<``, ``>``),
which disarms ``<!channel>``, ``<@U…>``, ``<!subteam^…>`` and disguised ``<url|text>`` links; mrkdwn
objects are ``verbatim`` so Slack does not auto-parse bare names or URLs either.
"""

from __future__ import annotations

import json
from typing import Any

from bot.digest.model import CompiledIssue, IssueItem
from bot.digest.render._common import (
    BYLINE_PIECE_LIMIT,
    LINK_URL_LIMIT,
    READ_MORE_ICON,
    SUMMARY_LIMIT,
    TITLE_LIMIT,
    WEB_IMAGES,
    WEB_LINK_LABEL,
    WHY_ICON,
    WHY_LIMIT,
    WHY_TEXT,
    byline,
    clean,
    fit,
    issue_heading,
    item_heading,
    measure,
    paginate,
    period_label,
    reading_label,
    safe_url,
    section_name,
    shown_image,
)

Block = dict[str, Any]

MAX_BLOCKS = 50
SECTION_TEXT_LIMIT = 3_000
HEADER_TEXT_LIMIT = 150
# Slack rejects ~12k chars of block text "with a buffer for block containers" (msg_blocks_too_long,
# bolt-js #2509 and #2867); measuring the blocks' whole JSON against 11.5k stays clear of it.
MESSAGE_TEXT_BUDGET = 11_500
FALLBACK_LIMIT = 150
ALT_TEXT_LIMIT = 100
# Image blocks take png, jpg, jpeg and gif (Block Kit reference, "Image block").
IMAGES = WEB_IMAGES


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_label(text: str) -> str:
    """Escaped text for inside ``<url|label>``, where a ``|`` would end the URL part."""
    return escape(text).replace("|", "¦")


def link(url: str | None, label: str) -> str:
    """``<url|label>`` for a safe URL (label already escaped), else the bare label."""
    safe = escape(safe_url(url) or "")
    return f"<{safe}|{label}>" if safe and measure(safe) <= LINK_URL_LIMIT else label


def mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def header(raw: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": fit(raw, HEADER_TEXT_LIMIT, escape), "emoji": True},
    }


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def section_header(name: str) -> list[Block]:
    """Opens a section, and is repeated when the section continues in the next message."""
    return [{"type": "divider"}, header(section_name(name))]


def item_text(item: IssueItem, read_more: str) -> str:
    """The item's mrkdwn: linked title, summary, why-this-matters, read-more line; ≤ 3,000 chars."""
    title = link(item.url, fit(item_heading(item), TITLE_LIMIT, escape_label))
    lines = [f"*{title}*"]
    if clean(item.why):
        lines.append(f"{WHY_ICON} *{WHY_TEXT}* {fit(clean(item.why), WHY_LIMIT, escape)}")
    meta = [fit(piece, BYLINE_PIECE_LIMIT, escape) for piece in byline(item)]
    label = reading_label(item, read_more)
    if label:
        meta.insert(0, f"{READ_MORE_ICON} {link(item.url, escape_label(label))}")
    if meta:
        lines.append(" · ".join(meta))
    room = SECTION_TEXT_LIMIT - measure("\n".join(lines)) - 1
    if clean(item.summary) and room > 20:
        lines.insert(1, fit(clean(item.summary), min(room, SUMMARY_LIMIT), escape))
    return "\n".join(lines)


def item_blocks(item: IssueItem, read_more: str) -> list[Block]:
    block = mrkdwn(item_text(item, read_more))
    block["block_id"] = f"item-{item.item_id}"  # unique per message; lets tests and actions find it
    image = shown_image(item.image_url, IMAGES)
    if image:
        alt = fit(clean(item.title) or "link preview", ALT_TEXT_LIMIT, escape)
        block["accessory"] = {"type": "image", "image_url": image, "alt_text": alt}
    return [block]


def head_blocks(issue: CompiledIssue) -> list[Block]:
    blocks = [header(issue_heading(issue)), context(escape(period_label(issue)))]
    if clean(issue.intro):
        blocks.append(mrkdwn(fit(clean(issue.intro), SECTION_TEXT_LIMIT, escape)))
    if issue.is_empty:
        blocks.append(mrkdwn(fit(clean(issue.empty_note), SECTION_TEXT_LIMIT, escape)))
    return blocks


def tail_blocks(issue: CompiledIssue) -> list[Block]:
    blocks: list[Block] = []
    if clean(issue.outro):
        blocks += [{"type": "divider"}, mrkdwn(fit(clean(issue.outro), SECTION_TEXT_LIMIT, escape))]
    if safe_url(issue.public_url):
        blocks.append(context(link(issue.public_url, WEB_LINK_LABEL)))
    return blocks


def block_chars(blocks: list[Block]) -> int:
    """The blocks' JSON length: text plus container overhead, so over what Slack counts."""
    return measure(json.dumps(blocks, ensure_ascii=False))


def fits(blocks: list[Block]) -> bool:
    return len(blocks) <= MAX_BLOCKS and block_chars(blocks) <= MESSAGE_TEXT_BUDGET


def fallback_text(issue: CompiledIssue, part: int, parts: int) -> str:
    suffix = f" (part {part} of {parts})" if parts > 1 else ""
    raw = f"{issue_heading(issue)}: {period_label(issue)}"
    return fit(raw, FALLBACK_LIMIT - len(suffix), escape) + suffix


def render_slack(issue: CompiledIssue) -> list[dict[str, Any]]:
    """``chat.postMessage`` payloads (``text`` + ``blocks``) to post in order."""
    sections = [
        (section_header(section.name), [item_blocks(i, issue.read_more) for i in section.items])
        for section in issue.sections
        if section.items
    ]
    messages = paginate(head_blocks(issue), sections, tail_blocks(issue), fits)
    return [
        {"text": fallback_text(issue, number, len(messages)), "blocks": blocks}
        for number, blocks in enumerate(messages, start=1)
    ]
