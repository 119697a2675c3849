"""Text every output can carry: what XML 1.0 (feeds) and HTML forbid, removed."""

from __future__ import annotations

import re

# Outside XML 1.0's Char production: C0 controls but tab/newline/return, lone surrogates, and the
# non-characters U+FFFE/U+FFFF. lxml refuses to serialise them; the Nu checker flags them in HTML.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` without the characters no XML document may contain."""
    return _XML_FORBIDDEN.sub("", text)
