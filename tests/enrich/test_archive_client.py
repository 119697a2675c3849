"""The snapshot client against a real local Save Page Now (tests/enrich/fake_wayback.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.enrich.archive import ArchiveClient, ArchiveSettings, memento_link
from bot.enrich.model import FetchFailed, FetchRefused
from bot.enrich.safety import Resolver
from tests.enrich import fake_wayback as wb
from tests.enrich.servers import FAKE_PUBLIC_IP

PAGE = "https://example.com/posts/2021/et-al/"


async def public(_host: str, _port: int) -> list[str]:
    return [FAKE_PUBLIC_IP]


async def private(_host: str, _port: int) -> list[str]:
    return ["10.1.2.3"]


@pytest.fixture
async def archive() -> AsyncIterator[wb.FakeWayback]:
    async with wb.fake_wayback() as fake:
        yield fake


def client_for(
    archive: wb.FakeWayback, timeout: float = 5.0, resolver: Resolver = public
) -> ArchiveClient:
    return ArchiveClient(ArchiveSettings(archive.save_url, timeout=timeout), resolver=resolver)


async def save(archive: wb.FakeWayback, *answers: wb.Answer, seconds: float = 5.0) -> str:
    archive.answers.extend(answers)
    client = client_for(archive, seconds)
    try:
        return await client.save(PAGE)
    finally:
        await client.aclose()


async def test_content_location_is_the_copy(archive: wb.FakeWayback) -> None:
    assert await save(archive, wb.CONTENT_LOCATION) == archive.copy(PAGE)
    assert archive.saved == [PAGE]


async def test_memento_link_when_content_location_is_the_pages_own(
    archive: wb.FakeWayback,
) -> None:
    found = await save(archive, wb.MEMENTO_LINK)
    assert found == f"https://web.archive.org/web/{wb.TIMESTAMP}/{PAGE}"


async def test_redirect_to_the_capture(archive: wb.FakeWayback) -> None:
    assert await save(archive, wb.REDIRECT) == archive.copy(PAGE)


async def test_too_many_requests_honours_retry_after(archive: wb.FakeWayback) -> None:
    with pytest.raises(FetchFailed, match="HTTP 429") as failed:
        await save(archive, wb.TOO_MANY)
    assert failed.value.retry_after == 300


@pytest.mark.parametrize("answer", [wb.UNAVAILABLE, wb.ORIGIN_ERROR, wb.NO_CAPTURE])
async def test_server_errors_and_missing_captures_are_retried(
    archive: wb.FakeWayback, answer: wb.Answer
) -> None:
    with pytest.raises(FetchFailed) as failed:
        await save(archive, answer)
    assert failed.value.retry_after is None
    assert await save(archive, wb.CONTENT_LOCATION) == archive.copy(PAGE)


async def test_forbidden_is_final_with_a_reason(archive: wb.FakeWayback) -> None:
    with pytest.raises(FetchRefused, match="HTTP 403: the site excludes archiving"):
        await save(archive, wb.EXCLUDED)


async def test_a_hanging_archive_times_out(archive: wb.FakeWayback) -> None:
    with pytest.raises(FetchFailed, match=r"did not answer within 0\.3s"):
        await save(archive, wb.hang(2), seconds=0.3)


async def test_an_unreachable_archive_is_retried(closed_port: int) -> None:
    settings = ArchiveSettings(f"http://127.0.0.1:{closed_port}/save/")
    client = ArchiveClient(settings, resolver=public)
    try:
        with pytest.raises(FetchFailed, match="cannot reach the archive"):
            await client.save(PAGE)
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("url", "resolver"),
    [("http://10.0.0.1/x", public), ("http://localhost/x", public), (PAGE, private)],
)
async def test_private_network_urls_are_never_sent(
    archive: wb.FakeWayback, url: str, resolver: Resolver
) -> None:
    client = client_for(archive, resolver=resolver)
    try:
        with pytest.raises(FetchRefused):
            await client.save(url)
    finally:
        await client.aclose()
    assert archive.saved == []


def test_memento_link_prefers_the_memento_over_its_neighbours() -> None:
    header = (
        '<https://a/web/1/x>; rel="first memento", <https://a/web/3/x>; rel="last memento", '
        '<https://a/web/2/x>; rel="memento"; datetime="Sat, 02 Jan 2021 09:40:09 GMT"'
    )
    assert memento_link(header) == "https://a/web/2/x"
    assert memento_link('<https://a/web/3/x>; rel="last memento"') == "https://a/web/3/x"
    assert memento_link('<https://a/x>; rel="original"') is None
