"""The Enricher end to end against a local server: dispatch, special sites, limits, retries."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import pytest

from bot.enrich.enricher import Enricher
from bot.enrich.fetch import FetchSettings
from bot.enrich.model import FetchFailed, FetchRefused
from tests.enrich.servers import FAKE_PUBLIC_IP, LocalServer, SpyResolver, SpyTransport

LOCAL = FetchSettings(allow_private_networks=True, timeout=5, backoff_base=0.01)
GUARDED = dataclasses.replace(LOCAL, allow_private_networks=False)
PUBLIC_NAMES = [
    "arxiv.org",
    "github.com",
    "bit.ly",
    "news.example",
    "oembed.example",
    "a.example",
    "b.example",
]


PublicEnricher = Callable[..., Enricher]


@pytest.fixture
async def public_enricher(server: LocalServer) -> AsyncIterator[PublicEnricher]:
    """Makes guarded Enrichers whose PUBLIC_NAMES resolve to a pretend-public address that the
    transport delivers to the local server; closes them after the test."""
    resolver = SpyResolver({name: [[FAKE_PUBLIC_IP]] for name in PUBLIC_NAMES})
    transport = SpyTransport({FAKE_PUBLIC_IP: server.port})
    made: list[Enricher] = []

    def make(settings: FetchSettings = GUARDED, **options: Any) -> Enricher:
        made.append(Enricher(settings, resolver, transport=transport, **options))
        return made[-1]

    yield make
    for enricher in made:
        await enricher.aclose()
    await transport.aclose()


async def test_real_page_end_to_end(server: LocalServer) -> None:
    enricher = Enricher(LOCAL)
    page = await enricher.enrich(server.url("/pages/nytimes-1"))
    await enricher.aclose()
    assert page.title == "United States to Lift Sudan Sanctions"
    assert page.final_url == server.url("/pages/nytimes-1")
    assert page.image_url == (
        "https://static01.nyt.com/images/2017/01/14/world/13SUDAN-1/13SUDAN-1-facebookJumbo.jpg"
    )
    assert page.reading_minutes is not None
    assert page.reading_minutes >= 3


async def test_short_link_lands_on_the_final_url(
    server: LocalServer, public_enricher: PublicEnricher
) -> None:
    enricher = public_enricher()
    target = quote("http://news.example/pages/001", safe="")
    page = await enricher.enrich(f"http://bit.ly/redirect-to?target={target}")
    assert page.final_url == "http://news.example/pages/001"
    assert page.title == "Get your Frontend JavaScript Code Covered | Code"


async def test_arxiv_pdf_link_is_read_from_its_abstract_page(
    server: LocalServer, public_enricher: PublicEnricher
) -> None:
    enricher = public_enricher()
    page = await enricher.enrich("http://arxiv.org/pdf/2103.03206v2")
    assert list(server.log.hits) == ["/abs/2103.03206v2"]
    assert page.final_url == "http://arxiv.org/abs/2103.03206v2"
    assert page.title == "Perceiver: General Perception with Iterative Attention"
    assert page.author is not None
    assert "Oriol Vinyals" in page.author


async def test_github_repository(server: LocalServer, public_enricher: PublicEnricher) -> None:
    enricher = public_enricher()
    page = await enricher.enrich("http://github.com/encode/httpx")
    assert (page.title, page.site_name) == ("encode/httpx", "GitHub")


@pytest.mark.parametrize("path", ["/spec.pdf", "/spec-served-as-html"])
async def test_pdf_is_dispatched_to_the_pdf_reader(server: LocalServer, path: str) -> None:
    """By Content-Type, or by its %PDF- signature when a server calls it HTML."""
    enricher = Enricher(LOCAL)
    page = await enricher.enrich(server.url(path))
    await enricher.aclose()
    assert page.title == "Shared MIME-info Database"


@pytest.mark.parametrize(
    ("url", "title", "site", "image"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "Python Asyncio Tutorial",
            "YouTube",
            "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
        ),
        # reliability row 17: the Vimeo answer's thumbnail points at 169.254.169.254
        ("https://vimeo.com/76979871", "A Short Film", "Vimeo", None),
    ],
)
async def test_videos_are_described_by_oembed(
    server: LocalServer,
    public_enricher: PublicEnricher,
    url: str,
    title: str,
    site: str,
    image: str | None,
) -> None:
    oembed = {
        provider: f"http://oembed.example/oembed/{provider}" for provider in ("youtube", "vimeo")
    }
    enricher = public_enricher(oembed_urls=oembed)
    page = await enricher.enrich(url)
    assert (page.title, page.site_name, page.final_url, page.image_url) == (title, site, url, image)
    assert [path.startswith("/oembed/") for path in server.log.hits] == [True]


async def test_og_image_on_a_blocked_address_is_dropped(
    server: LocalServer, public_enricher: PublicEnricher
) -> None:
    """reliability row 17: og:image goes through the same guard as pages."""
    html = quote(
        '<html><head><title>Image trap</title><meta property="og:image" '
        'content="http://169.254.169.254/latest/meta-data/"></head></html>',
        safe="",
    )
    enricher = public_enricher()
    page = await enricher.enrich(f"http://news.example/html?body={html}")
    assert page.title == "Image trap"
    assert page.image_url is None


async def test_429_is_retried_after_its_retry_after(server: LocalServer) -> None:
    """Retry-After: 1 -> the second request comes at least a second later."""
    enricher = Enricher(LOCAL)
    page = await enricher.enrich(server.url("/flaky?status=429&retry_after=1"))
    await enricher.aclose()
    first, second = server.log.hits["/flaky"]
    assert second - first >= 1.0
    assert page.title == "Recovered"


async def test_5xx_is_retried_with_backoff_then_fails(server: LocalServer) -> None:
    enricher = Enricher(dataclasses.replace(LOCAL, max_attempts=3))
    with pytest.raises(FetchFailed, match="HTTP 503"):
        await enricher.enrich(server.url("/status/503"))
    await enricher.aclose()
    assert len(server.log.hits["/status/503"]) == 3


async def test_a_retry_after_beyond_the_limit_is_handed_back_at_once(server: LocalServer) -> None:
    enricher = Enricher(dataclasses.replace(LOCAL, max_retry_wait=5))
    with pytest.raises(FetchFailed) as failure:
        await enricher.enrich(server.url("/flaky?status=503&retry_after=3600"))
    await enricher.aclose()
    assert failure.value.retry_after == 3600
    assert len(server.log.hits["/flaky"]) == 1


async def test_final_failures_are_not_retried(server: LocalServer) -> None:
    enricher = Enricher(LOCAL)
    with pytest.raises(FetchRefused, match="HTTP 404"):
        await enricher.enrich(server.url("/status/404"))
    await enricher.aclose()
    assert len(server.log.hits["/status/404"]) == 1


async def test_global_and_per_host_limits_hold(
    server: LocalServer, public_enricher: PublicEnricher
) -> None:
    settings = dataclasses.replace(GUARDED, global_concurrency=3, per_host_concurrency=2)
    enricher = public_enricher(settings)
    urls = [f"http://{host}/delay?seconds=0.3" for host in ("a.example", "b.example") * 4]
    pages = await asyncio.gather(*(enricher.enrich(url) for url in urls))
    assert {page.title for page in pages} == {"Delayed"}
    assert dict(server.log.peak_per_host) == {"a.example": 2, "b.example": 2}
    assert server.log.peak_total == 3
