"""Matrix: an issue as ``m.notice`` payloads, a plain ``body`` and an HTML ``formatted_body``.

The HTML uses only tags the Matrix spec lists for ``org.matrix.custom.html`` (h2, h3, p, a,
strong, em, br, blockquote), and only ``href`` attributes with http(s) URLs. Strangers' text is
HTML-escaped, and ``@room`` gets a word joiner so it is no room mention in clients that still
match bodies (the publisher also sends ``m.mentions: {}``, so nothing pings). A homeserver
refuses events over 65,536 bytes; messages are split between items so each payload's JSON stays
under ``CONTENT_BYTES``, leaving room for the event's envelope (ids, hashes, signatures).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from bot.digest.model import CompiledIssue, IssueItem
from bot.digest.render._common import (
    READ_MORE_ICON,
    WEB_LINK_LABEL,
    WHY_ICON,
    WHY_TEXT,
    byline,
    clean,
    fit,
    issue_heading,
    item_heading,
    paginate,
    period_label,
    reading_label,
    safe_url,
    section_name,
)

Part = tuple[str, str]  # (plain text, HTML)

CONTENT_BYTES = 60_000
LABEL_BYTES = 2_000  # kept free for the "(part 2 of 3)" line added after splitting
HTML_FORMAT = "org.matrix.custom.html"
TITLE_LIMIT = 300
SUMMARY_LIMIT = 1_200
WHY_LIMIT = 600
BYLINE_LIMIT = 200
INTRO_LIMIT = 2_000
WORD_JOINER = "\u2060"
_ROOM_MENTION = re.compile(r"@room", re.IGNORECASE)


def disarm(text: str) -> str:
    """``@room`` no longer reads as a room mention."""
    return _ROOM_MENTION.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], text)


def markup(text: str) -> str:
    return disarm(html.escape(text, quote=True))


def link(url: str | None, label: str) -> str:
    """``<a href>`` around an escaped label for a safe URL, else the bare label."""
    safe = safe_url(url)
    return f'<a href="{html.escape(safe, quote=True)}">{label}</a>' if safe else label


def notice(body: str, formatted: str) -> dict[str, Any]:
    return {"msgtype": "m.notice", "body": body, "format": HTML_FORMAT, "formatted_body": formatted}


def text_notice(text: str) -> dict[str, Any]:
    """A plain notice (command replies, editor alerts), paragraphs kept."""
    paragraphs = [markup(p).replace("\n", "<br>") for p in text.split("\n\n")]
    return notice(disarm(text), "".join(f"<p>{p}</p>" for p in paragraphs))


def item_part(item: IssueItem, read_more: str) -> Part:
    heading_text = fit(item_heading(item), TITLE_LIMIT)
    url = safe_url(item.url)
    text = [f"{disarm(heading_text)}" + (f" — {url}" if url else "")]
    markup_lines = [
        f"<strong>{link(item.url, fit(item_heading(item), TITLE_LIMIT, markup))}</strong>"
    ]
    if clean(item.summary):
        text.append(fit(clean(item.summary), SUMMARY_LIMIT, disarm))
        markup_lines.append(fit(clean(item.summary), SUMMARY_LIMIT, markup))
    if clean(item.why):
        text.append(f"{WHY_ICON} {WHY_TEXT} {fit(clean(item.why), WHY_LIMIT, disarm)}")
        markup_lines.append(
            f"{WHY_ICON} <em>{WHY_TEXT}</em> {fit(clean(item.why), WHY_LIMIT, markup)}"
        )
    label = reading_label(item, read_more)
    if label:
        text.append(f"{READ_MORE_ICON} {label}")
        markup_lines.append(f"{READ_MORE_ICON} {link(item.url, markup(label))}")
    pieces = " · ".join(byline(item))
    if pieces:
        text.append(fit(pieces, BYLINE_LIMIT, disarm))
        markup_lines.append(f"<em>{fit(pieces, BYLINE_LIMIT, markup)}</em>")
    return "\n".join(text), "<p>" + "<br>".join(markup_lines) + "</p>"


def head_part(issue: CompiledIssue) -> Part:
    heading = issue_heading(issue)
    text = [f"{fit(heading, TITLE_LIMIT, disarm)} · {period_label(issue)}"]
    markup_parts = [f"<h2>{fit(heading, TITLE_LIMIT, markup)}</h2><p>{period_label(issue)}</p>"]
    for note in (issue.intro, issue.empty_note if issue.is_empty else None):
        if clean(note):
            text.append(fit(clean(note), INTRO_LIMIT, disarm))
            markup_parts.append(f"<p>{fit(clean(note), INTRO_LIMIT, markup)}</p>")
    return "\n\n".join(text), "".join(markup_parts)


def section_part(name: str) -> Part:
    title = section_name(name)
    return f"## {fit(title, TITLE_LIMIT, disarm)}", f"<h3>{fit(title, TITLE_LIMIT, markup)}</h3>"


def tail_parts(issue: CompiledIssue) -> list[Part]:
    parts: list[Part] = []
    if clean(issue.outro):
        outro = clean(issue.outro)
        parts.append((fit(outro, INTRO_LIMIT, disarm), f"<p>{fit(outro, INTRO_LIMIT, markup)}</p>"))
    url = safe_url(issue.public_url)
    if url:
        parts.append((f"{WEB_LINK_LABEL}: {url}", f"<p>{link(url, WEB_LINK_LABEL)}</p>"))
    return parts


def message(parts: list[Part]) -> dict[str, Any]:
    return notice("\n\n".join(p[0] for p in parts), "".join(p[1] for p in parts))


def content_bytes(payload: dict[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


def fits(parts: list[Part]) -> bool:
    return content_bytes(message(parts)) <= CONTENT_BYTES - LABEL_BYTES


def render_matrix(issue: CompiledIssue) -> list[dict[str, Any]]:
    """Payloads to send in order, each under ``CONTENT_BYTES``; later ones say which part."""
    sections = [
        ([section_part(s.name)], [[item_part(i, issue.read_more)] for i in s.items])
        for s in issue.sections
        if s.items
    ]
    pages = paginate([head_part(issue)], sections, tail_parts(issue), fits)
    if len(pages) > 1:
        heading = fit(issue_heading(issue), TITLE_LIMIT)
        for number, page in enumerate(pages[1:], start=2):
            label = f"{heading} (part {number} of {len(pages)})"
            page.insert(0, (disarm(label), f"<p><em>{markup(label)}</em></p>"))
    return [message(page) for page in pages]
