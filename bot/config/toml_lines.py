"""Line numbers for TOML key paths, which ``tomllib`` does not keep.

A small scanner over the source: it follows ``[table]`` and ``[[array.of.tables]]`` headers
(counting each array's tables, so ``[[digest.sections]]`` under the second ``[[digest]]`` is
``("digest", 1, "sections", 0)``), dotted and quoted keys, and skips the continuation lines of
multi-line arrays, inline tables and strings. It runs only on a file ``tomllib`` accepted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Path = tuple[str | int, ...]
_KEY_PART = re.compile(r"\s*(\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_-]+)\s*(\.|$)")


def _key_parts(text: str) -> tuple[str, ...]:
    """``a."b.c".d`` -> ``("a", "b.c", "d")``."""
    parts: list[str] = []
    position = 0
    while position < len(text):
        match = _KEY_PART.match(text, position)
        if match is None:
            break
        token = match.group(1)
        parts.append(token[1:-1] if token[0] in "\"'" else token)
        position = match.end()
    return tuple(parts)


def _split_key(line: str) -> tuple[str, str] | None:
    """``key = value`` split at the first ``=`` outside quotes."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "=":
            return line[:index], line[index + 1 :]
    return None


def _open_brackets(value: str) -> tuple[int, str]:
    """Bracket depth left open at the end of ``value`` and an unclosed ``\"\"\"``/``'''``."""
    depth, index = 0, 0
    while index < len(value):
        char = value[index]
        if value.startswith(('"""', "'''"), index):
            fence = value[index : index + 3]
            end = value.find(fence, index + 3)
            if end < 0:
                return depth, fence
            index = end + 3
            continue
        if char in "\"'":
            end = index + 1
            while end < len(value) and value[end] != char:
                end += 2 if char == '"' and value[end] == "\\" else 1
            index = end + 1
            continue
        if char == "#":
            break
        depth += (char in "[{") - (char in "]}")
        index += 1
    return depth, ""


class _Scanner:
    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.counts: dict[Path, int] = {}
        self.table: Path = ()

    def resolve(self, parts: Sequence[str]) -> Path:
        """Insert the current index after every array-of-tables prefix."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self.counts:
                path = (*path, self.counts[path] - 1)
        return path

    def header(self, line: str, number: int) -> None:
        array = line.startswith("[[")
        inner = line[2 : line.index("]]")] if array else line[1 : line.index("]")]
        parts = _key_parts(inner)
        if array:
            base = (*self.resolve(parts[:-1]), parts[-1])
            index = self.counts.get(base, 0)
            self.counts[base] = index + 1
            self.lines.setdefault(base, number)
            self.table = (*base, index)
        else:
            self.table = self.resolve(parts)
        for end in range(1, len(self.table) + 1):
            self.lines.setdefault(self.table[:end], number)

    def key(self, key: str, number: int) -> None:
        path = self.table
        for part in _key_parts(key):
            path = (*path, part)
            self.lines.setdefault(path, number)


def key_lines(text: str) -> dict[Path, int]:
    """Every table and key path in ``text`` -> the 1-based line where it is written."""
    scanner = _Scanner()
    depth, fence = 0, ""
    for number, raw in enumerate(text.splitlines(), 1):
        if fence:
            fence = "" if raw.count(fence) % 2 else fence
            continue
        if depth > 0:
            change, fence = _open_brackets(raw)
            depth += change
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            scanner.header(line, number)
            continue
        split = _split_key(line)
        if split is not None:
            scanner.key(split[0], number)
            depth, fence = _open_brackets(split[1])
    return scanner.lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path``, else of its nearest written parent (a missing key: its table)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
