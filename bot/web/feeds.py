"""Atom and RSS feeds of a digest's issues (feedgen), with absolute links from one base URL.

feedgen (and the lxml it builds on, ~5 MB of RSS) is imported by the first feed request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.digest.model import CompiledIssue
from bot.digest.render import clean, issue_heading, section_views
from bot.web.archive import DigestListing, Published
from bot.web.pages import render

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

FEED_LIMIT = 20
# A feed needs an "updated" time even before the first issue; a fixed one keeps it cacheable.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def atom_feed(listing: DigestListing, issues: list[Published], base_url: str) -> bytes:
    atom: bytes = _feed(listing, issues, base_url, "feed.xml").atom_str(pretty=True)
    return atom


def rss_feed(listing: DigestListing, issues: list[Published], base_url: str) -> bytes:
    rss: bytes = _feed(listing, issues, base_url, "rss.xml").rss_str(pretty=True)
    return rss


def _feed(
    listing: DigestListing, issues: list[Published], base_url: str, self_name: str
) -> FeedGenerator:
    """``base_url`` is the archive's root, ending with a slash."""
    from feedgen.feed import FeedGenerator  # on first use: see the module docstring

    home = f"{base_url}d/{listing.name}/"
    feed = FeedGenerator()
    feed.id(home)
    feed.title(listing.name)
    feed.subtitle(f"Issues of the {listing.name} digest")  # RSS requires a description
    feed.author({"name": listing.name})
    feed.link(href=home, rel="alternate")
    feed.link(href=f"{home}{self_name}", rel="self")
    feed.language("en")
    feed.updated(listing.updated or EPOCH)
    for link, issue in issues:  # newest first, as readers list them
        url = f"{home}{link.number}"
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.title(issue_heading(issue))
        entry.link(href=url, rel="alternate")
        entry.published(link.published_at)
        entry.updated(link.published_at)
        entry.summary(_count(len(issue.items)))
        entry.content(_entry_html(issue), type="html")
    return feed


def _entry_html(issue: CompiledIssue) -> str:
    return render(
        "feed_entry.html.j2",
        intro=clean(issue.intro),
        outro=clean(issue.outro),
        sections=section_views(issue),
    )


def _count(links: int) -> str:
    return "1 link" if links == 1 else f"{links} links"
