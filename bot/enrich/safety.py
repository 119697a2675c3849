"""The URL and address guard every fetch goes through (SSRF defence).

Two layers:

* :func:`check_url` looks at the URL text alone: scheme, userinfo, odd spellings of IP addresses
  (``2130706433``, ``0x7f.0.0.1``, ``127.1``, ``①②⑦.0.0.1``), ``localhost`` and literal addresses in
  the blocked ranges. It never touches the network.
* :func:`resolve_checked` resolves a host name ONCE and checks every address of the answer. If any
  address is blocked, the whole answer is refused (Synapse's policy): a name that mixes public and
  private addresses is either misconfigured or an attack. The fetcher then connects to the
  checked addresses itself (in order, the next one only if connecting fails), so a second
  (rebinding) DNS answer is never asked for.

The blocked ranges are IANA's IPv4 and IPv6 special-purpose registries as shipped data
(``registry/``, every block not "Globally Reachable"), plus multicast and a few deprecated forms,
rather than ``ipaddress.is_global``, which misses IPv6 forms that embed IPv4 and changes between
patch releases. An IPv6 address that embeds an IPv4 address (mapped, NAT64, 6to4...) is also
checked by the IPv4 address it carries.
"""

from __future__ import annotations

import asyncio
import csv
import io
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources

import httpx
import idna

from bot.enrich.model import FetchFailed, FetchRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Returns the addresses (as text) that ``host`` resolves to for TCP on ``port``.
Resolver = Callable[[str, int], Awaitable[list[str]]]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REGISTRY_FILES = ("iana-ipv4-special-registry-1.csv", "iana-ipv6-special-registry-1.csv")
# Blocked beyond the registries: multicast (it has registries of its own), the deprecated
# site-local and IPv4-compatible forms, RFC 2765's IPv4-translated ::ffff:0:a.b.c.d, and the
# NAT64 prefix, which the registry calls global but whose translator may sit on our network.
EXTRA_BLOCKED = ("224.0.0.0/4", "ff00::/8", "fec0::/10", "::/96", "::ffff:0:0:0/96", "64:ff9b::/96")


def registry_blocks(text: str) -> list[Network]:
    """The blocks of one IANA special-purpose registry CSV whose "Globally Reachable" isn't True.

    A cell may hold several blocks ("192.0.0.170/32, 192.0.0.171/32") and IANA's footnote marks
    ("2002::/16 [3]", "False [1]"); a terminated row has empty flags, so it counts as not global.
    """
    blocks: list[Network] = []
    for row in csv.DictReader(io.StringIO(text)):
        if _without_footnote(row["Globally Reachable"] or "") == "True":
            continue
        for cell in row["Address Block"].split(","):
            blocks.append(ipaddress.ip_network(_without_footnote(cell)))
    return blocks


def _without_footnote(cell: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", cell).strip()


def _blocked_networks() -> tuple[Network, ...]:
    folder = resources.files("bot.enrich") / "registry"
    registry = [
        block for name in REGISTRY_FILES for block in registry_blocks((folder / name).read_text())
    ]
    return tuple(registry + [ipaddress.ip_network(net) for net in EXTRA_BLOCKED])


BLOCKED_NETWORKS = _blocked_networks()

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
# Deprecated IPv4-compatible form ::a.b.c.d (:: and ::1 themselves are in the list).
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"  # DNS: at most 63 characters a label
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)*{_LABEL}$")
# WHATWG URL rule: a host whose last label is a number is an IPv4 address, however it is spelled.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


@dataclass(frozen=True, slots=True)
class CheckedURL:
    """A URL that passed :func:`check_url`. ``address`` is set when the host is an IP literal."""

    url: httpx.URL
    host: str  # lower-case ASCII (IDNA) name or IP text, without brackets or trailing dot
    port: int
    address: IPAddress | None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_PREFIX or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_blocked_address(address: IPAddress) -> bool:
    """True when ``address`` (or the IPv4 address it embeds) is in :data:`BLOCKED_NETWORKS`."""
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
    return any(
        candidate.version == network.version and candidate in network
        for candidate in candidates
        for network in BLOCKED_NETWORKS
    )


def check_url(url: str, *, allow_private_networks: bool = False) -> CheckedURL:
    """Check the text of ``url`` without any network access; raise :class:`FetchRefused`.

    Use it for every URL the bot may fetch or show, e.g. ``og:image`` links taken from a page.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError) as error:
        raise FetchRefused(f"unparseable URL: {error}") from None
    if parsed.scheme not in _ALLOWED_SCHEMES:
        raise FetchRefused(f"scheme not allowed: {parsed.scheme or '(none)'}")
    if parsed.userinfo or "@" in parsed.netloc.decode("ascii", "replace"):
        raise FetchRefused("credentials in URLs are not allowed")
    host, address = _checked_host(parsed.host, allow_private_networks)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if not 0 < port < 65536:
        raise FetchRefused(f"port out of range: {port}")
    return CheckedURL(url=parsed, host=host, port=port, address=address)


def _checked_host(raw_host: str, allow_private_networks: bool) -> tuple[str, IPAddress | None]:
    if not raw_host:
        raise FetchRefused("URL has no host")
    try:
        literal = ipaddress.ip_address(raw_host)
    except ValueError:
        literal = None
    if literal is not None:
        if not allow_private_networks and is_blocked_address(literal):
            raise FetchRefused(f"address not allowed: {literal}")
        return str(literal), literal
    host = _ascii_host_name(raw_host)
    if not allow_private_networks and (host == "localhost" or host.endswith(".localhost")):
        raise FetchRefused("localhost is not allowed")
    return host, None


def _ascii_host_name(raw_host: str) -> str:
    """The host name in lower-case ASCII; refuse names that are really odd IP spellings."""
    try:
        host = raw_host if raw_host.isascii() else idna.encode(raw_host, uts46=True).decode()
    except (idna.IDNAError, UnicodeError) as error:
        raise FetchRefused(f"invalid host name: {error}") from None
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # A canonical dotted quad was already accepted or refused as a literal above;
        # anything numeric that reaches here is an odd spelling (127.1, 0x7f..., ①②⑦.0.0.1).
        raise FetchRefused(f"odd spelling of an IP address: {raw_host}")
    if not _HOST_NAME.match(host):
        raise FetchRefused(f"invalid host name: {raw_host}")
    return host


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's non-blocking ``getaddrinfo`` (runs in its executor)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG
    )  # AI_ADDRCONFIG: no IPv6 answers on a host without IPv6, where they could not connect
    return [str(info[4][0]) for info in infos]


async def resolve_checked(
    checked: CheckedURL, resolver: Resolver, *, allow_private_networks: bool = False
) -> list[IPAddress]:
    """The addresses to connect to for ``checked``: resolved once, every answer checked."""
    if checked.address is not None:
        return [checked.address]
    try:
        answers = await resolver(checked.host, checked.port)
    except (OSError, UnicodeError) as error:  # gaierror; the idna codec on odd labels
        raise FetchFailed(f"DNS lookup failed for {checked.host}: {error}") from None
    addresses = [_parse_answer(answer) for answer in answers]
    if not addresses:
        raise FetchFailed(f"DNS lookup for {checked.host} returned no address")
    blocked = [a for a in addresses if is_blocked_address(a)]
    if blocked and not allow_private_networks:
        raise FetchRefused(f"{checked.host} resolves to a blocked address: {blocked[0]}")
    return list(dict.fromkeys(addresses))


def _parse_answer(answer: str) -> IPAddress:
    try:
        # getaddrinfo may append a scope (fe80::1%eth0); the scope does not change the check.
        return ipaddress.ip_address(answer.split("%", 1)[0])
    except ValueError:
        raise FetchRefused(f"resolver returned a non-address: {answer!r}") from None
