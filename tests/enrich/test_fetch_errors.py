"""Every error the fetch path can raise becomes one failure reason (FetchRefused or FetchFailed),
never a traceback: httpx's whole exception tree, the URL parsers' errors and malformed redirects
from a real local server."""

from __future__ import annotations

import inspect
from urllib.parse import quote

import httpx
import pytest

from bot.enrich.fetch import _FETCH_ERRORS, FetchSettings, SafeFetcher, fetch_failure
from bot.enrich.model import FetchFailed, FetchRefused
from tests.enrich.servers import LocalServer

REQUEST = httpx.Request("GET", "http://example.com/")
HTTPX_ERRORS = [
    cls
    for _name, cls in inspect.getmembers(httpx, inspect.isclass)
    if issubclass(cls, Exception) and cls.__module__.startswith("httpx")
]


def _instance(cls: type[Exception]) -> Exception:
    if cls is httpx.HTTPStatusError:
        return cls("500", request=REQUEST, response=httpx.Response(500, request=REQUEST))
    if issubclass(cls, httpx.StreamError) and cls is not httpx.StreamError:
        return cls()  # type: ignore[call-arg]  # each subclass has its own fixed message
    return cls("boom")


def test_every_httpx_error_class_is_mapped() -> None:
    """CookieConflict comes only from reading a cookie jar by name, which the fetcher never does."""
    unmapped = [c for c in HTTPX_ERRORS if not issubclass(c, _FETCH_ERRORS)]
    assert unmapped == [httpx.CookieConflict]
    assert len(HTTPX_ERRORS) > 20  # the whole tree was found


@pytest.mark.parametrize("cls", [c for c in HTTPX_ERRORS if c is not httpx.CookieConflict])
def test_each_httpx_error_maps_to_one_reason(cls: type[Exception]) -> None:
    failure = fetch_failure(_instance(cls))
    assert isinstance(failure, FetchFailed | FetchRefused)
    assert cls.__name__ in str(failure) or str(failure).startswith("timeout")


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (httpx.ConnectTimeout("x"), FetchFailed, "timeout: ConnectTimeout"),
        (httpx.ReadTimeout("x"), FetchFailed, "timeout: ReadTimeout"),
        (httpx.ConnectError("x"), FetchFailed, "connection failed: ConnectError"),
        (httpx.ReadError("x"), FetchFailed, "connection failed: ReadError"),
        (httpx.ProxyError("x"), FetchFailed, "connection failed: ProxyError"),
        (httpx.RemoteProtocolError("peer closed"), FetchFailed, "bad answer: RemoteProtocolError"),
        (httpx.LocalProtocolError("x"), FetchRefused, "malformed URL or request: Local"),
        (httpx.UnsupportedProtocol("x"), FetchRefused, "malformed URL or request: Unsupported"),
        (httpx.DecodingError("x"), FetchRefused, "malformed URL or request: DecodingError"),
        (httpx.InvalidURL("x"), FetchRefused, "malformed URL or request: InvalidURL"),
        (httpx.StreamClosed(), FetchFailed, "connection failed: StreamClosed"),
        (ValueError("Invalid IPv6 URL"), FetchRefused, "malformed URL or request: ValueError"),
        (UnicodeError("label"), FetchRefused, "malformed URL or request: UnicodeError"),
        (ConnectionResetError(104, "reset"), FetchFailed, "connection failed: ConnectionReset"),
        (ExceptionGroup("g", [OverflowError("port")]), FetchFailed, "OverflowError"),
        (ExceptionGroup("g", [httpx.InvalidURL("x")]), FetchRefused, "InvalidURL"),
    ],
)
def test_representatives_of_each_class(
    error: BaseException, kind: type[Exception], reason: str
) -> None:
    failure = fetch_failure(error)
    assert type(failure) is kind
    assert reason in str(failure)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http:\\\\127.0.0.1/", "malformed URL or request: InvalidURL"),  # the example
        ("//[", "malformed URL or request: ValueError: Invalid IPv6 URL"),  # urljoin
        ("http://[::1", "malformed redirect"),  # httpx's own Location check
        ("http://é.com\u200b/", "malformed redirect"),
        ("http://xn--/", "malformed URL or request: IDNAError"),
        ("http://127.0.0.1:99999/", "port out of range: 99999"),
        ("http://a b/", "invalid host name"),
        ("ftp://127.0.0.1/", "scheme not allowed"),
    ],
)
async def test_malformed_redirects_fail_with_a_reason(
    server: LocalServer, location: str, reason: str
) -> None:
    fetcher = SafeFetcher(FetchSettings(allow_private_networks=True, timeout=5))
    try:
        with pytest.raises(FetchRefused) as refused:
            await fetcher.fetch(server.url(f"/raw-redirect?to={quote(location)}"))
    finally:
        await fetcher.aclose()
    assert reason in str(refused.value)


async def test_server_hanging_up_is_transient(server: LocalServer) -> None:
    fetcher = SafeFetcher(FetchSettings(allow_private_networks=True, timeout=5))
    try:
        with pytest.raises(FetchFailed, match="bad answer: RemoteProtocolError"):
            await fetcher.fetch(server.url("/hang-up"))
    finally:
        await fetcher.aclose()
