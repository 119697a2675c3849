"""The Atom and RSS feeds against feedparser and the W3C feed validator's rules (no Python
package of that validator exists, so its checks that apply to our feeds are asserted here), on
SQLite and PostgreSQL, including text no XML may carry put straight into the database."""

from __future__ import annotations

import dataclasses
import re
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest

from bot.config import Config
from bot.digest import store
from bot.web.feeds import digest_title
from storage.db import Database
from storage.issues import IssueRepo
from tests.web.conftest import PageSite, archive_config, make_app, seed_archive, serving

ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 822 (as RFC 2822 writes it): "Thu, 26 Nov 2026 09:00:00 +0000".
RFC822_SHAPE = r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
FORBIDDEN = "\ufffe\x01\x0b"


@pytest.mark.parametrize(
    ("template", "title"),
    [
        ("{name} — Issue {number}", "weekly"),
        ("Team Links — Issue {number}", "Team Links"),
        ("Team Links #{number}", "Team Links"),
        ("The {name} digest, no. {number}", "The weekly digest"),
        ("Reading list ({date})", "Reading list"),
        ("{month} {year} links", "weekly"),
        ("Issue {number}", "Issue"),
    ],
)
def test_the_digest_title_is_its_issue_title_before_the_number(template: str, title: str) -> None:
    assert digest_title(template, "weekly") == title


async def test_rss_follows_the_w3c_validator_rules(seeded: Config, db: Database) -> None:
    async with serving(make_app(seeded, db)) as client:
        rss = await client.get("/d/weekly/rss.xml")
        base = f"{client.base_url}/d/weekly/"
    channel = ElementTree.fromstring(rss.content).find("channel")  # noqa: S314 - our own feed
    assert channel is not None
    # <link> is the website the channel is about, not the feed (the feed is atom:link self).
    assert channel.findtext("link") == base
    [self_link] = channel.findall(f"{ATOM}link")
    assert self_link.attrib == {
        "href": f"{base}rss.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert channel.findtext("title") == "weekly"
    assert channel.findtext("language") == "en"
    items = channel.findall("item")
    assert len(items) == 2
    for element in [channel.find("lastBuildDate"), *(item.find("pubDate") for item in items)]:
        assert element is not None
        assert element.text is not None
        assert re.match(RFC822_SHAPE, element.text), element.text
        assert parsedate_to_datetime(element.text).tzinfo is not None
    for item, number in zip(items, (2, 1), strict=True):
        guid = item.find("guid")
        assert guid is not None
        assert (guid.text, guid.get("isPermaLink")) == (f"{base}{number}", "true")
        assert item.findtext("link") == f"{base}{number}"
        assert item.findtext("description")


async def test_atom_ids_links_and_author(seeded: Config, db: Database) -> None:
    async with serving(make_app(seeded, db)) as client:
        first = await client.get("/d/weekly/feed.xml")
        again = await client.get("/d/weekly/feed.xml")
        base = f"{client.base_url}/d/weekly/"
    assert first.content == again.content  # ids and times are stable: readers see no new entry
    feed = ElementTree.fromstring(first.content)  # noqa: S314 - our own feed
    assert feed.findtext(f"{ATOM}id") == base
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "weekly"
    links = {
        (link.get("rel"), link.get("type")): link.get("href") for link in feed.iter(f"{ATOM}link")
    }
    assert links[("alternate", "text/html")] == base
    assert links[("self", "application/atom+xml")] == f"{base}feed.xml"
    for entry, number in zip(feed.findall(f"{ATOM}entry"), (2, 1), strict=True):
        assert entry.findtext(f"{ATOM}id") == f"{base}{number}"
        [alternate] = entry.findall(f"{ATOM}link")
        rel = alternate.get("rel", "alternate")  # RFC 4287: no rel means alternate
        assert (rel, alternate.get("href")) == ("alternate", f"{base}{number}")


async def test_entries_carry_why_this_matters(seeded: Config, db: Database) -> None:
    async with serving(make_app(seeded, db)) as client:
        atom = feedparser.parse((await client.get("/d/weekly/feed.xml")).content)
        rss = feedparser.parse((await client.get("/d/weekly/rss.xml")).content)
    for parsed in (atom, rss):
        newest = parsed.entries[0].content[0].value
        assert "<strong>Why this matters:</strong> Le Monde reads it the other way" in newest


async def test_feed_title_and_author_are_the_digests_title(
    db: Database, page_site: PageSite, tmp_path: Path
) -> None:
    config = archive_config(tmp_path, weekly_settings='title = "Team Links — Issue {number}"')
    await seed_archive(db, config, page_site)
    async with serving(make_app(config, db)) as client:
        atom = feedparser.parse((await client.get("/d/weekly/feed.xml")).content)
        rss = feedparser.parse((await client.get("/d/weekly/rss.xml")).content)
    for parsed in (atom, rss):
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.feed.title == "Team Links"
        assert parsed.entries[0].title == "Team Links — Issue 2"
    assert atom.feed.author == "Team Links"


def _poison(db: Database, digest: str, number: int) -> None:
    """Put characters XML forbids into a published issue's stored title, intro and first item,
    as a database written by an older version (or by hand) may hold them."""
    with db.session() as session:
        row = IssueRepo(session).issue_by_number(digest, number)
        assert row is not None
        issue = store.loads(row.compiled)
        first = issue.sections[0]
        item = dataclasses.replace(
            first.items[0], title=f"Bad{FORBIDDEN}title", why=f"why{FORBIDDEN}", summary=FORBIDDEN
        )
        sections = (dataclasses.replace(first, items=(item, *first.items[1:])), *issue.sections[1:])
        poisoned = dataclasses.replace(
            issue, title=f"Issue{FORBIDDEN}2", intro=f"Hello{FORBIDDEN}", sections=sections
        )
        row.compiled, row.title = store.dumps(poisoned), poisoned.title


async def test_characters_xml_forbids_never_make_a_500(seeded: Config, db: Database) -> None:
    _poison(db, "weekly", 2)
    async with serving(make_app(seeded, db)) as client:
        responses = {
            path: await client.get(path)
            for path in ("/d/weekly/feed.xml", "/d/weekly/rss.xml", "/d/weekly/2", "/d/weekly/")
        }
    for path, response in responses.items():
        assert response.status_code == 200, path
        assert "\ufffe" not in response.text, path
        assert "\x01" not in response.text, path
    for path in ("/d/weekly/feed.xml", "/d/weekly/rss.xml"):
        parsed = feedparser.parse(responses[path].content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.entries[0].title == "Issue2"
        assert "Badtitle" in parsed.entries[0].content[0].value


COPY = "https://web.archive.org/web/20261120093000/https://example.org/essay"


async def test_feeds_and_the_issue_page_link_an_items_archived_copy(
    seeded: Config, db: Database
) -> None:
    with db.session() as session:
        row = IssueRepo(session).issue_by_number("weekly", 2)
        assert row is not None
        issue = store.loads(row.compiled)
        first = issue.sections[0]
        item = dataclasses.replace(first.items[0], archived_url=COPY)
        sections = (dataclasses.replace(first, items=(item, *first.items[1:])), *issue.sections[1:])
        row.compiled = store.dumps(dataclasses.replace(issue, sections=sections))
    async with serving(make_app(seeded, db)) as client:
        atom = feedparser.parse((await client.get("/d/weekly/feed.xml")).content)
        rss = feedparser.parse((await client.get("/d/weekly/rss.xml")).content)
        page = (await client.get("/d/weekly/2")).text
        older = (await client.get("/d/weekly/1")).text
    for parsed in (atom, rss):
        newest, oldest = (entry.content[0].value for entry in parsed.entries)
        assert newest.count(f'(<a href="{COPY}">archived copy</a>)') == 1
        assert "archived copy" not in oldest
    assert page.count(f'<a href="{COPY}" style="color:#6b7280;">archived copy</a>') == 1
    assert "archived copy" not in older
