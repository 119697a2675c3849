"""Import at scale (issue 22): a DiscordChatExporter export of 200,000 messages, built on the
skeleton of a real one (``tests/fixtures/console/dce/ferry-general.json``: its guild, channel and
message layout), streamed through ``linkletter import``'s own path (``import_events``: batches
of ``MAX_BATCH`` through ``handle_batch``) into a fresh database; messages per second, peak
memory, and, on a smaller export, the batched import next to an ``executemany`` of the very rows
it stored, with the same number of transactions.

    python -m bench.imports [--messages 200000] [--compare 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from adapters.discord.export import DiscordExport
from bench import databases, machine
from bench.ingest import Rows, floor_insert, stored_rows
from bot.capture.history import ImportReport
from bot.cli.importing import Totals, import_events
from bot.config import parse_config
from bot.curate.service import CurationService
from bot.ports import MAX_BATCH

SKELETON = (
    Path(__file__).parents[1] / "tests" / "fixtures" / "console" / "dce" / "ferry-general.json"
)
TARGET_RATIO = 2.0
EDITOR = "1506020000000000002"
FIRST_ID = 1506030000000000000


def _config(channel: str) -> str:
    sources = f'sources = ["discord:{channel}"]\neditors = ["discord:{EDITOR}"]\n'
    return f'[[digest]]\nname = "weekly"\n{sources}'


def _person(template: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        **template,
        "id": str(1506020000000000100 + number),
        "name": f"member{number}",
        "nickname": f"Member {number}",
        "isBot": False,
        "roles": [],
    }


def _reaction(name: str, user: dict[str, Any]) -> dict[str, Any]:
    emoji = {"id": "", "name": name, "code": "", "isAnimated": False, "imageUrl": ""}
    users = [
        {k: user[k] for k in ("id", "name", "discriminator", "nickname", "isBot", "avatarUrl")}
    ]
    return {"emoji": emoji, "count": 1, "users": users}


def messages(skeleton: dict[str, Any], count: int) -> Iterator[dict[str, Any]]:
    """A team's channel: four in five messages share a link (a third of those an article
    someone already shared), one in ten is a "why this matters" reply, one in five links gets
    an editor's ✅ and a reader's 👍, one in fifty is a join notice."""
    template = skeleton["messages"][0]
    author = template["author"]
    people = [_person(author, n) for n in range(40)]
    editor = {**people[0], "id": EDITOR}
    start = datetime.fromisoformat(template["timestamp"])
    channel, guild = skeleton["channel"]["id"], skeleton["guild"]["id"]
    for n in range(count):
        message_id = str(FIRST_ID + n)
        message = {
            **template,
            "id": message_id,
            "author": people[n % len(people)],
            "timestamp": (start + timedelta(seconds=30 * n)).isoformat(timespec="milliseconds"),
        }
        if n % 50 == 49:
            message.update(type="GuildMemberJoin", content="")
        elif n % 10 == 9:
            message.update(
                type="Reply",
                content=f"why this matters: reason {n}",
                reference={
                    "type": "Default",
                    "messageId": str(FIRST_ID + n - 1),
                    "channelId": channel,
                    "guildId": guild,
                },
            )
        elif n % 10 < 8:
            article = n if n % 3 else n // 3  # every third one a link seen before
            message["content"] = f"worth reading https://news.example.org/{article}?utm_source=x"
            if n % 5 == 0:
                message["reactions"] = [_reaction("✅", editor), _reaction("👍", people[3])]
        else:
            message["content"] = f"thanks! {n}"
        yield message


def write_export(path: Path, count: int) -> None:
    """The export, written message by message as DiscordChatExporter does (never all in memory)."""
    skeleton = json.loads(SKELETON.read_text())
    head = {k: v for k, v in skeleton.items() if k not in ("messages", "messageCount")}
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "messages": [\n')
        for n, message in enumerate(messages(skeleton, count)):
            out.write((",\n" if n else "") + json.dumps(message, ensure_ascii=False))
        out.write(f'\n  ],\n  "messageCount": {count}\n}}\n')


def run_import(db: Any, path: Path) -> tuple[float, ImportReport, Totals]:
    export = DiscordExport(path)
    core = CurationService(parse_config(_config(export.channel_id)), db)
    report = ImportReport()
    started = time.perf_counter()
    events = export.events(frozenset({export.channel}), report)
    totals = asyncio.run(import_events(core, events, report, path.name))
    return time.perf_counter() - started, report, totals


def read_only(path: Path) -> tuple[float, float]:
    """Seconds to stream and translate the whole export without a database, and peak RSS."""
    export = DiscordExport(path)
    started = time.perf_counter()
    for _event in export.events(frozenset({export.channel}), ImportReport()):
        pass
    return time.perf_counter() - started, machine.rss_mb(os.getpid(), "VmHWM")


def executemany(engine: Engine, rows: Rows, transactions: int) -> float:
    """Seconds to insert ``rows`` at the floor (``bench.ingest.floor_insert``)."""
    started = time.perf_counter()
    floor_insert(engine, rows, transactions)
    return time.perf_counter() - started


def compare(directory: Path, count: int) -> list[str]:
    path = directory / f"compare-{count}.json"
    write_export(path, count)
    with databases.fresh("sqlite") as db:
        seconds, _report, totals = run_import(db, path)
        rows = stored_rows(db)
    with databases.fresh("sqlite") as raw:
        baseline = executemany(raw.engine, rows, -(-totals.events // MAX_BATCH))
    ratio = seconds / baseline
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    return [
        f"  {count:,} messages: import {seconds:.1f} s, executemany of the same {len(rows):,} rows "
        f"in {-(-totals.events // MAX_BATCH):,} transactions {baseline:.1f} s: import is "
        f"{ratio:.1f}x (target <= {TARGET_RATIO:.0f}x: {verdict})",
    ]


def scale(directory: Path, count: int) -> list[str]:
    path = directory / f"export-{count}.json"
    started = time.perf_counter()
    write_export(path, count)
    built = time.perf_counter() - started
    reading, read_peak = read_only(path)
    with databases.fresh("sqlite") as db:
        seconds, report, totals = run_import(db, path)
    return [
        f"  built a {path.stat().st_size / 2**20:.0f} MB export of {count:,} messages "
        f"in {built:.0f} s",
        f"  reading and translating alone: {count / reading:,.0f} messages/s, "
        f"peak RSS {read_peak:.0f} MB (streamed: not the file's size)",
        f"  imported in {seconds:.0f} s: {report.messages / seconds:,.0f} messages/s, "
        f"{totals.events / seconds:,.0f} events/s ({totals.events:,} events in batches of "
        f"{MAX_BATCH}), {totals.new_items:,} items, {totals.links:,} links captured; "
        f"peak RSS {machine.rss_mb(os.getpid(), 'VmHWM'):.0f} MB",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--compare", type=int, default=20_000, help="size of the ratio run")
    args = parser.parse_args(argv)
    print(machine.describe())
    with tempfile.TemporaryDirectory(prefix="linkletter-bench-imports-") as directory:
        # the large run first, so its peak memory is not the comparison's rows
        print("\n".join(["import [sqlite] at scale", *scale(Path(directory), args.messages)]))
        print(
            "\n".join(["import [sqlite], batched ratio", *compare(Path(directory), args.compare)])
        )


if __name__ == "__main__":
    main()
