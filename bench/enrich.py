"""Extraction cost: milliseconds per page for the real ``extract`` (meta pass + main text) on
the shared real pages in tests/fixtures/enrich (Readability's test pages and others).

    python -m bench.enrich [--rounds 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from bench import machine
from bot.enrich.extract import extract

PAGES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "enrich"


def pages() -> list[Path]:
    return sorted([*PAGES.glob("*.html"), *PAGES.glob("readability/*/source.html")])


def extraction_ms(page: Path, rounds: int) -> float:
    """Median ms to extract one page (after a first, untimed run warms the caches)."""
    body = page.read_bytes()
    extract(body, "https://example.com/article", "text/html; charset=utf-8")
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        extract(body, "https://example.com/article", "text/html; charset=utf-8")
        timings.append((time.perf_counter() - started) * 1000)
    return machine.median(timings)


def measure(rounds: int) -> list[str]:
    found = {page: extraction_ms(page, rounds) for page in pages()}
    lines = [f"extraction: {len(found)} real pages, median of {rounds} runs each"]
    for page, ms in sorted(found.items(), key=lambda pair: -pair[1]):
        size = page.stat().st_size // 1024
        lines.append(f"  {ms:7.1f} ms  {size:5d} KiB  {page.relative_to(PAGES)}")
    values = list(found.values())
    lines.append(
        f"  per page: median {machine.median(values):.1f} ms, "
        f"p90 {machine.percentile(values, 0.9):.1f} ms, max {max(values):.1f} ms"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(machine.describe())
    print("\n".join(measure(args.rounds)))


if __name__ == "__main__":
    main()
