"""Helpers the renderers share: cleaning strangers' text, fitting it to a limit, safe URLs, labels.

Limits are measured in UTF-16 code units (``measure``): the chat platforms count lengths the way
JavaScript does, where an emoji outside the BMP takes two units, so counting code points would
under-count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

from w3lib.url import safe_url_string

from bot.digest.model import CompiledIssue, IssueItem

ELLIPSIS = "…"
MAX_URL_LENGTH = 2_000  # browsers and chat clients cope; longer ones are abuse or junk
# Caps on an item's pieces, shared by the chat and e-mail renderers so an item reads the same.
TITLE_LIMIT = 250
WHY_LIMIT = 350
SUMMARY_LIMIT = 1_200
BYLINE_PIECE_LIMIT = 80
LINK_URL_LIMIT = 1_000  # a longer (escaped) URL is shown unlinked so a message keeps room for text
WORDS_PER_MINUTE = 230  # a common adult silent-reading speed for non-fiction

# Bidi embeddings/overrides/isolates can make a title display as something else (Trojan Source);
# other control characters (NUL, ESC, ...) have no business in a newsletter.
_INVISIBLE_CONTROLS = re.compile(
    r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]"
)
_WHITESPACE = re.compile(r"\s+")

P = TypeVar("P")


def measure(text: str) -> int:
    """Length as the chat platforms count it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def backslash_escaper(characters: str) -> dict[int, str]:
    """A ``str.translate`` table putting a backslash before each of ``characters``."""
    return {ord(character): "\\" + character for character in characters}


def clean(text: str | None) -> str:
    """Strangers' text on one line: control and bidi-override characters gone, spaces collapsed."""
    if not text:
        return ""
    return _WHITESPACE.sub(" ", _INVISIBLE_CONTROLS.sub("", text)).strip()


def fit(raw: str, limit: int, escape: Callable[[str], str] = lambda s: s) -> str:
    """``escape(raw)`` cut (at a word boundary when one is near) so it measures at most ``limit``.

    Cutting happens on the raw text, before escaping, so an entity like ``&amp;`` is never split.
    """
    whole = escape(raw)
    if measure(whole) <= limit:
        return whole
    # Invariant: raw[:low] fits and raw[:high] does not. Escaping never shortens text, so no
    # prefix longer than the limit can fit.
    low, high = 0, min(len(raw), limit + 1)
    while high - low > 1:
        middle = (low + high) // 2
        if measure(escape(raw[:middle].rstrip()) + ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle
    prefix = raw[:low]
    space = prefix.rfind(" ")
    if space > low * 0.8:
        prefix = prefix[:space]
    return escape(prefix.rstrip()) + ELLIPSIS if prefix.strip() else ELLIPSIS[: max(limit, 0)]


def safe_url(url: str | None) -> str | None:
    """The URL percent-encoded and fit to put in a link, or None if it is not plain http(s)."""
    if not url or measure(url) > MAX_URL_LENGTH:
        return None
    try:
        encoded = safe_url_string(url.strip())
        parts = urlsplit(encoded)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    # safe_url_string keeps a few characters that chat markup treats as syntax.
    encoded = encoded.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
    return encoded if measure(encoded) <= MAX_URL_LENGTH else None


# Image formats every destination displays: png, jpg, jpeg and gif. E-mail shows just these, since
# Outlook for Windows shows no WebP and Gmail and Outlook no SVG, AVIF is Apple Mail only, and ICO
# is no e-mail image format at all (caniemail.com). A chat renderer may add formats its platform
# shows (WebP, for instance).
WEB_IMAGES = frozenset({"png", "jpg", "jpeg", "gif"})
EMAIL_IMAGES = WEB_IMAGES
_OTHER_IMAGE_FORMATS = {"svg", "svgz", "avif", "ico", "bmp", "tif", "tiff", "heic", "jxl"}
_IMAGE_FORMATS = WEB_IMAGES | {"webp"} | _OTHER_IMAGE_FORMATS
_FORMAT_PARAMETERS = ("format", "fm")  # image CDNs (imgix, Contentful, ...) convert on request


def image_format(url: str) -> str | None:
    """The image format a URL names (``?format=webp``, else a ``.svg`` path), if it names one."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    filename = parts.path.rpartition("/")[2]
    candidates = [query.get(name, "") for name in _FORMAT_PARAMETERS]
    candidates.append(filename.rpartition(".")[2] if "." in filename else "")
    return next((c.lower() for c in candidates if c.lower() in _IMAGE_FORMATS), None)


def shown_image(url: str | None, shown: frozenset[str]) -> str | None:
    """The safe image URL, unless it names a format outside ``shown``. A URL that names no
    format (most CDNs) is kept: the page declared it as its image."""
    safe = safe_url(url)
    if safe is None:
        return None
    found = image_format(safe)
    return safe if found is None or found in shown else None


def reading_label(item: IssueItem, mode: str) -> str | None:
    """'Read more (4,979 words)' or 'Read more (5 min read)'; None when the length is unknown."""
    if mode == "minutes":
        minutes = item.reading_minutes
        if minutes is None and item.word_count:
            minutes = max(1, math.ceil(item.word_count / WORDS_PER_MINUTE))
        return f"Read more ({minutes:,} min read)" if minutes else None
    if item.word_count is None:
        return None
    unit = "word" if item.word_count == 1 else "words"
    return f"Read more ({item.word_count:,} {unit})"


def byline(item: IssueItem) -> list[str]:
    """The raw pieces of the 'site · shared by NAME' line (caller escapes them)."""
    pieces = []
    if clean(item.site_name):
        pieces.append(clean(item.site_name))
    if clean(item.shared_by):
        pieces.append(f"shared by {clean(item.shared_by)}")
    return pieces


def period_label(issue: CompiledIssue) -> str:
    """'16 – 22 November 2026'. The end is exclusive: a midnight end shows the day before."""
    start = issue.period_start.date()
    end = (issue.period_end - timedelta(microseconds=1)).date()
    if end <= start:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} – {end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"


def issue_heading(issue: CompiledIssue) -> str:
    """The issue's title (the digest's template already numbers it), or 'weekly #12' (raw)."""
    return clean(issue.title) or f"{clean(issue.digest)} #{issue.number}"


def section_name(name: str) -> str:
    """The section's name, or a neutral one: chat platforms reject empty headers."""
    return clean(name) or DEFAULT_SECTION_NAME


def item_heading(item: IssueItem) -> str:
    """'3. Title', with a star for a featured item and a mark for a revisited one (raw)."""
    star = "⭐ " if item.featured else ""
    again = f" ({REVISITED_NOTE})" if item.revisited else ""
    return f"{star}{item.number}. {clean(item.title) or clean(item.url)}{again}"


DEFAULT_SECTION_NAME = "Links"
FEATURED_NOTE = "Lead story"
REVISITED_NOTE = "revisited"
WHY_ICON = "🏛️"
WHY_TEXT = "Why this matters:"
READ_MORE_ICON = "📖"
WEB_LINK_LABEL = "Read this issue on the web"
ARCHIVED_LABEL = "archived copy"


def paginate(
    head: Sequence[P],
    sections: Sequence[tuple[Sequence[P], Sequence[Sequence[P]]]],
    tail: Sequence[P],
    fits: Callable[[list[P]], bool],
) -> list[list[P]]:
    """Pack parts into as few messages as ``fits`` allows, breaking only between items.

    ``sections`` pairs each section's header parts with the parts of each of its items. A section
    that continues into a new message gets its header again there. Every single item (with the
    head or a header) must fit on its own; renderers guarantee that by capping each item's size.
    """
    messages: list[list[P]] = []
    current = list(head)
    for header, items in sections:
        pending_header = list(header)
        for parts in items:
            candidate = current + pending_header + list(parts)
            if not fits(candidate) and current:
                messages.append(current)
                candidate = list(header) + list(parts)
            current = candidate
            pending_header = []
    if tail and not fits(current + list(tail)):
        messages.append(current)
        current = []
    current += list(tail)
    messages.append(current)
    return [message for message in messages if message]


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item cleaned for the document renderers (Markdown, text, HTML); text still unescaped."""

    number: int
    heading: str
    title: str
    url: str | None
    summary: str
    why: str
    image_url: str | None
    read_more: str | None
    byline: tuple[str, ...]
    featured: bool
    revisited: bool
    archived_url: str | None = None


@dataclass(frozen=True, slots=True)
class SectionView:
    name: str
    items: tuple[ItemView, ...]


def item_view(item: IssueItem, read_more: str) -> ItemView:
    return ItemView(
        number=item.number,
        heading=item_heading(item),
        title=clean(item.title) or clean(item.url),
        url=safe_url(item.url),
        summary=clean(item.summary),
        why=clean(item.why),
        image_url=safe_url(item.image_url),
        read_more=reading_label(item, read_more),
        byline=tuple(byline(item)),
        featured=item.featured,
        revisited=item.revisited,
        archived_url=safe_url(item.archived_url),
    )


def section_views(issue: CompiledIssue) -> list[SectionView]:
    """Non-empty sections, each item cleaned."""
    return [
        SectionView(section_name(s.name), tuple(item_view(i, issue.read_more) for i in s.items))
        for s in issue.sections
        if s.items
    ]
