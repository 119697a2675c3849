"""Why-this-matters detection in every way people write it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.capture.why import split_why, starts_with_why


@pytest.mark.parametrize(
    ("text", "why", "note"),
    [
        (
            "Great read https://x.com\n*Why this matters:* it is good",
            "it is good",
            "Great read https://x.com",
        ),
        ("🏛️ **Why this matters:** A parable", "A parable", ""),
        ("why: because", "because", ""),
        ("WHY THIS MATTERS - cheap GPUs", "cheap GPUs", ""),
        ("_why this matters_: italic", "italic", ""),
        (":classical_building: Why this matters: yes", "yes", ""),
        ("https://x.com why: inline after a link", "inline after a link", "https://x.com"),
        ("<https://x.com|x> — why this matters: inline", "inline", "<https://x.com|x> —"),
        ("I wonder why: it broke https://x.com", None, "I wonder why: it broke https://x.com"),
        ("Why not?", None, "Why not?"),
        ("nothing here", None, "nothing here"),
        ("somewhy: odd", None, "somewhy: odd"),
    ],
)
def test_split_why(text: str, why: str | None, note: str) -> None:
    result = split_why(text)
    assert (result.why, result.note) == (why, note)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("why: x", True),
        ("*Why this matters* x", True),
        ("🏛️ x", True),
        ("ok. why this matters: x", False),
    ],
)
def test_reply_starts_with_why(text: str, expected: bool) -> None:
    assert starts_with_why(text) is expected


@given(st.text())
def test_never_crashes_and_parts_come_from_text(text: str) -> None:
    result = split_why(text)
    assert result.note in text
    if result.why is not None:
        assert result.why in text
