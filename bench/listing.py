"""``linkletter items list --json`` at scale, next to its floor: a plain join of the same items
and shares, grouped and printed with ``json.dumps`` by a bare script. Both run as subprocesses
(interpreter start included), interleaved, output to /dev/null; the ratio is of the medians.

    python -m bench.listing [--items 1000 10000 100000] [--shares 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from bench import databases, machine
from storage.db import Database, normalise_url
from storage.models import Item, Share

TARGET_RATIO = 2.0
CHUNK = 10_000  # rows per executemany while seeding
CONFIG = '[[digest]]\nname = "weekly"\nsources = ["slack:C1"]\n'
PLAIN_JOIN = (
    "SELECT * FROM item LEFT JOIN share ON share.item_id = item.id "
    "WHERE item.merged_into IS NULL ORDER BY item.first_shared_at, item.id, share.id"
)


def _item(number: int, start: datetime) -> dict[str, Any]:
    at = start + timedelta(seconds=number)
    return {
        "digest": "weekly",
        "canonical_url": f"https://example.com/articles/{number}",
        "url": f"https://example.com/articles/{number}?utm_source=chat",
        "status": ("draft", "approved", "rejected")[number % 3],
        "featured": False,
        "votes": number % 5,
        "why": f"why {number} matters" if number % 2 else None,
        "title": f"Article number {number}",
        "summary": "A summary of the page, one sentence long, as enrichment leaves it.",
        "word_count": 800 + number % 700,
        "enrich_status": "done",
        "enrich_attempts": 1,
        "first_shared_at": at,
        "first_shared_by": f"slack:U{number % 40}",
        "created_at": at,
        "updated_at": at,
    }


def _share(item_id: int, copy: int, start: datetime) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "channel": f"slack:C{copy}",
        "message_id": f"{item_id}.{copy}",
        "user": f"slack:U{(item_id + copy) % 40}",
        "user_name": f"User {(item_id + copy) % 40}",
        "url": f"https://example.com/articles/{item_id}",
        "text": f"https://example.com/articles/{item_id} have a look",
        "shared_at": start + timedelta(seconds=item_id, milliseconds=copy),
        "active": True,
    }


def seed(db: Database, items: int, shares_per_item: int) -> None:
    """``items`` items with ``shares_per_item`` shares each, by ``executemany`` in chunks."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    item_table, share_table = Item.__table__, Share.__table__  # type: ignore[attr-defined]
    for first in range(0, items, CHUNK):
        numbers = range(first + 1, min(first + CHUNK, items) + 1)
        with db.engine.begin() as connection:
            connection.execute(insert(item_table), [_item(n, start) for n in numbers])
            rows = [_share(n, c, start) for n in numbers for c in range(shares_per_item)]
            if rows:
                connection.execute(insert(share_table), rows)


def plain_join(url: str) -> None:
    """The floor: one join, rows grouped per item, one ``json.dumps`` (``--plain URL``)."""
    engine = create_engine(normalise_url(url))
    records: list[dict[str, Any]] = []
    with engine.connect() as connection:
        for row in connection.execute(text(PLAIN_JOIN)):
            values = row._asdict()
            if not records or records[-1]["id"] != values["id"]:
                records.append(values | {"shares": []})
            records[-1]["shares"].append(values)
    print(json.dumps(records, default=str, ensure_ascii=False, indent=2))


def _commands(url: str, directory: Path) -> dict[str, list[str]]:
    config = directory / "linkletter.toml"
    config.write_text(CONFIG)
    return {
        "plain join + json.dumps": [sys.executable, "-m", "bench.listing", "--plain", url],
        "items list --json": [
            *(sys.executable, "-m", "bot", "--config", str(config)),
            *("items", "list", "--json"),
        ],
    }


def measure(kind: str, items: int, shares_per_item: int, repeat: int) -> str:
    with databases.fresh(kind) as db, tempfile.TemporaryDirectory() as directory:
        seed(db, items, shares_per_item)
        url = db.engine.url.render_as_string(hide_password=False)
        env = os.environ | {"LINKLETTER_DATABASE_URL": url}
        medians = machine.interleaved_medians(_commands(url, Path(directory)), repeat, env)
    plain, listing = medians.values()
    ratio = listing / plain
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    return (
        f"listing [{kind}] {items} items x {shares_per_item} shares: items list --json "
        f"{listing:.2f} s, plain join {plain:.2f} s, ratio {ratio:.2f} "
        f"(target <= {TARGET_RATIO:.0f}: {verdict}; load {os.getloadavg()[0]:.1f})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--shares", type=int, default=2, help="shares per item")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each")
    parser.add_argument("--plain", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plain:
        plain_join(args.plain)
        return
    print(machine.describe())
    for kind in databases.kinds():
        for items in args.items:
            print(measure(kind, items, args.shares, args.repeat), flush=True)


if __name__ == "__main__":
    main()
