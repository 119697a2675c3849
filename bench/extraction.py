"""Extraction side by side with trafilatura's defaults, on pages people annotated by hand.

Run: ``python -m bench.extraction [--repeat 3]``. Prints the figures and the ratios.

The pages are Mozilla Readability's test pages (/work/shared/data/pages/readability/, Apache-2.0,
see its LICENSE.md): each has the page (``source.html``) and the main text a person accepted
(``expected.html``). Per page, interleaved in alternating order so both see the same machine:

* **ours**: ``bot.enrich.extract.extract`` (the declared metadata, the nesting guard, the main
  text through trafilatura's fast mode, the summary fallback);
* **baseline**: ``trafilatura.extract`` with its defaults (main text only), what a project
  without our code would run.

Word counts are compared with the words of ``expected.html`` (pages with at least 50 words):
median relative error, and the share of pages within ±10 %. The nesting guard is timed alone,
with its shortcut (pages with too few start tags to be that deep are not scanned) and without.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.enrich import MIN_WORDS_COMPARED, PAGE_URL, PAGES, _readability_word_count
from bench.machine import describe
from bot.enrich import extract as extraction
from bot.enrich.extract import MAX_NESTING, decode_html, extract

CLOSE = 0.10


@dataclass
class Side:
    """One contender's timings (ms per page, best of the repeats) and word-count errors."""

    name: str
    ms: list[float] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)

    def line(self) -> str:
        close = sum(1 for error in self.errors if error <= CLOSE) / len(self.errors)
        return (
            f"  {self.name:9} median {statistics.median(self.ms):6.2f} ms/page, total "
            f"{sum(self.ms) / 1000:5.2f} s; word count median error "
            f"{statistics.median(self.errors):5.1%}, within ±{CLOSE:.0%} on {close:5.1%} of "
            f"{len(self.errors)} pages"
        )


def best_ms(action: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs: the least disturbed by the other work on the machine."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return min(timings)


def _trafilatura_words(document: str) -> int:
    import trafilatura

    text = trafilatura.extract(document, url=PAGE_URL)
    return len(text.split()) if text else 0


def _our_words(body: bytes) -> int:
    return extract(body, PAGE_URL, "text/html; charset=utf-8").word_count or 0


def _error(words: int, expected: int) -> float:
    return abs(words - expected) / expected


def _full_scan(document: str) -> bool:
    """The guard without its shortcut: every page's tags are walked."""
    return extraction._nesting_exceeds("<" * (MAX_NESTING + 1) + document, MAX_NESTING)


def run(pages: Path, repeat: int) -> None:
    directories = sorted(p for p in pages.iterdir() if (p / "source.html").is_file())
    ours, baseline = Side("ours"), Side("baseline")
    guard_short: list[float] = []
    guard_full: list[float] = []
    for index, directory in enumerate(directories):
        body = (directory / "source.html").read_bytes()
        document = decode_html(body, "text/html; charset=utf-8")
        contenders = [
            (ours, partial(_our_words, body)),
            (baseline, partial(_trafilatura_words, document)),
        ]
        for side, action in contenders[:: -1 if index % 2 else 1]:
            side.ms.append(best_ms(action, repeat))
        expected = _readability_word_count(directory)
        if expected >= MIN_WORDS_COMPARED:
            for side, action in contenders:
                side.errors.append(_error(action(), expected))
        guard = partial(extraction._nesting_exceeds, document, MAX_NESTING)
        guard_short.append(best_ms(guard, repeat))
        guard_full.append(best_ms(partial(_full_scan, document), repeat))
    print(f"Extraction side by side, {len(directories)} pages ({pages}), best of {repeat}")
    print(f"  machine: {describe()}")
    print(ours.line())
    print(baseline.line())
    print(f"  ratio ours / baseline: {sum(ours.ms) / sum(baseline.ms):.2f}x (total time)")
    skipped = sum(
        1
        for directory in directories
        if (text := (directory / "source.html").read_text(errors="replace")).count("<")
        - text.count("</")
        <= MAX_NESTING
    )
    print(
        f"  nesting guard: median {statistics.median(guard_short):.2f} ms/page with the shortcut "
        f"({skipped}/{len(directories)} pages not scanned), "
        f"{statistics.median(guard_full):.2f} ms/page scanning every page"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings per page")
    parser.add_argument("--pages", type=Path, default=PAGES)
    args = parser.parse_args()
    run(args.pages, args.repeat)


if __name__ == "__main__":
    main()
