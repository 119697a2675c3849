"""Fixed issues the renderer tests share: one full of edge cases, one of real page metadata."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.digest.model import CompiledIssue, IssueItem, IssueSection

FIXTURES = Path(__file__).parent.parent / "fixtures" / "digest"
PERIOD_START = datetime(2026, 11, 16, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 23, tzinfo=UTC)

# Every string that must come out inert (reliability row 10), plus markup and scripts.
HOSTILE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U1>",
    "<!subteam^S123|team>",
    "<https://evil|ok>",
    "@everyone",
    "@here",
    "<@&123>",
    "<@123456789012345678>",
    "<#123456789012345678>",
    "[x](http://evil)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
)
MARKUP = "*bold* _it_ ~strike~ `code` ||spoiler|| # not a heading > not a quote | pipe & ampersand"
RTL_TITLES = ("لماذا تفشل مشاريع تعلم الآلة", "למה פרויקטים של למידת מכונה נכשלים")
EMOJI_TITLE = "🚀 Shipping 🧑🏽‍💻 faster with 🇳🇿 teams ❤️‍🔥"
LONG_SUMMARY = ("Attention is all you need, again & again <maybe>. " * 100)[:5_000]
SECTION_NAMES = ("Machine Learning", "Data Engineering & <Ops>", "Web", "Odds *and* ends")
ITEMS_PER_SECTION = 15


def _title(number: int) -> str:
    """Cycles through hostile strings, markup, right-to-left text, emoji and plain titles."""
    if number <= len(HOSTILE):
        return f"Look: {HOSTILE[number - 1]} here"
    specials = (MARKUP, *RTL_TITLES, EMOJI_TITLE)
    if number <= len(HOSTILE) + len(specials):
        return specials[number - len(HOSTILE) - 1]
    return f"Plain article number {number} about pipelines"


def _edge_item(number: int) -> IssueItem:
    """Item ``number`` of the edge-case issue; every fourth lacks one optional field in turn."""
    gap = {1: "image", 2: "summary", 3: "why"}.get(number % 4)
    summary = f"Summary {number}: {HOSTILE[number % len(HOSTILE)]} and more."
    return IssueItem(
        number=number,
        item_id=1000 + number,
        url=f"https://example.com/articles/{number}?ref=team&utm=<x>",
        title=_title(number),
        summary=None if gap == "summary" else summary,
        why=None if gap == "why" else f"It matters because {MARKUP[: number % 30]}.",
        image_url=None if gap == "image" else f"https://img.example.com/{number}.png",
        site_name="Example <News>" if number % 5 else None,
        word_count=None if number % 6 == 0 else number * 1_234,
        shared_by=f"Dana {HOSTILE[(number + 3) % len(HOSTILE)]}" if number % 3 else None,
        featured=number == 1,
        votes=number % 7,
    )


def edge_case_issue(read_more: str = "words") -> CompiledIssue:
    """60 items in four sections with every edge case; featured item 1 has a 5,000-char summary."""
    items = [_edge_item(n) for n in range(1, len(SECTION_NAMES) * ITEMS_PER_SECTION + 1)]
    items[0] = replace(items[0], summary=LONG_SUMMARY)
    sections = tuple(
        IssueSection(name, tuple(items[i * ITEMS_PER_SECTION : (i + 1) * ITEMS_PER_SECTION]))
        for i, name in enumerate(SECTION_NAMES)
    )
    return CompiledIssue(
        digest="weekly <!channel>",
        number=42,
        title="Team Reading <@U1> & Friends",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=sections,
        intro="Hello [x](http://evil) @everyone, this week: <script>alert(1)</script>",
        outro="Share more links! <!here>",
        read_more=read_more,
        public_url="https://news.example.com/weekly/42",
        tags=("machine learning", "data"),
    )


def realistic_issue(image_base: str | None = None) -> CompiledIssue:
    """Nine real articles (Readability's test pages) in three sections, like a week's newsletter.

    ``image_base`` (a 127.0.0.1 server) replaces the pages' image hosts, which tests cannot reach.
    """
    pages = json.loads((FIXTURES / "pages.json").read_text(encoding="utf-8"))
    local_images = ("f3.jpg", "crates.png")
    items = [
        IssueItem(
            number=number,
            item_id=number,
            url=page["url"],
            title=page["title"],
            summary=page["excerpt"],
            why="A clear write-up worth the time." if number % 3 == 1 else None,
            image_url=(
                f"{image_base}/{local_images[number % 2]}" if image_base else page["image_url"]
            )
            if number % 3 != 0
            else None,
            site_name=page["site_name"],
            word_count=page["word_count"],
            shared_by=("Ana", "Bo", None)[number % 3],
            featured=number == 1,
            votes=10 - number,
        )
        for number, page in enumerate(pages, start=1)
    ]
    names = ("Engineering", "Science & Tech", "World")
    return CompiledIssue(
        digest="weekly",
        number=7,
        title="Linkletter Weekly",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=tuple(
            IssueSection(name, tuple(items[i * 3 : i * 3 + 3])) for i, name in enumerate(names)
        ),
        intro="Nine reads the team shared this week, from exploits to whale strandings.",
        outro="Thanks for reading. Share links in #reading and they will show up here next week.",
        public_url="https://news.example.com/weekly/7",
    )
