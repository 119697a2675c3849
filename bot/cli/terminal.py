"""Text from chat and from the web, made safe to write to a terminal.

Page titles, whys and error messages come from other people. Written raw, an ESC sequence in a
title can clear the screen, plant a hyperlink (OSC 8), set the clipboard (OSC 52) or retitle the
window; bidi overrides reorder what is shown; and Rich would read ``[/x]`` as markup. The CLI's
consoles never parse markup and pass every string through ``terminal_safe``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:  # both are imported when first used: most commands print neither
    from rich.markdown import Markdown
    from rich.table import Table

    from bot.platform import Check

_SEQUENCES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                  # CSI (ESC [ ... final)
    | \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # OSC (ESC ] ... BEL/ST): title, link, clipboard
    | \x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?   # DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]?                         # any other ESC sequence, or a lone ESC
    | \x9b[0-?]*[ -/]*[@-~]?                   # 8-bit CSI
    | [\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c)?  # 8-bit DCS, SOS, OSC, PM, APC
    """,
    re.VERBOSE,
)
# C0 and C1 controls, DEL, and the invisible marks that reorder text (bidi embeddings,
# overrides, isolates and marks).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str, *, newlines: bool = True) -> str:
    """``text`` without escape sequences or control characters (shown as U+FFFD); tabs become
    spaces, and so do newlines unless ``newlines``."""
    text = _SEQUENCES.sub("", text).replace("\t", " ").replace("\r\n", "\n")
    if not newlines:
        text = text.replace("\n", " ")
    return _CONTROLS.sub("\ufffd", text)


def plain(text: str, style: str = "") -> Text:
    """A single-line ``Text`` of someone else's string, for tables and titles."""
    return Text(terminal_safe(text, newlines=False), style=style)


def markdown(text: str) -> Markdown:
    """Markdown made from others' text (titles, whys), rendered for the terminal."""
    from rich.markdown import Markdown

    return Markdown(terminal_safe(text))


def table(*headers: str) -> Table:
    """A table whose cells fold instead of being cut short with "…" when space runs out."""
    from rich.table import Table

    grid = Table()
    for header in headers:
        grid.add_column(header, overflow="fold")
    return grid


_URL = re.compile(r"https?://\S+")


def print_checks(console: Console, checks: Sequence[Check], as_json: bool) -> None:
    """``doctor``'s results: ✓/✗ lines, each failure with its fix, a URL to open in a fix on a
    line of its own (never wrapped, so it can be clicked or copied whole); or a JSON array."""
    if as_json:
        rows = [dataclasses.asdict(check) for check in checks]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for check in checks:
        mark = Text("✓ ", style="green") if check.ok else Text("✗ ", style="red")
        console.print(mark, f"{check.name}: {check.reason}", sep="")
        if not check.ok and check.fix:
            fix = check.fix
            urls = [url.rstrip(".,;)`") for url in _URL.findall(fix)]
            for url in urls:
                fix = fix.replace(url, "(link below)")
            console.print(f"    fix: {fix}")
            for url in urls:
                console.print(f"    {url}")


def print_table(console: Console, grid: Table) -> None:
    """A table on a terminal fits its width (cells fold); piped, it keeps its natural width,
    so scripts and files get every id and URL on one line."""
    from rich.measure import Measurement

    natural = Measurement.get(console, console.options.update_width(100_000), grid).maximum
    if console.is_terminal or natural <= console.width:
        console.print(grid)
        return
    width = console.width
    console.width = natural
    try:
        console.print(grid)
    finally:
        console.width = width


class SafeConsole(Console):
    """A Rich console that never reads markup or emoji codes in strings and strips terminal
    controls from every string it renders (our own styling goes in ``Text`` objects)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(terminal_safe(text), **kwargs)

    def print(self, *objects: Any, soft_wrap: bool | None = None, **kwargs: Any) -> None:
        """Lines of text are never broken by Rich (the terminal wraps them, and a command or a
        URL in them stays whole for copying); tables, panels and Markdown lay themselves out."""
        if soft_wrap is None:
            soft_wrap = all(isinstance(part, str | Text) for part in objects)
        super().print(*objects, soft_wrap=soft_wrap, **kwargs)
