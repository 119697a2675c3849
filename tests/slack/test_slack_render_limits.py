"""Slack payloads stay within every platform limit for any issue (reliability row 11).

The limits here are Slack's own numbers, not the renderer's constants, lengths counted in UTF-16
code units as Slack counts them. Items must appear in order, each exactly once.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given

from adapters.slack.render import render_slack
from bot.digest.model import CompiledIssue
from tests.digest.strategies import PROPERTY, huge_issue, issues, units


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


@PROPERTY
@given(issues())
def test_any_issue_fits_slack(issue: CompiledIssue) -> None:
    """Reliability row 11, generalised: every Slack message within every limit, items in order."""
    assert_slack_within_limits(issue, render_slack(issue))


def test_300_links_with_5000_char_titles_fit_every_message() -> None:
    issue = huge_issue()
    messages = render_slack(issue)
    assert_slack_within_limits(issue, messages)
    assert len(messages) > 1
