"""The URL guard on its own: no network, no sockets."""

from __future__ import annotations

import contextlib
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.enrich.model import FetchRefused
from bot.enrich.safety import check_url, embedded_ipv4, is_blocked_address, system_resolver

# reliability row 12, the host forms (each also tried against a live port in test_fetch_ssrf.py)
ROW_12_HOSTS = [
    "127.0.0.1", "127.1", "0.0.0.0", "0", "[::]", "[::1]", "[::ffff:127.0.0.1]",  # noqa: S104
    "[::ffff:7f00:1]", "[::127.0.0.1]", "2130706433", "0x7f000001", "0x7f.0.0.1",
    "017700000001", "0177.1", "127.000.000.001", "169.254.169.254",
    "[::ffff:169.254.169.254]", "10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.254",
    "192.168.0.1", "192.168.255.254", "100.64.0.1", "198.18.0.1", "224.0.0.1", "240.0.0.1",
    "255.255.255.255", "[fd00::1]", "[fe80::1]", "[fec0::1]", "[2002:7f00:1::1]",
    "[64:ff9b::7f00:1]", "[2001::1]", "localhost", "LOCALHOST.", "api.localhost",
    "evil@127.0.0.1", "127.0.0.1#@evil.com", "①②⑦.0.0.1", "１２７.0.0.1", "0x7f.1",
]  # fmt: skip
INVALID_NAMES = ["a" * 64 + ".com", ("a" * 60 + ".") * 5 + "com", "a..b", "-a.com", "a_b%20.com"]
ROW_12_SCHEMES = [
    "file:///etc/passwd", "gopher://example.com/_x", "ftp://example.com/x",
    "javascript:alert(1)", "data:text/html,<h1>hi</h1>", "//example.com/x", "example.com",
]  # fmt: skip


@pytest.mark.parametrize("host", ROW_12_HOSTS)
def test_private_loopback_and_odd_spellings_are_refused(host: str) -> None:
    """reliability row 12 (the URL text alone already refuses every form)."""
    with pytest.raises(FetchRefused):
        check_url(f"http://{host}/")


@pytest.mark.parametrize("host", INVALID_NAMES)
def test_names_dns_cannot_carry_are_refused(host: str) -> None:
    """They would make getaddrinfo raise instead of answering."""
    with pytest.raises(FetchRefused, match="invalid host name"):
        check_url(f"http://{host}/")


@pytest.mark.parametrize("url", ROW_12_SCHEMES)
def test_only_http_and_https_are_allowed(url: str) -> None:
    """reliability row 12: file:, gopher:, ftp:, javascript:, data: are refused."""
    with pytest.raises(FetchRefused, match="scheme"):
        check_url(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://example.com/a?b=c", "example.com"),
        ("HTTP://Example.COM./", "example.com"),
        ("http://bücher.de/", "xn--bcher-kva.de"),
        ("http://8.8.8.8:8080/", "8.8.8.8"),
        ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
        ("http://1password.com/", "1password.com"),
    ],
)
def test_public_urls_pass_with_normalised_host(url: str, host: str) -> None:
    assert check_url(url).host == host


def test_private_switch_allows_loopback_but_not_odd_spellings_or_credentials() -> None:
    assert check_url("http://127.0.0.1:8000/", allow_private_networks=True).port == 8000
    assert check_url("http://localhost/", allow_private_networks=True).host == "localhost"
    for url in ("http://127.1/", "http://2130706433/", "http://user@127.0.0.1/"):
        with pytest.raises(FetchRefused):
            check_url(url, allow_private_networks=True)


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),  # mapped
        ("::127.0.0.1", "127.0.0.1"),  # compatible
        ("2002:7f00:1::1", "127.0.0.1"),  # 6to4
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64
        ("2606:4700::1", None),
        ("::1", None),
    ],
)
def test_ipv4_embedded_in_ipv6_is_unwrapped(address: str, inner: str | None) -> None:
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(found) if found else None) == inner


def test_public_ipv4_hidden_in_nat64_is_still_blocked_by_the_prefix() -> None:
    """64:ff9b::/96 is on the list itself, whatever it embeds."""
    assert is_blocked_address(ipaddress.ip_address("64:ff9b::808:808"))
    assert not is_blocked_address(ipaddress.ip_address("8.8.8.8"))


async def test_default_resolver_answers_through_the_event_loop() -> None:
    """The default resolver is the loop's getaddrinfo (non-blocking); /etc/hosts has localhost."""
    assert "127.0.0.1" in await system_resolver("localhost", 80)


@given(st.text())
def test_check_url_never_crashes_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(FetchRefused):
        check_url(text)


@given(st.text(), st.sampled_from(["http://", "https://", "http://[", "http://a@", "https://0x"]))
def test_check_url_never_crashes_on_url_like_text(text: str, prefix: str) -> None:
    try:
        checked = check_url(prefix + text)
    except FetchRefused:
        return
    assert checked.url.scheme in {"http", "https"}
    assert checked.address is None or not is_blocked_address(checked.address)
