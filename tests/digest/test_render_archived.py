"""An item's archived copy in every document rendering: the link appears where the item's other
links are, and is the only difference from the same issue without it (whose output the golden
files hold)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from bot.digest import store
from bot.digest.compile import issue_item
from bot.digest.model import CompiledIssue, IssueSection
from bot.digest.render import render_html_email, render_html_page, render_json, render_markdown
from bot.digest.render.text import render_text
from storage.models import Item

from .issues import realistic_issue

COPY = "https://web.archive.org/web/20261120093000/https://example.org/a_(b)"
SHOWN = "https://web.archive.org/web/20261120093000/https://example.org/a_%28b%29"


def with_copy(issue: CompiledIssue, item_number: int, url: str = COPY) -> CompiledIssue:
    sections = tuple(
        dataclasses.replace(
            section,
            items=tuple(
                dataclasses.replace(item, archived_url=url) if item.number == item_number else item
                for item in section.items
            ),
        )
        for section in issue.sections
    )
    return dataclasses.replace(issue, sections=sections)


# (renderer, what the copy adds to an item with a byline and a word count)
DOCUMENTS: dict[str, tuple[Callable[[CompiledIssue], str], str]] = {
    "markdown": (render_markdown, f" · [archived copy]({SHOWN})"),
    "text": (render_text, f"\n   Archived copy: {COPY}"),
    "html": (render_html_email, f' · <a href="{COPY}" style="color:#6b7280;">archived copy</a>'),
    "html-page": (
        render_html_page,
        f' · <a href="{COPY}" style="color:#6b7280;">archived copy</a>',
    ),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_copy_is_the_only_difference(name: str) -> None:
    render, added = DOCUMENTS[name]
    plain = render(realistic_issue())
    archived = render(with_copy(realistic_issue(), 2))
    assert archived.count(added) == 1
    assert archived.replace(added, "", 1) == plain


def test_markdown_puts_it_on_the_items_meta_line() -> None:
    markdown = render_markdown(with_copy(realistic_issue(), 2))
    [line] = [line for line in markdown.splitlines() if "archived copy" in line]
    assert line == (
        "[📖 Read more (856 words)](http://www.bbc.com/news/world-us-canada-33646704) · BBC News"
        f" · [archived copy]({SHOWN})"
    )


def test_json_adds_the_key_to_that_item_only() -> None:
    plain = json.loads(render_json(realistic_issue()))
    archived = json.loads(render_json(with_copy(realistic_issue(), 2)))
    second = archived["sections"][0]["items"][1]
    assert second.pop("archived_url") == COPY
    assert archived == plain


def test_an_unsafe_copy_url_is_not_linked() -> None:
    issue = with_copy(realistic_issue(), 2, url="javascript:alert(1)")
    for name, (render, _added) in DOCUMENTS.items():
        output = render(issue)
        assert "javascript:" not in output, name
        assert output == render(realistic_issue()), name


def test_an_item_with_a_copy_carries_it_into_the_issue_and_its_stored_form() -> None:
    row = Item(
        id=5, digest="weekly", canonical_url="https://example.org/a", url="https://example.org/a"
    )
    assert issue_item(row).archived_url is None
    row.archived_url = COPY
    compiled = dataclasses.replace(
        realistic_issue(), sections=(IssueSection("Links", (issue_item(row, 1),)),)
    )
    assert store.loads(store.dumps(compiled)).items[0].archived_url == COPY


def test_an_item_with_nothing_else_on_its_meta_line_gets_the_copy_alone() -> None:
    issue = realistic_issue()
    bare = dataclasses.replace(
        issue.items[1], word_count=None, site_name=None, shared_by=None, archived_url=COPY
    )
    first = issue.sections[0]
    sections = (dataclasses.replace(first, items=(first.items[0], bare, *first.items[2:])),)
    issue = dataclasses.replace(issue, sections=sections + issue.sections[1:])
    assert f"\n\n[archived copy]({SHOWN})\n" in render_markdown(issue)
    html = render_html_email(issue)
    assert f'6b7280;"><a href="{COPY}" style="color:#6b7280;">archived copy</a></p>' in html
