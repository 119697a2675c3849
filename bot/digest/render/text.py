"""Plain text (the text/plain part of the e-mail, and terminals): wrapped at 72 columns."""

from __future__ import annotations

import textwrap

from bot.digest.model import CompiledIssue
from bot.digest.render._common import (
    ARCHIVED_LABEL,
    READ_MORE_ICON,
    WEB_LINK_LABEL,
    WHY_ICON,
    WHY_TEXT,
    ItemView,
    clean,
    issue_heading,
    period_label,
    safe_url,
    section_views,
)

WIDTH = 72
INDENT = "   "


def wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def underline(text: str, rule: str) -> str:
    return f"{text}\n{rule * min(len(text), WIDTH)}"


def item_text(item: ItemView) -> str:
    lines = [wrap(item.heading)]
    if item.url:
        lines.append(INDENT + item.url)
    if item.summary:
        lines.append(wrap(item.summary, INDENT))
    if item.why:
        lines.append(wrap(f"{WHY_ICON} {WHY_TEXT} {item.why}", INDENT))
    meta = ([f"{READ_MORE_ICON} {item.read_more}"] if item.read_more else []) + list(item.byline)
    if meta:
        lines.append(wrap(" · ".join(meta), INDENT))
    if item.archived_url:
        lines.append(f"{INDENT}{ARCHIVED_LABEL.capitalize()}: {item.archived_url}")
    return "\n".join(lines)


def render_text(issue: CompiledIssue) -> str:
    blocks = [underline(issue_heading(issue), "="), period_label(issue)]
    if clean(issue.intro):
        blocks.append(wrap(clean(issue.intro)))
    if issue.is_empty:
        blocks.append(wrap(clean(issue.empty_note)))
    for section in section_views(issue):
        blocks.append(underline(section.name, "-"))
        blocks += [item_text(item) for item in section.items]
    if clean(issue.outro):
        blocks.append(wrap(clean(issue.outro)))
    web = safe_url(issue.public_url)
    if web:
        blocks.append(f"{WEB_LINK_LABEL}: {web}")
    return "\n\n".join(blocks) + "\n"
