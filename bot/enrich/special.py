"""Sites handled differently: arXiv PDF links and YouTube/Vimeo videos (through oEmbed)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from bot.enrich.fields import MAX_TITLE_CHARS, clean_text, shorten
from bot.enrich.model import ExtractionFailed, PageMetadata

DEFAULT_OEMBED_URLS: Mapping[str, str] = {
    "youtube": "https://www.youtube.com/oembed",
    "vimeo": "https://vimeo.com/api/oembed.json",
}

_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
# New-style (2103.03206v2) and old-style (hep-th/9901001) identifiers.
_ARXIV_PDF_PATH = re.compile(
    r"^/pdf/(?P<id>(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Za-z]{2})?/\d{7})(?:v\d+)?)(?:\.pdf)?/?$"
)
_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"})
_YOUTUBE_VIDEO_PATH = re.compile(r"^/(?:watch|shorts/[\w-]+|embed/[\w-]+|live/[\w-]+)/?$")
_VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})
_VIMEO_VIDEO_PATH = re.compile(r"^/(?:video/)?\d+(?:/[\w-]+)?/?$")


def arxiv_abstract_url(url: str) -> str:
    """An arXiv PDF link mapped to its abstract page (which has title, authors, abstract)."""
    parts = urlsplit(url)
    match = _ARXIV_PDF_PATH.match(parts.path)
    if parts.hostname not in _ARXIV_HOSTS or match is None:
        return url
    return urlunsplit((parts.scheme, parts.netloc, f"/abs/{match['id']}", "", ""))


def oembed_provider(url: str) -> str | None:
    """``"youtube"`` or ``"vimeo"`` when ``url`` is a video page of theirs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "youtu.be":
        return "youtube" if len(parts.path) > 1 else None
    if host in _YOUTUBE_HOSTS and _YOUTUBE_VIDEO_PATH.match(parts.path):
        return "youtube" if parts.path != "/watch" or "v=" in parts.query else None
    if host in _VIMEO_HOSTS and _VIMEO_VIDEO_PATH.match(parts.path):
        return "vimeo"
    return None


def oembed_request_url(endpoint: str, url: str) -> str:
    return f"{endpoint}?{urlencode({'url': url, 'format': 'json'})}"


def oembed_metadata(data: bytes, url: str) -> PageMetadata:
    """PageMetadata from an oEmbed JSON answer about the video at ``url``."""
    try:
        answer = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise ExtractionFailed(f"oEmbed answer is not JSON: {error}") from None
    if not isinstance(answer, dict):
        raise ExtractionFailed("oEmbed answer is not a JSON object")

    def text(key: str) -> str | None:
        value = answer.get(key)
        return clean_text(value) if isinstance(value, str) else None

    return PageMetadata(
        final_url=url,
        title=shorten(text("title"), MAX_TITLE_CHARS),
        author=text("author_name"),
        site_name=text("provider_name"),
        image_url=text("thumbnail_url"),
    )
