"""SSRF defences of the real fetcher, private switch OFF (reliability rows 12-15)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from bot.enrich.fetch import FetchSettings, SafeFetcher
from bot.enrich.model import FetchRefused
from tests.enrich.servers import (
    FAKE_PUBLIC_IP,
    OTHER_PUBLIC_IP,
    LocalServer,
    SpyResolver,
    SpyTransport,
    Tripwire,
)
from tests.enrich.test_safety import ROW_12_HOSTS, ROW_12_SCHEMES

SETTINGS = FetchSettings(timeout=5)


@pytest.fixture
async def spies(server: LocalServer) -> AsyncIterator[tuple[SpyResolver, SpyTransport]]:
    """A resolver pretending public.example is public, and a transport routing it locally."""
    resolver = SpyResolver(
        {
            "public.example": [[FAKE_PUBLIC_IP]],
            "internal.example": [["10.1.2.3"]],
            "mixed.example": [[FAKE_PUBLIC_IP, "127.0.0.1"]],
            "mapped.example": [["::ffff:127.0.0.1"]],
            "localhost.example": [["127.0.0.1"]],
        }
    )
    transport = SpyTransport({FAKE_PUBLIC_IP: server.port, OTHER_PUBLIC_IP: server.port})
    yield resolver, transport
    await transport.aclose()


def _with_port(host: str, port: int) -> str:
    """The tripwire's port after the real host (before a ``#@evil.com`` fragment trick)."""
    return host.replace("#", f":{port}#", 1) if "#" in host else f"{host}:{port}"


@pytest.mark.parametrize("host", ROW_12_HOSTS)
async def test_refused_forms_open_no_socket(
    host: str, tripwire: Tripwire, spies: tuple[SpyResolver, SpyTransport]
) -> None:
    """reliability row 12: refused, and no resolver call, no request, no connection."""
    resolver, transport = spies
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    try:
        with pytest.raises(FetchRefused):
            await fetcher.fetch(f"http://{_with_port(host, tripwire.port)}/")
    finally:
        await fetcher.aclose()
    assert resolver.calls == []
    assert transport.requests == []
    assert tripwire.connections == 0


@pytest.mark.parametrize("url", ROW_12_SCHEMES)
async def test_other_schemes_open_no_socket(
    url: str, spies: tuple[SpyResolver, SpyTransport]
) -> None:
    """reliability row 12: file:, gopher:, ftp:, javascript:, data:."""
    resolver, transport = spies
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    with pytest.raises(FetchRefused):
        await fetcher.fetch(url)
    await fetcher.aclose()
    assert (resolver.calls, transport.requests) == ([], [])


@pytest.mark.parametrize("host", ["internal.example", "mapped.example", "localhost.example"])
async def test_names_resolving_to_private_addresses_are_refused(
    host: str, spies: tuple[SpyResolver, SpyTransport]
) -> None:
    """reliability row 13: the answer is checked after the single lookup."""
    resolver, transport = spies
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    with pytest.raises(FetchRefused, match="blocked address"):
        await fetcher.fetch(f"http://{host}/")
    await fetcher.aclose()
    assert resolver.calls == [host]
    assert transport.requests == []


async def test_mixed_public_and_private_answer_is_refused_whole(
    spies: tuple[SpyResolver, SpyTransport],
) -> None:
    """reliability row 13: documented policy — any blocked address refuses the whole answer."""
    resolver, transport = spies
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1"):
        await fetcher.fetch("http://mixed.example/pages/001")
    await fetcher.aclose()
    assert transport.requests == []


async def test_dns_rebinding_connects_to_the_checked_address(
    server: LocalServer, tripwire: Tripwire
) -> None:
    """reliability row 14: first answer public, second 127.0.0.1 -> the first is used.

    The name is resolved once; the request is aimed at that IP with the name in Host.
    """
    resolver = SpyResolver({"rebind.example": [[FAKE_PUBLIC_IP], ["127.0.0.1"]]})
    transport = SpyTransport({FAKE_PUBLIC_IP: server.port})
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    page = await fetcher.fetch(f"http://rebind.example:{tripwire.port}/pages/001")
    await fetcher.aclose()
    await transport.aclose()
    assert resolver.calls == ["rebind.example"]
    [request] = transport.requests
    assert transport.aimed_at == [FAKE_PUBLIC_IP]
    assert request.headers["Host"] == f"rebind.example:{tripwire.port}"
    assert server.log.hosts == [f"rebind.example:{tripwire.port}"]
    assert tripwire.connections == 0
    assert page.final_url == f"http://rebind.example:{tripwire.port}/pages/001"
    assert b"Get your Frontend JavaScript Code Covered" in page.body


async def test_next_checked_address_is_tried_only_when_connecting_fails(
    server: LocalServer, closed_port: int
) -> None:
    """Row 14's pinning with a dual answer: the second checked address, never a new lookup."""
    resolver = SpyResolver({"dual.example": [[OTHER_PUBLIC_IP, FAKE_PUBLIC_IP]]})
    transport = SpyTransport({OTHER_PUBLIC_IP: closed_port, FAKE_PUBLIC_IP: server.port})
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    page = await fetcher.fetch("http://dual.example/pages/001")
    await fetcher.aclose()
    await transport.aclose()
    assert page.final_url == "http://dual.example/pages/001"
    assert transport.aimed_at == [OTHER_PUBLIC_IP, FAKE_PUBLIC_IP]
    assert resolver.calls == ["dual.example"]


async def test_redirect_hop_is_resolved_and_checked_again(server: LocalServer) -> None:
    """reliability rows 14-15: a same-name redirect whose new answer is private is refused."""
    resolver = SpyResolver({"rebind.example": [[FAKE_PUBLIC_IP], ["127.0.0.1"]]})
    transport = SpyTransport({FAKE_PUBLIC_IP: server.port})
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    with pytest.raises(FetchRefused, match="blocked address"):
        await fetcher.fetch("http://rebind.example/hops/1")
    await fetcher.aclose()
    await transport.aclose()
    assert resolver.calls == ["rebind.example", "rebind.example"]
    assert len(transport.requests) == 1


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://2130706433:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal.example:{port}/",
        "http://localhost:{port}/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/_SLAVEOF",
        "ftp://example.com/",
    ],
)
async def test_redirects_to_private_addresses_or_other_schemes_are_refused(
    target: str, tripwire: Tripwire, spies: tuple[SpyResolver, SpyTransport]
) -> None:
    """reliability row 15."""
    resolver, transport = spies
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    location = quote(target.format(port=tripwire.port), safe="")
    with pytest.raises(FetchRefused):
        await fetcher.fetch(f"http://public.example/redirect-to?target={location}")
    await fetcher.aclose()
    assert len(transport.requests) == 1  # only the first, public hop went out
    assert tripwire.connections == 0


async def test_redirect_to_another_public_host_is_followed_with_its_own_host_header(
    server: LocalServer,
) -> None:
    """reliability row 15: every hop is re-checked and pinned, not just the first."""
    resolver = SpyResolver({"a.example": [[FAKE_PUBLIC_IP]], "b.example": [[OTHER_PUBLIC_IP]]})
    transport = SpyTransport({FAKE_PUBLIC_IP: server.port, OTHER_PUBLIC_IP: server.port})
    fetcher = SafeFetcher(SETTINGS, resolver, transport)
    target = quote("http://b.example/pages/001", safe="")
    page = await fetcher.fetch(f"http://a.example/redirect-to?target={target}")
    await fetcher.aclose()
    await transport.aclose()
    assert page.final_url == "http://b.example/pages/001"
    assert transport.aimed_at == [FAKE_PUBLIC_IP, OTHER_PUBLIC_IP]
    assert server.log.hosts == ["a.example", "b.example"]
    assert resolver.calls == ["a.example", "b.example"]


@pytest.mark.parametrize(("hops", "ok"), [(5, True), (6, False)])
async def test_more_than_five_redirects_stop(server: LocalServer, hops: int, ok: bool) -> None:
    """reliability row 15: > 5 hops stop."""
    fetcher = SafeFetcher(FetchSettings(allow_private_networks=True, timeout=5))
    try:
        if ok:
            page = await fetcher.fetch(server.url(f"/hops/{hops}"))
            assert page.final_url == server.url("/hops/0")
        else:
            with pytest.raises(FetchRefused, match="more than 5 redirects"):
                await fetcher.fetch(server.url(f"/hops/{hops}"))
    finally:
        await fetcher.aclose()
    assert len(server.log.hits) == min(hops, 5) + 1
