"""Strings from chat and the web reach the terminal without their control sequences or markup."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli.terminal import terminal_safe
from storage.db import Database
from storage.models import Item
from tests.cli.test_cli import cli, seed, workdir  # noqa: F401 (the fixture)

OSC8_LINK = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
OSC52_CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaAo=\x07"
CSI_CLEAR = "\x1b[2J\x1b[H\x1b[31m"
TITLE_SET = "\x1b]0;pwned\x07"
C1_CSI = "\x9b31m"
BIDI = "\u202eevil\u202c"
HOSTILE = f"Fine{OSC8_LINK}{OSC52_CLIPBOARD}{CSI_CLEAR}{TITLE_SET}{C1_CSI}{BIDI} [/x] [bold]end"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (OSC8_LINK, "click me"),
        (OSC52_CLIPBOARD, ""),
        (CSI_CLEAR + "text", "text"),
        (TITLE_SET, ""),
        (C1_CSI + "x", "x"),
        ("a\x07b\x00c\x7fd", "a\ufffdb\ufffdc\ufffdd"),
        (BIDI, "\ufffdevil\ufffd"),
        ("line\r\nnext\tcol", "line\nnext col"),
        ("[/x] [bold]kept[/]", "[/x] [bold]kept[/]"),
        ("Grüße — 日本語 ⭐", "Grüße — 日本語 ⭐"),
    ],
)
def test_terminal_safe_removes_controls_and_keeps_text(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


def test_single_line_mode_joins_lines() -> None:
    assert terminal_safe("a\nb", newlines=False) == "a b"


def _plant_hostile_title(workdir: Path) -> None:  # noqa: F811
    seed(workdir)
    db = Database.connect(f"sqlite:///{workdir / 'cli.db'}")
    with db.session() as session:
        for item in session.exec(select(Item)).all():
            item.title = HOSTILE
            item.why = "why [/] with [red]markup"


def test_items_list_shows_hostile_titles_as_text(workdir: Path) -> None:  # noqa: F811
    cli("db", "upgrade")
    _plant_hostile_title(workdir)
    code, output = cli("items", "list")
    assert code == 0, output
    assert "\x1b" not in output
    assert "\x9b" not in output
    assert "\u202e" not in output
    assert "Fineclick me" in output
    assert "[/x] [bold]end" in output
    assert "why [/] with [red]markup" in output
    assert "https://example.com/a" in output


def test_items_list_in_a_real_terminal_writes_only_its_own_styling(workdir: Path) -> None:  # noqa: F811
    """Run under a pseudo-terminal, as a person would: Rich styles the output (SGR colour
    codes) but none of the title's sequences get through."""
    cli("db", "upgrade")
    _plant_hostile_title(workdir)
    main, child = pty.openpty()
    env = os.environ | {"COLUMNS": "60", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "items", "list"],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=workdir,
        env=env,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait(timeout=60) == 0
    os.close(main)
    output = b"".join(chunks).decode()
    assert "\x1b[" in output  # Rich did style it: this really was a terminal
    for planted in ("\x1b]", "\x1b[2J", "\x1b[H", "\x9b", "\u202e", "pwned\x07"):
        assert planted not in output
    assert "Fineclick me" in output
    assert "https://example.com/a" in output
