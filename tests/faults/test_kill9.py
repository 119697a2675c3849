"""kill -9 at random points, restart, compare with an uninterrupted run (short forms of
``python -m bench.faults``; LINKLETTER_FAULT_EVENTS / _KILLS lengthen them)."""

from __future__ import annotations

import os
from pathlib import Path

from bench import faults

EVENTS = int(os.environ.get("LINKLETTER_FAULT_EVENTS", "300"))
KILLS = int(os.environ.get("LINKLETTER_FAULT_KILLS", "3"))


def test_kill_9_while_ingesting_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """Reliability row 3 (a redelivered event id has exactly one effect, across a restart):
    a replay killed mid-stream and restarted from the first event ends in the same items,
    shares, statuses, votes and reactions as a run that was never interrupted."""
    report = faults.kill_during_replay(tmp_path, EVENTS, KILLS, seed=11)
    assert report.kills >= 1, "the replay finished before any kill: nothing was tested"
    assert report.reference["items"], "the workload produced no items"
    assert report.survivor == report.reference


def test_kill_9_while_publishing_posts_each_message_once(tmp_path: Path) -> None:
    """Reliability row 19 (killed after posting, before recording → no duplicate): the
    publisher is killed between posts and between a post and its record, restarted each time
    after the lease, and the channel ends with the same messages as an uninterrupted run, once."""
    report = faults.kill_during_publish(tmp_path, posts=40, kills=KILLS, seed=5)
    posted, database = report.survivor
    keys = [entry["key"] for entry in posted]
    assert report.kills >= 1, "the publish finished before any kill: nothing was tested"
    assert len(keys) == len(set(keys)) > 1
    assert posted == report.reference[0]
    assert database == report.reference[1]
