"""Fault injection: kill -9 while ingesting and while publishing, then restart and compare with
an uninterrupted run; then (with a PostgreSQL server configured) the 30 s database outage of
tests/faults/test_database_down.py. The short forms run in CI (tests/faults); this is the long
form:

    python -m bench.faults [--events 10000] [--kills 10] [--seed 7] [--outage 30]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from bench import crashable, workload
from storage.db import Database
from storage.models import Item, Message, ProcessedEvent, Reaction, Share

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2026-W47"
Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(url: str) -> Snapshot:
    """What must survive a crash, without ids and wall-clock stamps (they differ per run)."""
    db = Database.connect(url)
    try:
        with db.session() as session:
            items = session.exec(select(Item)).all()
            urls = {item.id: item.canonical_url for item in items}
            return {
                "items": sorted(
                    (
                        i.canonical_url,
                        i.status,
                        i.votes,
                        i.featured,
                        i.section,
                        i.why,
                        urls.get(i.merged_into),
                        i.published_issue_id is None,
                    )
                    for i in items
                ),
                "shares": sorted(
                    (urls[s.item_id], s.channel, s.message_id, s.active, s.user)
                    for s in session.exec(select(Share)).all()
                ),
                "messages": sorted(
                    (m.channel, m.message_id, m.text, m.deleted)
                    for m in session.exec(select(Message)).all()
                ),
                "reactions": sorted(
                    (r.channel, r.message_id, r.user, r.emoji, r.present)
                    for r in session.exec(select(Reaction)).all()
                ),
                "events": [(session.exec(select(func.count()).select_from(ProcessedEvent)).one(),)],
            }
    finally:
        db.dispose()


def migrated(path: Path) -> str:
    url = f"sqlite:///{path}"
    db = Database.connect(url)
    db.upgrade()
    db.dispose()
    return url


def _child(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "bench.crashable", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> str:
    out, _ = process.communicate(timeout=600)
    if process.returncode != 0:
        raise RuntimeError(f"crashable exited with {process.returncode}")
    return out.strip()


def kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], jitter: float) -> bool:
    """SIGKILL ``process`` once ``ready()`` holds (plus up to ``jitter`` s); False if it ended."""
    while process.poll() is None and not ready():
        time.sleep(0.005)
    time.sleep(random.uniform(0, jitter))
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def processed(url: str) -> int:
    db = Database.connect(url)
    try:
        with db.session() as session:
            return int(session.exec(select(func.count()).select_from(ProcessedEvent)).one())
    except Exception:  # the file is mid-creation or locked: not there yet
        return 0
    finally:
        db.dispose()


def _processed_at_least(url: str, count: int) -> Callable[[], bool]:
    return lambda: processed(url) >= count


@dataclass
class CrashReport:
    kills: int
    reference: Any
    survivor: Any
    notes: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return bool(self.reference == self.survivor)


def kill_during_replay(workdir: Path, events: int, kills: int, seed: int) -> CrashReport:
    """Replay ``events`` envelopes into two databases: one run straight through, one killed
    ``kills`` times at random progress points and restarted from the first event each time."""
    random.seed(seed)
    journal = workdir / "events.jsonl"
    workload.write_jsonl(journal, workload.mixed(events, seed))
    reference_url = migrated(workdir / "reference.db")
    victim_url = migrated(workdir / "victim.db")
    reference = _child("replay", str(journal), reference_url)
    distinct = len({e["event_id"] for e in workload.read_jsonl(journal)})
    done = 0
    for threshold in sorted(random.sample(range(1, distinct), min(kills, distinct - 1))):
        victim = _child("replay", str(journal), victim_url)
        done += kill_when(victim, _processed_at_least(victim_url, threshold), 0.02)
    _finish(_child("replay", str(journal), victim_url))
    _finish(reference)
    return CrashReport(done, snapshot(reference_url), snapshot(victim_url))


def publishable(workdir: Path, posts: int, seed: int) -> Path:
    """A database with ``posts`` approved shares waiting for an issue."""
    path = workdir / "week.db"
    journal = workdir / "week.jsonl"
    workload.write_jsonl(journal, workload.approved(posts, seed))
    crashable.replay(journal, migrated(path))
    return path


def _posted_at_least(ledger: Path, count: int) -> Callable[[], bool]:
    return lambda: len(crashable.received(ledger)) >= count


def _publish_until_done(url: str, ledger: Path, kills: int) -> tuple[int, str]:
    """Start the publisher, killing it after random numbers of posts, until one run finishes."""
    done, start = 0, 0
    while True:
        publisher = _child("publish", url, str(ledger), PERIOD, str(start))
        start += 1
        if done < kills:
            posts = len(crashable.received(ledger)) + random.randint(0, 2)
            if kill_when(publisher, _posted_at_least(ledger, posts), crashable.POST_SECONDS * 1.5):
                done += 1
                continue
        return done, _finish(publisher)


def kill_during_publish(workdir: Path, posts: int, kills: int, seed: int) -> CrashReport:
    """Publish one issue twice from copies of the same database: straight through, and killed
    ``kills`` times at random points; both channels must hold the same messages, once each."""
    random.seed(seed)
    week = publishable(workdir, posts, seed)
    copies = {}
    for name in ("reference", "victim"):
        copies[name] = workdir / f"{name}-publish.db"
        shutil.copy(week, copies[name])
    reference_ledger, victim_ledger = workdir / "reference.ledger", workdir / "victim.ledger"
    outcome = _finish(
        _child("publish", f"sqlite:///{copies['reference']}", str(reference_ledger), PERIOD, "0")
    )
    done, final = _publish_until_done(f"sqlite:///{copies['victim']}", victim_ledger, kills)
    report = CrashReport(
        done,
        (crashable.received(reference_ledger), snapshot(f"sqlite:///{copies['reference']}")),
        (crashable.received(victim_ledger), snapshot(f"sqlite:///{copies['victim']}")),
        notes=[f"reference run: {outcome}; last victim run: {final}"],
    )
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds PostgreSQL is away")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="linkletter-faults-") as directory:
        workdir = Path(directory)
        started = time.perf_counter()
        report = kill_during_replay(workdir, args.events, args.kills, args.seed)
        print(
            f"kill -9 during replay of {args.events} events: {report.kills} kills, final "
            f"database {'EQUALS' if report.equal else 'DIFFERS FROM'} the uninterrupted run "
            f"({time.perf_counter() - started:.0f} s)"
        )
        report = kill_during_publish(workdir, 80, args.kills, args.seed)
        posted = report.survivor[0]
        print(
            f"kill -9 during publish: {report.kills} kills, {len(posted)} messages "
            f"({len({p['key'] for p in posted})} distinct), "
            f"{'EQUAL to' if report.equal else 'DIFFERENT from'} the uninterrupted run; "
            + "; ".join(report.notes)
        )
    database_outage(args.outage)


def database_outage(seconds: float) -> None:
    """The outage tests with a long cut (they skip without LINKLETTER_TEST_POSTGRES_URL)."""
    print(f"PostgreSQL away for {seconds:g} s:", flush=True)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rxXs", "tests/faults/test_database_down.py"],
        cwd=ROOT,
        env={**os.environ, "LINKLETTER_FAULT_OUTAGE": str(seconds)},
        check=False,
    )


if __name__ == "__main__":
    main()
