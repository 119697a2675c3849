"""The offline demo's output (issue 8) and the replay guarantee (issue 2)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from adapters.console.demo import run_demo
from adapters.console.week import events
from storage.db import Database
from storage.repo import Repo
from tests.core.helpers import service

BASE = "http://pages.test"
REPLAY_CONFIG = """
[[digest]]
name = "team-weekly"
sources = ["slack:C0DEMOML", "slack:C0DEMODATA", "discord:1100000000000000001"]
editors = ["slack:U0EDITOR", "discord:role:3100000000000000001"]
[[digest.sections]]
name = "Machine Learning"
hashtags = ["ml"]
channels = ["slack:C0DEMOML"]
"""


def test_demo_writes_a_real_issue(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo")
    issue = result.issue
    assert [s.name for s in issue.sections] == ["Machine Learning", "Data Engineering"]
    titles = [item.title for item in issue.items]
    assert titles[0] == "Small models, big gains: distillation in practice"  # featured first
    assert issue.items[0].featured
    assert "Ten hot takes about notebooks" not in titles  # deleted
    assert "Vector search without the vector database" not in titles  # edited away
    assert "Why every team needs ten thousand GPUs (they don't)" not in titles  # rejected
    assert all(item.word_count and item.word_count > 50 for item in issue.items)
    whys = {item.title: item.why for item in issue.items}
    assert whys["Treat your evaluation set like a product"] == (
        "the cheapest way to stop arguing about model quality"  # the editor's reply won
    )
    assert all("utm_" not in item.url and "fbclid" not in item.url for item in issue.items)
    markdown = result.files["markdown"].read_text()
    assert "Why this matters:" in markdown
    assert "Read more (" in markdown
    assert json.loads(result.files["slack"].read_text())[0]["blocks"]
    assert json.loads(result.files["discord"].read_text())[0]["embeds"]
    assert result.files["database"].stat().st_size > 0


def _state(db: Database) -> list[dict[str, Any]]:
    with db.session() as session:
        repo = Repo(session)
        rows = []
        for item in repo.items():
            shares = repo.shares_of_item(item.id or 0)
            rows.append(
                {
                    "url": item.canonical_url,
                    "status": item.status,
                    "why": item.why,
                    "why_by": item.why_by,
                    "votes": item.votes,
                    "featured": item.featured,
                    "section": item.section,
                    "note": item.note,
                    "shares": sorted((s.channel, s.message_id, s.active) for s in shares),
                }
            )
        return sorted(rows, key=lambda row: row["url"])


def _queue(state: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in state if row["status"] != "withdrawn"]


def _withdrawn(state: list[dict[str, Any]]) -> set[str]:
    return {row["url"] for row in state if row["status"] == "withdrawn"}


def test_replay_shuffled_twice_equals_in_order_once(tmp_path: Path) -> None:
    """Issue 2: a realistic week, shuffled and delivered twice, gives the same items."""
    week = list(events(BASE))
    in_order = Database.connect(f"sqlite:///{tmp_path / 'a.db'}")
    in_order.upgrade()
    core = service(in_order, REPLAY_CONFIG)
    for event in week:
        core.handle_sync(event)
    expected = _state(in_order)
    assert len(expected) == 8
    for seed in range(5):
        shuffled_db = Database.connect(f"sqlite:///{tmp_path / f'b{seed}.db'}")
        shuffled_db.upgrade()
        core = service(shuffled_db, REPLAY_CONFIG)
        replay = week + week
        random.Random(seed).shuffle(replay)
        for event in replay:
            core.handle_sync(event)
        state = _state(shuffled_db)
        assert _queue(state) == _queue(expected), f"seed {seed}"
        # An edit that overtakes its post hides the first text (the typo'd link) for good;
        # everything withdrawn is still withdrawn.
        assert _withdrawn(state) <= _withdrawn(expected), f"seed {seed}"
        assert "https://pages.test/articles/deleted-post" in _withdrawn(state)
