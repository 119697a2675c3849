"""Markdown with YAML front matter, laid out like a hand-made newsletter.

Strangers' text is backslash-escaped and ``& < >`` become entities, so ``[x](http://evil)`` is no
link and raw HTML shows as text in any CommonMark renderer.
"""

from __future__ import annotations

import json
import re

from bot.digest.model import CompiledIssue
from bot.digest.render._common import (
    ARCHIVED_LABEL,
    READ_MORE_ICON,
    WEB_LINK_LABEL,
    WHY_ICON,
    WHY_TEXT,
    ItemView,
    backslash_escaper,
    clean,
    fit,
    issue_heading,
    period_label,
    safe_url,
    section_views,
)

DESCRIPTION_LIMIT = 200

_INLINE_MARKUP = backslash_escaper("\\`*_[]|~")
_LINE_START_MARKUP = re.compile(r"^(\d*)([#+=.)-])")
_HTML = re.compile(r"<|>|&(?=#?\w+;)")  # tags, and '&' only where it would start an entity
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def html_entities(text: str) -> str:
    return _HTML.sub(lambda match: _ENTITIES[match.group()], text)


def escape(text: str) -> str:
    """Strangers' text inert inside a line: Markdown escaped, HTML as entities."""
    return html_entities(text.translate(_INLINE_MARKUP))


def escape_paragraph(text: str) -> str:
    """As ``escape``, and a leading '#', '-', '1.' ... cannot start a heading or a list."""
    return _LINE_START_MARKUP.sub(r"\1\\\2", escape(text))


def link(url: str | None, label: str) -> str:
    """``[label](url)`` (label already escaped), parentheses in the URL encoded."""
    return f"[{label}]({encode_parentheses(url)})" if url else label


def encode_parentheses(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29")


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (a JSON string is one), HTML-inert for unescaping templates."""
    return json.dumps(html_entities(text), ensure_ascii=False)


def front_matter(issue: CompiledIssue) -> str:
    tags = issue.tags or tuple(section.name for section in section_views(issue))
    description = fit(clean(issue.intro), DESCRIPTION_LIMIT) or period_label(issue)
    lines = [
        "---",
        f"title: {yaml_string(issue_heading(issue))}",
        f"date: {issue.period_end.isoformat()}",
        f"tags: [{', '.join(yaml_string(clean(tag)) for tag in tags)}]",
        f"description: {yaml_string(description)}",
        "---",
    ]
    return "\n".join(lines)


def item_markdown(item: ItemView) -> str:
    blocks = [f"### {link(item.url, escape(item.heading))}"]
    if item.image_url:
        blocks.append(f"![{escape(item.title)}]({encode_parentheses(item.image_url)})")
    if item.summary:
        blocks.append(escape_paragraph(item.summary))
    if item.why:
        blocks.append(f"{WHY_ICON} **{WHY_TEXT}** {escape(item.why)}")
    meta = [escape(piece) for piece in item.byline]
    if item.read_more:
        meta.insert(0, link(item.url, f"{READ_MORE_ICON} {item.read_more}"))
    if item.archived_url:
        meta.append(link(item.archived_url, ARCHIVED_LABEL))
    if meta:
        blocks.append(" · ".join(meta))
    return "\n\n".join(blocks)


def render_markdown(issue: CompiledIssue) -> str:
    blocks = [front_matter(issue), f"# {escape(issue_heading(issue))}", f"_{period_label(issue)}_"]
    if clean(issue.intro):
        blocks.append(escape_paragraph(clean(issue.intro)))
    if issue.is_empty:
        blocks.append(escape_paragraph(clean(issue.empty_note)))
    for section in section_views(issue):
        blocks.append(f"## {escape(section.name)}")
        blocks.append("\n\n---\n\n".join(item_markdown(item) for item in section.items))
    if clean(issue.outro):
        blocks += ["---", escape_paragraph(clean(issue.outro))]
    web = safe_url(issue.public_url)
    if web:
        blocks.append(link(web, WEB_LINK_LABEL))
    return "\n\n".join(blocks) + "\n"
