"""Slack and Discord payloads stay within every platform limit for any issue (reliability row 11).

The limits here are the platforms' own numbers, not the renderers' constants, lengths counted
in UTF-16 code units as the platforms count them. Items must appear in order, each exactly once.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.digest.model import CompiledIssue, IssueItem, IssueSection
from bot.digest.render import render_discord, render_slack

from .issues import HOSTILE, PERIOD_END, PERIOD_START


def units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def assert_slack_within_limits(issue: CompiledIssue, messages: list[dict[str, Any]]) -> None:
    seen = []
    for message in messages:
        blocks = message["blocks"]
        assert 1 <= len(blocks) <= 50
        assert units(json.dumps(blocks, ensure_ascii=False)) <= 12_000
        assert 0 < units(message["text"]) <= 150
        block_ids = [block["block_id"] for block in blocks if "block_id" in block]
        assert len(set(block_ids)) == len(block_ids)
        for block in blocks:
            if block["type"] == "header":
                assert 0 < units(block["text"]["text"]) <= 150
            if block["type"] == "section":
                assert 0 < units(block["text"]["text"]) <= 3_000
                if "accessory" in block:
                    assert units(block["accessory"]["image_url"]) <= 3_000
                    assert 0 < units(block["accessory"]["alt_text"]) <= 2_000
            if block["type"] == "context":
                assert all(0 < units(e["text"]) <= 3_000 for e in block["elements"])
        seen += block_ids
    assert seen == [f"item-{item.item_id}" for item in issue.items]


EMBED_NUMBER = re.compile(r"(?:⭐ )?(\d+)\. ")


def embed_chars(embed: dict[str, Any]) -> int:
    texts = [embed.get("title", ""), embed.get("description", "")]
    texts += [embed.get("author", {}).get("name", ""), embed.get("footer", {}).get("text", "")]
    texts += [f["name"] + f["value"] for f in embed.get("fields", [])]
    return sum(map(units, texts))


def assert_discord_within_limits(issue: CompiledIssue, messages: list[dict[str, Any]]) -> None:
    seen = []
    for message in messages:
        embeds = message["embeds"]
        assert units(message["content"]) <= 2_000
        assert message["content"] or embeds
        assert len(embeds) <= 10
        assert sum(map(embed_chars, embeds)) <= 6_000
        assert message["allowed_mentions"] == {"parse": []}
        for embed in embeds:
            assert units(embed.get("description", "")) <= 4_096
            assert units(embed.get("footer", {}).get("text", "")) <= 2_048
            if "title" not in embed:  # the closing embed (outro, web link)
                assert embed is messages[-1]["embeds"][-1]
                assert units(embed["description"]) > 0
                continue
            assert 0 < units(embed["title"]) <= 256
            assert 0 < units(embed["author"]["name"]) <= 256
            number = EMBED_NUMBER.match(embed["title"])
            assert number is not None
            seen.append(int(number.group(1)))
    assert seen == [item.number for item in issue.items]


ODD = st.sampled_from(
    [*HOSTILE, "", " ", "\u202e", "\u0000\u001b", "🧑🏽‍💻", "&" * 40, '"\\' * 30, "لماذا", "\n\n"]
)
SHORT = st.text(max_size=40)
HUGE = st.builds(operator.mul, st.text(min_size=1, max_size=8), st.integers(300, 1_200))
TEXT = st.one_of(SHORT, HUGE, ODD, st.lists(st.one_of(ODD, SHORT), max_size=6).map("".join))
URL = st.one_of(
    st.sampled_from(["https://example.com/a?b=1&c=2", "http://ex.org/(x)|y", "javascript:x"]),
    TEXT.map(lambda path: "https://example.com/" + path),
    TEXT,
)
COUNT = st.none() | st.integers(0, 10**12)
ITEM = st.builds(
    IssueItem,
    number=st.just(0),
    item_id=st.just(0),
    url=URL,
    title=TEXT,
    summary=st.none() | TEXT,
    why=st.none() | TEXT,
    image_url=st.none() | URL,
    site_name=st.none() | TEXT,
    word_count=COUNT,
    reading_minutes=COUNT,
    shared_by=st.none() | TEXT,
    featured=st.booleans(),
    votes=st.integers(-5, 1_000),
)


@st.composite
def issues(draw: st.DrawFn) -> CompiledIssue:
    """Any issue: arbitrary text everywhere, up to 5 sections of up to 25 items, numbered 1..n."""
    sections = draw(st.lists(st.tuples(TEXT, st.lists(ITEM, max_size=25)), max_size=5))
    numbered: list[IssueSection] = []
    count = 0
    for name, items in sections:
        renumbered = []
        for item in items:
            count += 1
            renumbered.append(replace(item, number=count, item_id=count))
        numbered.append(IssueSection(name, tuple(renumbered)))
    return CompiledIssue(
        digest=draw(TEXT),
        number=draw(st.integers(1, 10**6)),
        title=draw(TEXT),
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=tuple(numbered),
        intro=draw(st.none() | TEXT),
        outro=draw(st.none() | TEXT),
        read_more=draw(st.sampled_from(["words", "minutes"])),
        public_url=draw(st.none() | URL),
    )


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(issues())
def test_any_issue_fits_slack(issue: CompiledIssue) -> None:
    """Reliability row 11, generalised: every Slack message within every limit, items in order."""
    assert_slack_within_limits(issue, render_slack(issue))


@PROPERTY
@given(issues())
def test_any_issue_fits_discord(issue: CompiledIssue) -> None:
    """Reliability row 11, generalised: every Discord message within every limit, items in order."""
    assert_discord_within_limits(issue, render_discord(issue))


def test_300_links_with_5000_char_titles_fit_every_message() -> None:
    """Reliability row 11: 300 links with 5,000-character titles (and summaries, and whys)."""
    huge = "Title & <words> @everyone " * 200
    items = tuple(
        IssueItem(
            number=n,
            item_id=n,
            url=f"https://example.com/{n}?q=" + "&" * 900,
            title=huge[:5_000],
            summary=huge,
            why=huge,
            image_url=f"https://img.example.com/{n}.png",
            site_name=huge,
            word_count=n * 1_000,
            shared_by=huge,
            featured=n % 50 == 1,
        )
        for n in range(1, 301)
    )
    issue = CompiledIssue(
        digest="weekly",
        number=1,
        title=huge,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=(IssueSection(huge, items[:150]), IssueSection("Rest", items[150:])),
        intro=huge,
        outro=huge,
        public_url="https://news.example.com/1",
    )
    slack, discord = render_slack(issue), render_discord(issue)
    assert_slack_within_limits(issue, slack)
    assert_discord_within_limits(issue, discord)
    assert len(slack) > 1
    assert len(discord) >= 30  # at most ten embeds a message
