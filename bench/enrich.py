"""Enrichment benchmark: extraction speed and agreement, and end-to-end fetch throughput.

Run: ``python -m bench.enrich`` (or ``python bench/enrich.py``). Prints the figures.

* Extraction, on every page of /work/shared/data/pages/readability/ (Mozilla Readability's test
  pages): median and p95 milliseconds per page for the meta pass (selectolax) and the main-text
  pass (trafilatura), and how often our title, site name and excerpt agree with Readability's
  ``expected-metadata.json``. Agreement = equal after collapsing whitespace and casefolding
  (both missing counts as agreement); and how close our word count comes to the words of
  Readability's extracted main text (``expected.html``).
* End to end: N links (default 1,000) through ``Enricher`` against a local server that answers
  each request after a delay (default 200 ms), spread over 100 host names so the per-host limit
  is not the bottleneck; wall time against the ideal ``N * delay / concurrency``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web
from selectolax.lexbor import LexborHTMLParser

from bot.enrich.enricher import Enricher
from bot.enrich.extract import decode_html, extract, main_blocks
from bot.enrich.fetch import FetchSettings
from bot.enrich.meta import read_meta

PAGES = Path("/work/shared/data/pages/readability")
PAGE_URL = "http://fakehost/test/page.html"
HOSTS = 100
MIN_WORDS_COMPARED = 50
WORD_TOLERANCE = 0.2
FIELDS = {"title": "title", "site_name": "siteName", "summary": "excerpt"}


def _ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _normalised(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def bench_extraction(pages: Path) -> None:
    directories = sorted(p for p in pages.iterdir() if (p / "expected-metadata.json").is_file())
    timings: dict[str, list[float]] = {"meta pass": [], "main text": [], "extract() total": []}
    agree = dict.fromkeys(FIELDS, 0)
    word_errors: list[float] = []
    for directory in directories:
        body = (directory / "source.html").read_bytes()
        document = decode_html(body, "text/html; charset=utf-8")  # the files are stored as UTF-8
        timings["meta pass"].append(_ms(lambda: read_meta(document)))  # noqa: B023
        timings["main text"].append(_ms(lambda: main_blocks(document, PAGE_URL)))  # noqa: B023
        started = time.perf_counter()
        page = extract(body, PAGE_URL, "text/html; charset=utf-8")
        timings["extract() total"].append((time.perf_counter() - started) * 1000)
        expected = json.loads((directory / "expected-metadata.json").read_text())
        for ours, theirs in FIELDS.items():
            agree[ours] += _normalised(getattr(page, ours)) == _normalised(expected.get(theirs))
        expected_words = _readability_word_count(directory)
        if expected_words >= MIN_WORDS_COMPARED:
            word_errors.append(abs((page.word_count or 0) - expected_words) / expected_words)
    print(f"Extraction over {len(directories)} pages ({pages})")
    for name, values in timings.items():
        median, p95 = statistics.median(values), _percentile(values, 0.95)
        print(f"  {name:16} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    for ours, count in agree.items():
        share = 100 * count / len(directories)
        print(f"  agreement {ours:10} {count:4}/{len(directories)}  {share:5.1f} %")
    close = sum(1 for error in word_errors if error <= WORD_TOLERANCE)
    print(
        f"  word count vs Readability's main text ({len(word_errors)} pages with "
        f">= {MIN_WORDS_COMPARED} words): median error {statistics.median(word_errors):.1%}, "
        f"within {WORD_TOLERANCE:.0%} on {close / len(word_errors):.1%} of pages"
    )


def _readability_word_count(directory: Path) -> int:
    expected = directory / "expected.html"
    if not expected.is_file():
        return 0
    return len(LexborHTMLParser(expected.read_text()).text(separator=" ").split())


def _serve(delay: float, ports: multiprocessing.Queue[int]) -> None:
    async def page(_request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        html = "<html><title>ok</title><p>Hello.</p></html>"
        return web.Response(text=html, content_type="text/html")

    async def serve() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", page)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
        ports.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(serve())


@contextmanager
def slow_server(delay: float) -> Iterator[int]:
    """A server in its own process (not competing for our GIL) answering after ``delay`` s."""
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(delay, ports), daemon=True)
    process.start()
    try:
        yield ports.get(timeout=10)
    finally:
        process.terminate()
        process.join()


async def _loopback(_host: str, _port: int) -> list[str]:
    return ["127.0.0.1"]


async def _enrich_all(port: int, links: int, concurrency: int) -> tuple[float, int]:
    settings = FetchSettings(
        allow_private_networks=True, global_concurrency=concurrency, per_host_concurrency=2
    )
    enricher = Enricher(settings, resolver=_loopback)
    urls = [f"http://host{i % HOSTS}.bench:{port}/item/{i}" for i in range(links)]
    started = time.perf_counter()
    results = await asyncio.gather(*(enricher.enrich(url) for url in urls), return_exceptions=True)
    wall = time.perf_counter() - started
    await enricher.aclose()
    return wall, sum(1 for result in results if not isinstance(result, BaseException))


def bench_end_to_end(links: int, delay: float, concurrencies: list[int]) -> None:
    print(f"End to end: {links} links, server answers after {delay * 1000:.0f} ms, {HOSTS} hosts")
    with slow_server(delay) as port:
        for concurrency in concurrencies:
            wall, ok = asyncio.run(_enrich_all(port, links, concurrency))
            ideal = links * delay / concurrency
            print(
                f"  concurrency {concurrency:3}: wall {wall:6.2f} s, ideal {ideal:6.2f} s "
                f"({wall / ideal:4.2f}x), {ok}/{links} enriched"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=Path, default=PAGES)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 50])
    parser.add_argument("--skip-extraction", action="store_true")
    args = parser.parse_args()
    if not args.skip_extraction:
        bench_extraction(args.pages)
    bench_end_to_end(args.links, args.delay, args.concurrency)


if __name__ == "__main__":
    main()
