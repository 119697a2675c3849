"""Discord payloads stay within every platform limit for any issue (reliability row 11).

The limits here are Discord's own numbers, not the renderer's constants, lengths counted in UTF-16
code units as Discord counts them. Items must appear in order, each exactly once.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given

from adapters.discord.render import render_discord
from bot.digest.model import CompiledIssue
from tests.digest.strategies import PROPERTY, huge_issue, issues, units

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


@PROPERTY
@given(issues())
def test_any_issue_fits_discord(issue: CompiledIssue) -> None:
    """Reliability row 11, generalised: every Discord message within every limit, items in order."""
    assert_discord_within_limits(issue, render_discord(issue))


def test_300_links_with_5000_char_titles_fit_every_message() -> None:
    issue = huge_issue()
    messages = render_discord(issue)
    assert_discord_within_limits(issue, messages)
    assert len(messages) >= 30  # at most ten embeds a message
