"""Size, time and status handling of the real fetcher against a local server (row 16)."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from bot.enrich.fetch import FetchSettings, SafeFetcher, retry_after_seconds
from bot.enrich.model import FetchFailed, FetchRefused
from tests.enrich.servers import LocalServer


def _fetcher(*, timeout: float, max_bytes: int = 5_000_000) -> SafeFetcher:
    settings = FetchSettings(allow_private_networks=True, timeout=timeout, max_bytes=max_bytes)
    return SafeFetcher(settings)


async def test_body_over_the_cap_without_content_length_is_aborted_at_the_cap(
    server: LocalServer,
) -> None:
    """reliability row 16: chunked body, no Content-Length; we stop reading at the cap."""
    fetcher = _fetcher(max_bytes=100_000, timeout=5)
    with pytest.raises(FetchRefused, match="over 100000 bytes"):
        await fetcher.fetch(server.url("/stream?total=5000000"))
    await fetcher.aclose()
    assert "/stream" not in server.log.completed


async def test_body_under_the_cap_is_read_whole(server: LocalServer) -> None:
    fetcher = _fetcher(max_bytes=100_000, timeout=5)
    page = await fetcher.fetch(server.url("/stream?total=90000"))
    await fetcher.aclose()
    assert len(page.body) == (90_000 // 16_384) * 16_384
    assert page.media_type == "text/html"


async def test_huge_content_length_is_refused_before_reading(server: LocalServer) -> None:
    """reliability row 16: 100 MB announced -> refused at once (the body would stall 30 s)."""
    fetcher = _fetcher(timeout=10)
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="Content-Length 100000000"):
        await fetcher.fetch(server.url("/huge-length"))
    await fetcher.aclose()
    assert time.monotonic() - started < 5  # reading the body would stall for 30 s


async def test_gzip_bomb_is_aborted_on_decoded_bytes_with_small_memory_growth(
    server: LocalServer,
) -> None:
    """reliability row 16: ~50 KB on the wire, 50 MB decoded; the cap (1 MB) stops it."""
    fetcher = _fetcher(max_bytes=1_000_000, timeout=10)
    tracemalloc.start()
    try:
        with pytest.raises(FetchRefused, match="over 1000000 bytes"):
            await fetcher.fetch(server.url("/gzip-bomb"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await fetcher.aclose()
    assert peak < 8_000_000  # the decoded 50 MB never exist at once


async def test_slow_server_ends_within_the_total_timeout(server: LocalServer) -> None:
    """reliability row 16: 1 byte/s never trips a read timeout; the total deadline does."""
    fetcher = _fetcher(timeout=1.5)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=r"within 1\.5 s"):
        await fetcher.fetch(server.url("/slow"))
    await fetcher.aclose()
    assert 1.4 < time.monotonic() - started < 5  # the server would go on for 60 s


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, FetchFailed), (503, FetchFailed), (429, FetchFailed), (408, FetchFailed),
     (404, FetchRefused), (403, FetchRefused), (410, FetchRefused)],
)  # fmt: skip
async def test_status_codes_map_to_transient_or_final(
    server: LocalServer, status: int, error: type[Exception]
) -> None:
    fetcher = _fetcher(timeout=5)
    with pytest.raises(error, match=f"HTTP {status}"):
        await fetcher.fetch(server.url(f"/status/{status}"))
    await fetcher.aclose()


async def test_429_carries_retry_after(server: LocalServer) -> None:
    fetcher = _fetcher(timeout=5)
    with pytest.raises(FetchFailed) as failure:
        await fetcher.fetch(server.url("/flaky?status=429&retry_after=7"))
    await fetcher.aclose()
    assert failure.value.retry_after == 7


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 11, 23, 4, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Mon, 23 Nov 2026 04:00:30 GMT", now) == 30
    assert retry_after_seconds("Mon, 23 Nov 2026 03:59:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


async def test_other_content_types_are_refused(server: LocalServer) -> None:
    """Only HTML, XHTML and PDF bodies are accepted for pages."""
    fetcher = _fetcher(timeout=5)
    with pytest.raises(FetchRefused, match="application/json"):
        await fetcher.fetch(server.url("/oembed/youtube"))
    await fetcher.aclose()


async def test_connection_refused_is_transient(closed_port: int) -> None:
    fetcher = _fetcher(timeout=5)
    with pytest.raises(FetchFailed, match="connection failed"):
        await fetcher.fetch(f"http://127.0.0.1:{closed_port}/")
    await fetcher.aclose()
