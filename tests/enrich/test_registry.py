"""The URL guard against IANA's special-purpose registries, row by row (bot/enrich/registry/)."""

from __future__ import annotations

import csv
import ipaddress
from importlib import resources

import pytest

from bot.enrich.model import FetchRefused
from bot.enrich.safety import (
    BLOCKED_NETWORKS,
    EXTRA_BLOCKED,
    REGISTRY_FILES,
    Network,
    check_url,
    is_blocked_address,
    registry_blocks,
)

FOLDER = resources.files("bot.enrich") / "registry"
ROWS = [
    (name, row)
    for name in REGISTRY_FILES
    for row in csv.DictReader((FOLDER / name).read_text().splitlines(keepends=True))
]


def _row_id(entry: tuple[str, dict[str, str]]) -> str:
    return entry[1]["Address Block"]


def _blocks(row: dict[str, str]) -> list[Network]:
    return [
        ipaddress.ip_network(cell.split("[")[0].strip()) for cell in row["Address Block"].split(",")
    ]


def _globally_reachable(row: dict[str, str]) -> bool:
    return (row["Globally Reachable"] or "").startswith("True")


def _url(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{host}/"


def _samples(block: Network) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """First, middle and last address of the block."""
    first, last = int(block.network_address), int(block.broadcast_address)
    return [ipaddress.ip_address(n) if block.version == 4 else ipaddress.IPv6Address(n)
            for n in (first, (first + last) // 2, last)]  # fmt: skip


def test_both_registries_are_shipped_whole() -> None:
    """26 IPv4 and 25 IPv6 rows in the 2026-07-18 snapshot (see registry/SOURCES.md)."""
    counts = {name: sum(1 for n, _ in ROWS if n == name) for name in REGISTRY_FILES}
    assert counts == {REGISTRY_FILES[0]: 25, REGISTRY_FILES[1]: 25}


@pytest.mark.parametrize("entry", [e for e in ROWS if not _globally_reachable(e[1])], ids=_row_id)
def test_every_block_not_globally_reachable_is_refused(entry: tuple[str, dict[str, str]]) -> None:
    for block in _blocks(entry[1]):
        for address in _samples(block):
            assert is_blocked_address(address), address
            with pytest.raises(FetchRefused, match="address not allowed"):
                check_url(_url(address))


@pytest.mark.parametrize("entry", [e for e in ROWS if _globally_reachable(e[1])], ids=_row_id)
def test_globally_reachable_blocks_pass_unless_inside_a_blocked_one(
    entry: tuple[str, dict[str, str]],
) -> None:
    """E.g. 192.0.0.9/32 stays refused (inside 192.0.0.0/24); 2620:4f:8000::/48 passes (and
    64:ff9b::/96, which EXTRA_BLOCKED refuses whole, is refused)."""
    for block in _blocks(entry[1]):
        inside = any(
            block.version == net.version and block.subnet_of(net)  # type: ignore[arg-type]
            for net in BLOCKED_NETWORKS
        )
        for address in _samples(block):
            assert is_blocked_address(address) == inside, address


def test_the_guards_list_is_the_registries_plus_the_documented_extras() -> None:
    from_rows = {
        block for _name, row in ROWS if not _globally_reachable(row) for block in _blocks(row)
    }
    extras = {ipaddress.ip_network(net) for net in EXTRA_BLOCKED}
    assert set(BLOCKED_NETWORKS) == from_rows | extras
    assert len(BLOCKED_NETWORKS) == len(set(BLOCKED_NETWORKS))


def test_registry_cells_with_footnotes_several_blocks_and_no_flags() -> None:
    text = (
        "Address Block,Name,RFC,Allocation Date,Termination Date,Source,Destination,"
        "Forwardable,Globally Reachable,Reserved-by-Protocol\n"
        '"192.0.0.170/32, 192.0.0.171/32",x,y,2013-02,N/A,False,False,False,False,True\n'
        "2002::/16 [3],6to4,[RFC3056],2001-02,N/A,True,True,True,N/A [3],False\n"
        "192.88.99.0/24,Deprecated,[RFC7526],2001-06,2015-03,,,,,\n"
        "2001:1::1/128,PCP,[RFC7723],2015-10,N/A,True,True,True,True,False\n"
        "127.0.0.0/8,Loopback,x,1981-09,N/A,False [1],False [1],False [1],False [1],True\n"
    )
    assert [str(b) for b in registry_blocks(text)] == [
        "192.0.0.170/32", "192.0.0.171/32", "2002::/16", "192.88.99.0/24", "127.0.0.0/8",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "host",
    [
        "[64:ff9b:1::7f00:1]",  # RFC 8215 local-use translation (the first prefix)
        "[64:ff9b:1::808:808]",  # ... whatever it embeds: the translator is on the local network
        "[::ffff:0:7f00:1]",  # RFC 2765 IPv4-translated (the second prefix)
        "[::ffff:0:808:808]",
        "[3fff::1]",  # RFC 9637 documentation
        "[5f00::1]",  # RFC 9602 SRv6 SIDs
        "[100:0:0:1::1]",  # RFC 9780 dummy prefix
        "[ff0e::1]",  # global-scope multicast
    ],
)
def test_translated_and_recent_prefixes_are_refused(host: str) -> None:
    with pytest.raises(FetchRefused, match="address not allowed"):
        check_url(f"http://{host}/")


@pytest.mark.parametrize("block", [e[1] for e in ROWS if e[0] == REGISTRY_FILES[0]], ids=str)
def test_ipv4_blocks_stay_refused_inside_every_ipv6_wrapper(block: dict[str, str]) -> None:
    """The IPv4 address inside a NAT64 (64:ff9b::/96, itself global), mapped or 6to4 form."""
    if _globally_reachable(block):
        return
    for net in _blocks(block):
        inner = int(net.network_address)
        for wrapped in (0x64FF9B << 96 | inner, 0xFFFF << 32 | inner, 0x2002 << 112 | inner << 80):
            assert is_blocked_address(ipaddress.IPv6Address(wrapped))
