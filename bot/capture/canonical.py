"""The dedup key of a shared link: one article, one key, however it was pasted.

w3lib (Scrapy's URL toolkit) does the heavy lifting (percent-encoding, IDNA, sorted query,
fragment removal); on top of that we drop tracking parameters, default ports, ``www.`` and a
trailing slash, and treat http and https as the same page. The key is never shown to readers:
links in the digest keep the URL as it was shared.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "_hs", "oly_", "vero_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "si",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "source",
        "mkt_tok",
        "trk",
        "trkcampaign",
        "spm",
        "share",
        "cmpid",
        "wt.mc_id",
        "s_cid",
        "ncid",
        "rb_clickid",
        "__s",
        "_ga",
        "_gl",
        "at_medium",
        "at_campaign",
    }
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_HTTP = re.compile(r"^https?://", re.IGNORECASE)


class NotHttpUrl(ValueError):
    """The text is not an http(s) URL with a host."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _host_and_port(netloc: str, scheme: str) -> str:
    host_port = netloc.rsplit("@", 1)[-1].lower()
    host, sep, port = host_port.rpartition(":")
    # The key's scheme is always https, so 443 is a default port for it too (idempotence).
    if sep and "]" not in port and port in ("", _DEFAULT_PORTS.get(scheme), "443"):
        host_port = host
    return host_port.removeprefix("www.")


@lru_cache(maxsize=1024)
def canonical_url(url: str) -> str:
    """Return the dedup key for ``url``; raise ``NotHttpUrl`` for anything else.

    Cached: a batch of events canonicalises each link twice (lookup keys, then shares), and
    a busy link is shared many times.
    """
    if not _HTTP.match(url.strip()):
        raise NotHttpUrl(url)
    try:
        parts = urlsplit(canonicalize_url(url.strip()))
    except ValueError as exc:  # malformed ports, bad IPv6 literals, IDNA failures
        raise NotHttpUrl(url) from exc
    if not parts.hostname:
        raise NotHttpUrl(url)
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    path = parts.path.rstrip("/") or "/"
    netloc = _host_and_port(parts.netloc, parts.scheme)
    return urlunsplit(("https", netloc, path, query, ""))


def clean_url(url: str) -> str:
    """The URL to show readers: as shared, minus tracking parameters (fragment kept)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _is_tracking(k)]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def domain_of(url: str) -> str:
    """The host a reader would name (``arxiv.org``), without ``www.``."""
    return (urlsplit(url).hostname or "").removeprefix("www.")
