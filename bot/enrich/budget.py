"""The per-page budget: CPU-heavy extraction runs in a small pool of worker processes that can
be killed, so a hostile page costs at most its budget (a thread cannot be stopped).

The pool (pebble's ``ProcessPool``) starts at the first page to extract, not with the bot: one
``forkserver`` that has imported the extractors once, plus ``processes`` workers forked from it
(measured in docs/enrichment.md). A task that outlives its share of the budget has its worker
killed (SIGTERM, which the worker does not handle, so lxml's C loops stop at once) and replaced;
``RLIMIT_CPU`` in the worker is the second line, should the pool's timer ever fail.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import resource
import signal
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool

from pebble import ProcessExpired, ProcessPool
from pebble.pool.process import WORKERS_NAME

from bot.enrich.fetch import PDF_TYPES, FetchedPage, sniff_media_type
from bot.enrich.model import ExtractionFailed, FetchFailed, PageMetadata

# Imported once by the forkserver, so a replaced worker is ready in milliseconds.
_PRELOAD = [
    "bot.enrich.budget",
    "bot.enrich.extract",
    "bot.enrich.pdf",
    "trafilatura",
    "pypdf",
    "charset_normalizer",
    "selectolax.lexbor",
]
_STOP_WAIT = 5.0  # seconds for the pool to report a kill or to stop, before we act ourselves
_CPU_MARGIN = 1.0  # seconds of CPU beyond the wall-clock share before the kernel stops a worker


class OverBudget(ExtractionFailed):
    """The page's extraction did not finish within its budget; the work was stopped. Final."""


class ExtractionPool:
    """Extract pages in killable worker processes. Create once; ``await aclose()`` at shutdown."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._pool: ProcessPool | None = None
        self._starting = asyncio.Lock()
        self._warming: asyncio.Task[ProcessPool] | None = None
        self._closing = False

    def warm(self) -> None:
        """Start the pool in the background if it is not running: a page is being fetched and
        will need it, and the start (the forkserver imports the extractors, a second or more)
        then overlaps the fetch instead of following it. A failed start is not reported here:
        :meth:`extract` tries again and fails its page with the reason."""
        if self._pool is None and self._warming is None and not self._closing:
            self._warming = asyncio.ensure_future(self._started())
            self._warming.add_done_callback(self._warmed)

    def _warmed(self, task: asyncio.Task[ProcessPool]) -> None:
        self._warming = None
        if not task.cancelled():
            task.exception()  # retrieved: extract() reports a failed start

    async def extract(self, page: FetchedPage, seconds: float) -> PageMetadata:
        """Metadata of ``page``; raise :class:`OverBudget` if it takes over ``seconds``.

        The seconds count from when a worker takes the page: waiting for a free worker is not
        charged (another page's overrun must not fail this one).
        """
        if seconds <= 0:
            raise OverBudget("no time left in the budget for extraction")
        pool = await self._started()
        future = pool.schedule(_extract_within, args=(page, seconds + _CPU_MARGIN), timeout=seconds)
        try:  # our own deadline too: should the pool ever lose the task, the page still ends
            return await asyncio.wait_for(asyncio.wrap_future(future), seconds + _STOP_WAIT)
        except TimeoutError:
            raise OverBudget(f"extraction stopped after {seconds:.1f} s (over budget)") from None
        except ProcessExpired as died:
            raise ExtractionFailed(f"extraction process died: {_death(died.exitcode)}") from None
        except (CancelledError, BrokenProcessPool):
            if self._closing:
                raise ExtractionFailed("extraction stopped: shutting down") from None
            await self._discard(pool)
            raise FetchFailed(
                "the extraction processes failed; the next try starts new ones"
            ) from None

    async def _started(self) -> ProcessPool:
        """The pool, started on first use in a thread (starting the forkserver blocks)."""
        async with self._starting:
            if self._pool is None:
                self._pool = await asyncio.to_thread(self._start)
            return self._pool

    def _start(self) -> ProcessPool:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        pool = ProcessPool(self._processes, initializer=_worker_setup, context=context)
        pool.schedule(_worker_setup).result()  # the workers run: the first page waits no longer
        return pool

    async def aclose(self) -> None:
        """Stop the workers (killing any page in progress) and wait until they have exited."""
        self._closing = True
        if self._warming is not None:
            await asyncio.wait([self._warming])
        if self._pool is not None:
            await self._discard(self._pool)

    async def _discard(self, pool: ProcessPool) -> None:
        if self._pool is pool:
            self._pool = None
        pool.stop()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
        try:
            await asyncio.to_thread(pool.join, _STOP_WAIT)
        except TimeoutError:  # the pool's own threads are stuck: end its workers ourselves
            for process in multiprocessing.active_children():
                if process.name == WORKERS_NAME:
                    process.kill()
                    process.join()


def _worker_setup() -> None:
    """In each worker: die at once on SIGTERM (pebble's handler would wait for lxml's C code)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _extract_within(page: FetchedPage, cpu_seconds: float) -> PageMetadata:
    """Runs in a worker: the page's extraction under a CPU limit counted from now."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    return extract_page(page)


def extract_page(page: FetchedPage) -> PageMetadata:
    """HTML or PDF extraction by the page's type (or its first bytes). CPU-bound.

    The extractors are imported here, in the worker (the forkserver preloads them): the bot's
    own process never parses a page, and selectolax alone is 2.3 MB of its RSS.
    """
    from bot.enrich.extract import extract
    from bot.enrich.pdf import extract_pdf

    if page.media_type in PDF_TYPES or sniff_media_type(page.body) in PDF_TYPES:
        return extract_pdf(page.body, page.final_url)
    return extract(page.body, page.final_url, page.content_type)


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return "over its CPU limit (SIGXCPU)" if name == "SIGXCPU" else f"killed by {name}"
    return f"exit code {exitcode}"
