"""Find the links people share in chat text, in every form the platforms and Markdown write them.

Chat markup wraps links in angle brackets, ``<https://x|label>`` or ``<https://x>``, with ``&``,
``<``, ``>`` HTML-escaped (each adapter's ``translate`` module says which forms its platform
sends); people paste Markdown ``[label](https://x)`` and bare URLs followed by punctuation.
Code blocks and inline code are not shares.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from bot.platforms import every

_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_ANGLE = re.compile(r"<([^<>\s|]+)(?:\|([^<>]*))?>")
_MARKDOWN = re.compile(r"\[([^\[\]]*)\]\((https?://[^\s()]+(?:\([^\s()]*\))?[^\s()]*)\)", re.I)
_BARE = re.compile(r"(?<![\w@/])https?://[^\s<>\"'`]+", re.I)
_TRAILING = ".,;:!?*_~'\""
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def strip_code(text: str) -> str:
    """Blank out fenced and inline code so links inside them are not captured."""
    without_fences = _FENCED_CODE.sub(" ", text)
    return _INLINE_CODE.sub(" ", without_fences)


def _trim_bare(url: str) -> str:
    """Drop trailing punctuation, keeping balanced closing brackets (Wikipedia-style URLs)."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def _is_http(url: str) -> bool:
    lowered = url.lower()
    return lowered.startswith(("http://", "https://")) and len(url) > len("https://")


def members_only(url: str) -> bool:
    """True for links only members of a workspace or server can open, or that expire (files,
    message permalinks, attachments): never newsletter items. Each platform knows its own
    (``Platform.members_only``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return any(chat.members_only(host, parts.path) for chat in every())


def extract_links(text: str) -> list[str]:
    """Every distinct http(s) URL in ``text``, in order of appearance.

    Mentions (``<@U1>``, ``<#C1|x>``, ``<!here>``, ``<@&1>``), ``mailto:`` and other schemes are
    ignored because only http(s) targets are kept.
    """
    found: list[tuple[int, str]] = []
    plain = strip_code(text)

    def take(match: re.Match[str], url: str) -> str:
        url = html.unescape(url.strip())
        if _is_http(url):
            found.append((match.start(), url))
        return " " * (match.end() - match.start())

    plain = _ANGLE.sub(lambda m: take(m, m.group(1)), plain)
    plain = _MARKDOWN.sub(lambda m: take(m, m.group(2)), plain)
    for match in _BARE.finditer(plain):
        take(match, _trim_bare(match.group(0)))
    seen: set[str] = set()
    ordered: list[str] = []
    for _, url in sorted(found, key=lambda pair: pair[0]):
        if url not in seen:
            seen.add(url)
            ordered.append(url)
    return ordered


def plain_text(text: str) -> str:
    """Chat markup made readable: ``<url|label>`` becomes ``label``, mentions are dropped."""

    def readable(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#", "!")):
            return f"{target[0]}{label}" if label and target[0] in "@#" else ""
        return label or target

    return html.unescape(_ANGLE.sub(readable, text)).strip()
