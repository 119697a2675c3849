"""One name for every emoji, whether Slack sent ``white_check_mark`` or Discord sent ✅.

The normal form is the Unicode emoji without variation selectors or skin tones; a custom emoji
(no Unicode form) stays ``:name:``. The ``emoji`` package knows the GitHub/Slack aliases.
"""

from __future__ import annotations

import re
from functools import lru_cache

import emoji

_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
_VARIATION = "\ufe0f"
_SLACK_MODIFIER = re.compile(r"::skin-tone-\d$")


@lru_cache(maxsize=4096)  # pure, and called for every reaction on every re-derivation
def normalise(name: str) -> str:
    """Map a Slack short name, ``:alias:``, Discord ``name:id`` or Unicode emoji to one form."""
    text = name.strip()
    if emoji.is_emoji(text) or emoji.emoji_count(text):
        return _SKIN_TONES.sub("", text).replace(_VARIATION, "")
    short = _SLACK_MODIFIER.sub("", text.strip(":"))
    short = short.split(":", 1)[0] if re.fullmatch(r"[\w+-]+:\d+", short) else short
    converted = emoji.emojize(f":{short}:", language="alias")
    if converted != f":{short}:":
        return _SKIN_TONES.sub("", converted).replace(_VARIATION, "")
    return f":{short.lower()}:"
