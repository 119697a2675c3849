"""Text hygiene at ingest: what enters from chat or from pages is safe for every output."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st

from bot.capture.text import clean_text, cleaned
from bot.events import Author, MessagePosted, Unfurl
from storage.db import Database
from tests.core.helpers import ANN, at, only_item, post, service

OVERRIDES = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_removes_what_xml_forbids_and_bidi_overrides() -> None:
    dirty = f"a\x00b\x08c\ufffe\uffffd\ud800e\x7f\x9ff{OVERRIDES}g"
    assert clean_text(dirty) == "abcdefg"


def test_keeps_tab_newlines_marks_and_ordinary_unicode() -> None:
    text = "שלום\u200f, world\t🙂\r\nnext — “quoted” \u200eé"
    assert clean_text(text) == text


def test_separators_become_spaces() -> None:
    assert clean_text("a\x0bb\x0cc\x1fd\x85e") == "a b c d e"


@given(st.text())
def test_any_cleaned_text_is_valid_xml(text: str) -> None:
    document = f"<t>{escape(clean_text(text))}</t>"  # our own text: no entities to exploit
    parsed = ET.fromstring(document)  # noqa: S314  # raises on a forbidden character
    expected = clean_text(text).replace("\r\n", "\n").replace("\r", "\n")  # XML's line ends
    assert (parsed.text or "") == expected


def test_cleans_every_string_inside_an_event() -> None:
    event = MessagePosted(
        "e\x00", "slack:C1", "1.1", Author("slack:U1", "Eve\u202e"), "hi\ufffe", at(0),
        unfurls=(Unfurl("https://a.com", title="T\x01", site_name="S\u2066"),),
    )  # fmt: skip
    clean = cleaned(event)
    assert (clean.event_id, clean.author.name, clean.text) == ("e", "Eve", "hi")
    assert (clean.unfurls[0].title, clean.unfurls[0].site_name) == ("T", "S")


def test_text_is_cleaned_once_on_the_way_in(db: Database) -> None:
    core = service(db)
    core.handle_sync(
        post("slack:C1", "1", ANN, "Look\x0c https://a.com/x\nwhy this matters: \u202eRLO\x00")
    )
    item = only_item(db)
    assert (item.note, item.why) == ("Look", "RLO")
