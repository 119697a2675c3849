"""Find the links people share in chat text, in every form Slack, Discord and Markdown write them.

Slack sends ``<https://x|label>`` / ``<https://x>`` with ``&``, ``<``, ``>`` HTML-escaped;
Discord writes ``<https://x>`` to suppress an embed; people paste Markdown ``[label](https://x)``
and bare URLs followed by punctuation. Code blocks and inline code are not shares.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

_FENCED_CODE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_ANGLE = re.compile(r"<([^<>\s|]+)(?:\|([^<>]*))?>")
_MARKDOWN = re.compile(r"\[([^\[\]]*)\]\((https?://[^\s()]+(?:\([^\s()]*\))?[^\s()]*)\)", re.I)
_BARE = re.compile(r"(?<![\w@/])https?://[^\s<>\"'`]+", re.I)
_TRAILING = ".,;:!?*_~'\""
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# Links that open only for members of a workspace or server, or expire: never newsletter items.
_MEMBERS_HOSTS = frozenset({"app.slack.com", "files.slack.com"})
_SLACK_MEMBER_PATHS = ("/archives/", "/files/", "/docs/", "/canvas/", "/team/", "/messages/")
_DISCORD_HOSTS = frozenset(
    {"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"}
)
_DISCORD_CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})


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
    """True for links only members can open: Slack files, message permalinks, canvases and
    the web client (``<team>.slack.com/files/…``, ``/archives/…``, ``app.slack.com``), Discord
    message links (``discord.com/channels/…``) and Discord attachments (signed, they expire)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host, path = (parts.hostname or "").lower(), parts.path
    slack = host == "slack.com" or host.endswith(".slack.com")
    return (
        host in _MEMBERS_HOSTS
        or (slack and path.startswith(_SLACK_MEMBER_PATHS))
        or (host in _DISCORD_HOSTS and path.startswith("/channels/"))
        or (host in _DISCORD_CDN_HOSTS and path.startswith("/attachments/"))
    )


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
