"""The architecture, enforced (issue 19): the core never names a chat platform.

``bot/`` and ``storage/`` find platforms through the registry (``bot/platforms.py``, the only
module that names them); what is specific to one platform lives in ``adapters/<name>/``. Names,
strings and comments are all checked, and the templates too: a platform's name in a comment is
a sign its facts are in the wrong place.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ("bot", "storage")
EXEMPT = (ROOT / "bot" / "platforms.py", ROOT / "storage" / "migrations" / "versions")
TEMPLATES = ("*.html", "*.txt", "*.j2")
PLATFORM_NAME = re.compile(r"slack|discord|matrix", re.IGNORECASE)
# Token kinds that carry words: identifiers, strings (docstrings, f-string parts) and comments.
_WORDS = {tokenize.NAME, tokenize.STRING, tokenize.COMMENT} | {
    getattr(tokenize, kind) for kind in ("FSTRING_MIDDLE",) if hasattr(tokenize, kind)
}


def _core_files(patterns: tuple[str, ...]) -> Iterator[Path]:
    for package in CORE:
        for pattern in patterns:
            for path in sorted((ROOT / package).rglob(pattern)):
                if not any(path == exempt or exempt in path.parents for exempt in EXEMPT):
                    yield path


def python_hits(source: str) -> Iterator[tuple[int, str]]:
    """(line, token) for every name, string or comment that names a platform."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _WORDS and PLATFORM_NAME.search(token.string):
            yield token.start[0], token.string


def text_hits(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if PLATFORM_NAME.search(line):
            yield number, line


def _where(path: Path, hits: Iterator[tuple[int, str]]) -> list[str]:
    relative = path.relative_to(ROOT).as_posix()
    return [f"{relative}:{line}: {text.strip()[:80]}" for line, text in hits]


def _all_hits() -> dict[str, list[str]]:
    """Every hit, by file (relative to the repository)."""
    hits: dict[str, list[str]] = {}
    for patterns, scan in ((("*.py",), python_hits), (TEMPLATES, text_hits)):
        for path in _core_files(patterns):
            found = _where(path, scan(path.read_text(encoding="utf-8")))
            if found:
                hits[path.relative_to(ROOT).as_posix()] = found
    return hits


def test_no_platform_names_in_core() -> None:
    found = [hit for lines in _all_hits().values() for hit in lines]
    assert not found, f"{len(found)} platform names in bot/ or storage/:\n" + "\n".join(found)


def test_the_scan_finds_names_in_code_strings_and_comments() -> None:
    """The scan can fail: each place a name can hide is caught, and plain code passes."""
    source = 'import os\nx = "a Slack id"  # see discord\ndef matrix_of(): ...\nok = 1\n'
    assert [line for line, _text in python_hits(source)] == [2, 2, 3]
    assert [line for line, _text in python_hits('f"{x} DISCORD"\n')] == [1]
    assert [n for n, _line in text_hits("<p>ok</p>\n<!-- Slack -->\n")] == [2]
    assert list(python_hits("links = extract(text)\n")) == []


def test_the_scan_covers_the_core() -> None:
    """The exemptions are exactly the registry and the migrations; templates are scanned."""
    scanned = {path.relative_to(ROOT).as_posix() for path in _core_files(("*.py",))}
    assert "bot/capture/links.py" in scanned
    assert "storage/models.py" in scanned
    assert "bot/platforms.py" not in scanned
    assert not any(path.startswith("storage/migrations/versions/") for path in scanned)
    assert any(_core_files(TEMPLATES))


def _imported(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def test_the_core_imports_no_adapter() -> None:
    """Platforms (and the demo's console adapter) are found by name through ``bot.platforms``."""
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: {module}"
        for path in _core_files(("*.py",))
        for line, module in _imported(path.read_text(encoding="utf-8"))
        if module == "adapters" or module.startswith("adapters.")
    ]
    assert not found, "the core imports an adapter:\n" + "\n".join(found)
    assert list(_imported("from adapters.slack import translate\nimport os\n")) == [
        (1, "adapters.slack"),
        (2, "os"),
    ]
