"""A forwarded message carries its links in ``message_snapshots`` (its own content is empty)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.translate import MalformedEvent, message_created
from bot.capture.links import extract_links

FORWARD = Path(__file__).parents[1] / "fixtures" / "discord" / "discord4j"


def forward() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FORWARD / "CreateMessageWithForwardResponse.json").read_text()
    )
    return data


def test_a_real_forward_carries_the_forwarded_text() -> None:
    posted = message_created(forward())
    assert posted is not None
    assert posted.text.startswith("What is Lorem Ipsum?\nLorem Ipsum is simply dummy text")
    assert posted.thread_parent is None  # a forward (reference type 1) is not a reply


def test_links_and_previews_of_a_forward_are_captured() -> None:
    data = forward()
    snapshot = data["message_snapshots"][0]["message"]
    snapshot["content"] = "worth a read https://example.org/forwarded?utm_source=x"
    snapshot["embeds"] = [{"url": "https://example.org/forwarded", "title": "Forwarded"}]
    data["content"] = "see below"
    posted = message_created(data)
    assert posted is not None
    assert extract_links(posted.text) == ["https://example.org/forwarded?utm_source=x"]
    assert posted.text.startswith("see below\n")
    assert [u.title for u in posted.unfurls] == ["Forwarded"]


@pytest.mark.parametrize("snapshots", ["nope", [1], [{"message": "x"}]])
def test_malformed_snapshots_are_refused(snapshots: object) -> None:
    data = copy.deepcopy(forward())
    data["message_snapshots"] = snapshots
    with pytest.raises(MalformedEvent):
        message_created(data)
