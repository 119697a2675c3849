"""Discord: an issue as message payloads with one embed per item, split between items.

Payloads carry ``allowed_mentions: {"parse": []}``, and strangers' text is disarmed anyway: Markdown
metacharacters are backslash-escaped (so ``[x](http://evil)`` is no masked link and ``<@…>``,
``<@&…>``, ``<#…>`` are no mentions) and every ``@`` gets a zero-width space (``@everyone``).
"""

from __future__ import annotations

import re
from typing import Any

from bot.digest.model import CompiledIssue, IssueItem
from bot.digest.render._common import (
    LINK_URL_LIMIT,
    READ_MORE_ICON,
    WEB_IMAGES,
    WEB_LINK_LABEL,
    WHY_ICON,
    WHY_TEXT,
    backslash_escaper,
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

Embed = dict[str, Any]

CONTENT_LIMIT = 2_000
MAX_EMBEDS = 10
EMBEDS_TOTAL_LIMIT = 6_000
TITLE_LIMIT = 256
AUTHOR_LIMIT = 256
FOOTER_LIMIT = 2_048
SUMMARY_LIMIT = 1_200
WHY_LIMIT = 350
BYLINE_LIMIT = 200
HEADING_LIMIT = 200
INTRO_LIMIT = 750
OUTRO_LIMIT = 600
COLOUR = 0x5865F2
# Embeds show WebP as well as the usual web formats, but not SVG.
IMAGES = WEB_IMAGES | {"webp"}
FEATURED_COLOUR = 0xF1C40F

_INLINE_MARKUP = backslash_escaper("\\*_~|`[]<>")
_LINE_START_MARKUP = re.compile(r"^([#>-])")
ZERO_WIDTH_SPACE = "\u200b"


def escape(text: str) -> str:
    """Backslash-escape Discord Markdown and break every ``@`` mention."""
    escaped = _LINE_START_MARKUP.sub(r"\\\1", text.translate(_INLINE_MARKUP))
    return escaped.replace("@", "@" + ZERO_WIDTH_SPACE)


def link(url: str | None, label: str) -> str:
    """``[label](url)`` for a safe URL (label already escaped), else the bare label."""
    safe = (safe_url(url) or "").replace("(", "%28").replace(")", "%29")
    return f"[{label}]({safe})" if safe and measure(safe) <= LINK_URL_LIMIT else label


def description(item: IssueItem, read_more: str) -> str:
    paragraphs = []
    if clean(item.summary):
        paragraphs.append(fit(clean(item.summary), SUMMARY_LIMIT, escape))
    if clean(item.why):
        paragraphs.append(f"{WHY_ICON} **{WHY_TEXT}** {fit(clean(item.why), WHY_LIMIT, escape)}")
    label = reading_label(item, read_more)
    if label:
        paragraphs.append(f"{READ_MORE_ICON} {link(item.url, escape(label))}")
    return "\n\n".join(paragraphs)


def item_embed(section: str, item: IssueItem, read_more: str) -> Embed:
    embed: Embed = {
        "author": {"name": fit(section_name(section), AUTHOR_LIMIT, escape)},
        "title": fit(item_heading(item), TITLE_LIMIT, escape),
        "color": FEATURED_COLOUR if item.featured else COLOUR,
    }
    url = safe_url(item.url)
    if url:
        embed["url"] = url
    text = description(item, read_more)
    if text:
        embed["description"] = text
    image = shown_image(item.image_url, IMAGES)
    if image:
        embed["thumbnail"] = {"url": image}
    footer = " · ".join(byline(item))
    if footer:
        embed["footer"] = {"text": fit(footer, BYLINE_LIMIT, escape)}
    return embed


def embed_chars(embed: Embed) -> int:
    """What Discord counts towards its 6,000 limit: title, description, author, footer."""
    texts = [embed.get("title", ""), embed.get("description", "")]
    texts += [embed.get("author", {}).get("name", ""), embed.get("footer", {}).get("text", "")]
    return sum(measure(text) for text in texts)


def fits(embeds: list[Embed]) -> bool:
    return len(embeds) <= MAX_EMBEDS and sum(map(embed_chars, embeds)) <= EMBEDS_TOTAL_LIMIT


def head_content(issue: CompiledIssue) -> str:
    heading = fit(issue_heading(issue), HEADING_LIMIT, escape)
    lines = [f"**{heading}** · {escape(period_label(issue))}"]
    if clean(issue.intro):
        lines.append(fit(clean(issue.intro), INTRO_LIMIT, escape))
    if issue.is_empty:
        lines.append(fit(clean(issue.empty_note), INTRO_LIMIT, escape))
    return "\n\n".join(lines)


def tail_embeds(issue: CompiledIssue) -> list[Embed]:
    """The outro and the web link, in a closing embed so they read after the items."""
    paragraphs = []
    if clean(issue.outro):
        paragraphs.append(fit(clean(issue.outro), OUTRO_LIMIT, escape))
    if safe_url(issue.public_url):
        paragraphs.append(link(issue.public_url, WEB_LINK_LABEL))
    return [{"description": "\n\n".join(paragraphs), "color": COLOUR}] if paragraphs else []


def continuation_content(issue: CompiledIssue, part: int, parts: int) -> str:
    return f"*{fit(issue_heading(issue), HEADING_LIMIT, escape)} (part {part} of {parts})*"


def message(content: str, embeds: list[Embed]) -> dict[str, Any]:
    return {"content": content, "embeds": embeds, "allowed_mentions": {"parse": []}}


def render_discord(issue: CompiledIssue) -> list[dict[str, Any]]:
    """Message payloads to send in order; each within Discord's content and embed limits."""
    sections: list[tuple[list[Embed], list[list[Embed]]]] = [
        ([], [[item_embed(section.name, item, issue.read_more)] for item in section.items])
        for section in issue.sections
    ]
    pages = paginate([], sections, tail_embeds(issue), fits) or [[]]
    contents = [continuation_content(issue, n, len(pages)) for n in range(1, len(pages) + 1)]
    contents[0] = head_content(issue)
    return [message(content, embeds) for content, embeds in zip(contents, pages, strict=True)]
