"""Atom and RSS feeds of a digest's issues (feedgen), with absolute links from one base URL.

feedgen (and the lxml it builds on, ~5 MB of RSS) is imported by the first feed request.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.capture.text import clean_text
from bot.digest.model import CompiledIssue
from bot.digest.render import clean, issue_heading, section_views
from bot.digest.render._common import ARCHIVED_LABEL, WHY_TEXT
from bot.web.archive import DigestListing, Published
from bot.web.pages import render

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

FEED_LIMIT = 20
# A feed needs an "updated" time even before the first issue; a fixed one keeps it cacheable.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"
# Words that introduce the issue number in a title template ("Team Links — Issue {number}").
_NUMBER_WORDS = {"issue", "no", "nr", "number", "edition", "vol", "volume"}
_TRAILING_PUNCTUATION = re.compile(r"[\s\W_]+$")


def digest_title(template: str, name: str) -> str:
    """The digest's own title: its issue-title template cut before the first per-issue field.

    "Team Links — Issue {number}" gives "Team Links"; "{name} #{number}" gives the name, as does
    a template that starts with a per-issue field ("{month} {year} links").
    """
    head = _TRAILING_PUNCTUATION.sub("", template.replace("{name}", name).split("{", 1)[0])
    rest, _, last = head.rpartition(" ")
    if rest and last.lower().rstrip(".") in _NUMBER_WORDS:
        head = _TRAILING_PUNCTUATION.sub("", rest)
    return clean(head) or name


def atom_feed(listing: DigestListing, issues: list[Published], base_url: str, title: str) -> bytes:
    atom: bytes = _feed(listing, issues, base_url, title, ("feed.xml", ATOM_TYPE)).atom_str(
        pretty=True
    )
    return atom


def rss_feed(listing: DigestListing, issues: list[Published], base_url: str, title: str) -> bytes:
    rss: bytes = _feed(listing, issues, base_url, title, ("rss.xml", RSS_TYPE)).rss_str(pretty=True)
    return rss


def _feed(
    listing: DigestListing,
    issues: list[Published],
    base_url: str,
    title: str,
    self_link: tuple[str, str],
) -> FeedGenerator:
    """``base_url`` is the archive's root, ending with a slash; ``self_link`` the feed's own
    file name and media type. Every string goes through ``clean_text``: lxml refuses (and a
    reader chokes on) characters XML forbids, whatever the database holds."""
    from feedgen.feed import FeedGenerator  # on first use: see the module docstring

    home = f"{base_url}d/{listing.name}/"
    name, media_type = self_link
    feed = FeedGenerator()
    feed.id(home)
    feed.title(clean_text(title))
    feed.subtitle(clean_text(f"Issues of {title}"))  # RSS requires a description
    feed.author({"name": clean_text(title)})
    # feedgen makes the last link RSS's <channel><link>: that must be the archive page.
    feed.link(href=f"{home}{name}", rel="self", type=media_type)
    feed.link(href=home, rel="alternate", type="text/html")
    feed.language("en")
    feed.updated(listing.updated or EPOCH)
    for link, issue in issues:  # newest first, as readers list them
        url = f"{home}{link.number}"
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(clean_text(issue_heading(issue)))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(link.published_at)
        entry.updated(link.published_at)
        entry.summary(_count(len(issue.items)))
        entry.content(clean_text(_entry_html(issue)), type="html")
    return feed


def _entry_html(issue: CompiledIssue) -> str:
    return render(
        "feed_entry.html.j2",
        intro=clean(issue.intro),
        outro=clean(issue.outro),
        sections=section_views(issue),
        why_text=WHY_TEXT,
        archived_label=ARCHIVED_LABEL,
    )


def _count(links: int) -> str:
    return "1 link" if links == 1 else f"{links} links"
