"""How ``linkletter import`` applies an export (``bot.cli.imports`` holds the commands).

The export is read in a worker thread, ``MAX_BATCH`` events at a time, and each batch goes
through ``handle_batch`` (one transaction), as the live consumer does; a progress bar shows on a
terminal. Every import ends with a summary and the warnings of what it skipped.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from bot.capture.links import extract_links
from bot.cli.context import console, errors
from bot.curate.service import CurationService
from bot.events import ChatEvent, MessagePosted, Outcome
from bot.ports import MAX_BATCH

if TYPE_CHECKING:
    from bot.capture.history import ImportReport

SHOWN_WARNINGS = 20  # the rest are counted


@dataclass
class Totals:
    """What applying the events did."""

    events: int = 0
    new: int = 0
    links: int = 0  # links that became or joined an item
    touched: set[int] = field(default_factory=set)
    new_items: int = 0

    def add(self, batch: Sequence[ChatEvent], outcomes: Sequence[Outcome]) -> None:
        self.events += len(batch)
        for event, outcome in zip(batch, outcomes, strict=True):
            self.new += not outcome.duplicate
            self.touched.update(outcome.item_ids)
            if isinstance(event, MessagePosted) and extract_links(event.text):
                self.links += len(outcome.item_ids)  # none for a bot's post, a duplicate


async def _item_count(service: CurationService) -> int:
    return await service.run(lambda repo: sum(repo.count_by_status().values()))


def _next_batch(events: Iterator[ChatEvent]) -> list[ChatEvent]:
    return list(itertools.islice(events, MAX_BATCH))


def _progress() -> Progress:
    """A bar on a terminal; nothing when the output is a file or a pipe."""
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[messages]:,} messages"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )


async def import_events(
    service: CurationService, events: Iterator[ChatEvent], report: ImportReport, label: str
) -> Totals:
    """Apply an export's events batch by batch; reading (file I/O) stays off the event loop."""
    totals = Totals()
    before = await _item_count(service)
    with _progress() as progress:
        task = progress.add_task(f"Importing {label}", total=None, messages=0)
        reading = asyncio.ensure_future(asyncio.to_thread(_next_batch, events))
        while batch := await reading:
            # the next batch is read while this one is applied
            reading = asyncio.ensure_future(asyncio.to_thread(_next_batch, events))
            totals.add(batch, await service.handle_batch(batch))
            progress.update(
                task, completed=report.done, total=report.total or None, messages=report.messages
            )
    totals.new_items = await _item_count(service) - before
    return totals


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def summary(label: str, report: ImportReport, totals: Totals) -> list[str]:
    """The closing lines: what was read, captured, new and merged, and what was skipped why."""
    merged = len(totals.touched) - totals.new_items
    skipped = sum(report.skipped.values())
    reasons = ", ".join(f"{count:,} {why}" for why, count in report.skipped.most_common())
    return [
        f"{label}: {_plural(report.messages, 'message')} read, "
        f"{_plural(totals.links, 'link')} captured, {totals.new_items:,} items new, "
        f"{merged:,} merged into existing items; "
        f"{_plural(skipped, 'message')} skipped" + (f" ({reasons})" if reasons else "") + ".",
        f"{_plural(totals.events, 'event')}, {totals.new:,} new, {totals.events - totals.new:,} "
        f"already known; {len(totals.touched):,} items touched.",
    ]


def warn(report: ImportReport) -> None:
    for warning in report.warnings[:SHOWN_WARNINGS]:
        errors.print(Text("warning: ", style="yellow"), warning, sep="")
    hidden = len(report.warnings) - SHOWN_WARNINGS
    if hidden > 0:
        errors.print(Text("warning: ", style="yellow"), f"… and {hidden:,} more", sep="")
