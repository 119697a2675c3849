"""The Readability test pages in ``tests/fixtures/readability`` (Apache-2.0)."""

from __future__ import annotations

import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "readability"


def page_text(html: str) -> str:
    """Visible text of an HTML document, one line per block."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    root = tree.body or tree.root
    assert root is not None
    return root.text(separator="\n")


def squeeze(text: str) -> str:
    """Whitespace-free text, so extraction spacing differences don't matter."""
    return re.sub(r"\s+", "", text)


def article(name: str) -> str:
    return page_text((PAGES / name / "expected.html").read_text(encoding="utf-8"))
