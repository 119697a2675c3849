"""The offline demo's output (issue 8) and the replay guarantee (issue 2)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

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
    # The Matrix room's reply gave the SQL guide (first shared on Discord) its why.
    assert whys["A style guide for analytical SQL"] == "one set of rules for every reviewer"
    assert all("utm_" not in item.url and "fbclid" not in item.url for item in issue.items)
    markdown = result.files["markdown"].read_text()
    assert "Why this matters:" in markdown
    assert "Read more (" in markdown
    assert json.loads(result.files["slack"].read_text())[0]["blocks"]
    assert json.loads(result.files["discord"].read_text())[0]["embeds"]
    assert json.loads(result.files["matrix"].read_text())[0]["format"] == "org.matrix.custom.html"
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


def test_demo_files_work_after_it_exits_and_cover_last_week(tmp_path: Path) -> None:
    """Every link and picture points at copies beside the issue, not at the demo's stopped
    server; the issue covers the last full week before "now"."""
    from datetime import UTC, datetime

    result = run_demo(tmp_path / "demo", now=datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    issue_dir = result.files["html"].parent
    for name in ("markdown", "html", "slack", "discord"):
        text = result.files[name].read_text()
        assert "127.0.0.1" not in text, name
    html = result.files["html"].read_text()
    pictures = re.findall(r'src="([^"]+)"', html)
    links = re.findall(r'href="(pages/[^"]+)"', html)
    assert pictures
    assert links
    for relative in pictures + links:
        assert (issue_dir / relative).is_file(), relative
    assert (result.issue.period_start.date(), result.issue.period_end.date()) == (
        datetime(2026, 11, 23).date(),
        datetime(2026, 11, 30).date(),
    )
    assert "_23 – 30 November 2026_" in result.files["markdown"].read_text()


def test_last_full_week_is_the_week_that_ended_before_now() -> None:
    from datetime import UTC, datetime

    from adapters.console.week import last_full_week

    monday_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert last_full_week(monday_9) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert last_full_week(datetime(2026, 11, 30, 8, 59, tzinfo=UTC)) == datetime(
        2026, 11, 16, 9, 0, tzinfo=UTC
    )
    assert last_full_week(datetime(2026, 12, 6, 23, 0, tzinfo=UTC)) == datetime(
        2026, 11, 23, 9, 0, tzinfo=UTC
    )


def test_demo_command_ends_with_what_to_try_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--out", "out"])
    assert result.exit_code == 0, result.output
    tail = result.output.split("Try next:", 1)[1]
    assert "out/issue/team-weekly-001.html" in tail
    assert "LINKLETTER_DATABASE_URL=sqlite:///out/linkletter.db" in tail
    assert "linkletter items list" in tail
