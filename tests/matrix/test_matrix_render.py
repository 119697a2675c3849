"""Matrix payloads for any issue: under the event size limit, only the HTML Matrix allows, only
http(s) links, ``@room`` disarmed, items in order and each once (reliability rows 10 and 11)."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser
from typing import Any

from hypothesis import given

from adapters.matrix.render import CONTENT_BYTES, render_matrix, text_notice
from bot.digest.model import CompiledIssue
from tests.digest.strategies import PROPERTY, huge_issue, issues

EVENT_LIMIT = 65_536  # bytes in a whole event: content plus the envelope (ids, hashes, ...)
# The spec's list for org.matrix.custom.html (client-server API, "m.room.message msgtypes").
ALLOWED = {
    "font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol", "sup",
    "sub", "li", "b", "i", "u", "strong", "em", "strike", "code", "hr", "br", "div", "table",
    "thead", "tbody", "tr", "th", "td", "caption", "pre", "span", "img", "details", "summary",
}  # fmt: skip
ITEM_NUMBER = re.compile(r"^(?:⭐ )?(\d+)\. ", re.MULTILINE)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}
        self.hrefs += [value or "" for name, value in attrs if name == "href"]


def assert_matrix_safe(issue: CompiledIssue, payloads: list[dict[str, Any]]) -> None:
    numbers = []
    for payload in payloads:
        assert len(json.dumps(payload, ensure_ascii=False).encode()) <= CONTENT_BYTES < EVENT_LIMIT
        assert payload["msgtype"] == "m.notice"
        assert payload["format"] == "org.matrix.custom.html"
        tags = _Tags()
        tags.feed(payload["formatted_body"])
        assert tags.tags <= ALLOWED
        assert tags.attributes <= {"href"}
        assert all(href.startswith(("https://", "http://")) for href in tags.hrefs)
        for text in (payload["body"], payload["formatted_body"]):
            assert "@room" not in text.lower()
        numbers += [int(n) for n in ITEM_NUMBER.findall(payload["body"])]
    assert numbers == [item.number for item in issue.items]


@PROPERTY
@given(issues())
def test_any_issue_is_safe_matrix(issue: CompiledIssue) -> None:
    assert_matrix_safe(issue, render_matrix(issue))


def test_300_links_with_5000_char_titles_and_room_mentions_are_split_and_disarmed() -> None:
    issue = huge_issue()
    shouting = dataclasses.replace(issue, intro="Hello @room and @ROOM, <b>bold</b> @everyone")
    payloads = render_matrix(shouting)
    assert_matrix_safe(shouting, payloads)
    assert len(payloads) > 1
    assert "(part 2 of" in payloads[1]["body"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in payloads[0]["formatted_body"]


def test_a_text_notice_keeps_paragraphs_and_escapes() -> None:
    notice = text_notice("Queue:\n1. <a>\n\n@room done")
    assert notice["formatted_body"] == "<p>Queue:<br>1. &lt;a&gt;</p><p>@\u2060room done</p>"
    assert notice["body"] == "Queue:\n1. <a>\n\n@\u2060room done"
