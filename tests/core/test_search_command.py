"""`/linkletter search WORDS` (issue 21), on SQLite and PostgreSQL: editors search every item of
the channel's digest, others what was published; no input is an error."""

from __future__ import annotations

from typing import Any

from bot.ports import CommandRequest
from storage.db import Database
from tests.core.helpers import ANN, EDITOR, READER, post, service
from tests.core.test_history import CONFIG, _published_once


def _ask(user: Any, words: str) -> CommandRequest:
    return CommandRequest("search", words, user, "slack:C1", "slack")


async def test_search_in_chat(db: Database) -> None:
    await _published_once(db)  # https://example.com/post, "why: it matters", in issue #1
    core = service(db, CONFIG)
    core.handle_sync(post("slack:C1", "7", ANN, "https://example.com/new why: it matters too", 5))
    editor = await core.command(_ask(EDITOR, "matters"))
    assert editor.text.splitlines()[0] == "*weekly*: 2 found, best first"
    assert "[published] https://example.com/post?utm_source=x · in issue #1 (2026-11-16)" in (
        editor.text
    )
    assert "[draft] https://example.com/new" in editor.text
    reader = await core.command(_ask(READER, "matters"))
    assert "[draft]" not in reader.text
    assert "in issue #1" in reader.text
    assert (await core.command(_ask(READER, "tulips"))).text == "Nothing matches 'tulips'."
    assert "Search for some words" in (await core.command(_ask(READER, '"(*'))).text
    help_text = await core.command(CommandRequest("help", "", READER, "slack:C1", "slack"))
    assert "`search <words>`" in help_text.text
