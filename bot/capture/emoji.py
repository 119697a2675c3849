"""One name for every emoji, whether a platform sent a short name (``white_check_mark``) or ✅.

The normal form is the Unicode emoji without variation selectors or skin tones; a custom emoji
(no Unicode form) stays ``:name:``. The ``emoji`` package knows the GitHub-style short-name
aliases the platforms use; a short name may carry a ``::skin-tone-N`` suffix, and a custom
emoji may come as ``name:id``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import emoji

_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
_VARIATION = "\ufe0f"
_SKIN_TONE_SUFFIX = re.compile(r"::skin-tone-\d$")


@lru_cache(maxsize=4096)  # pure, and called for every reaction on every re-derivation
def normalise(name: str) -> str:
    """Map a short name, ``:alias:``, a custom ``name:id`` or a Unicode emoji to one form."""
    text = name.strip()
    if emoji.is_emoji(text) or emoji.emoji_count(text):
        return _SKIN_TONES.sub("", text).replace(_VARIATION, "")
    short = _SKIN_TONE_SUFFIX.sub("", text.strip(":"))
    short = short.split(":", 1)[0] if re.fullmatch(r"[\w+-]+:\d+", short) else short
    converted = emoji.emojize(f":{short}:", language="alias")
    if converted != f":{short}:":
        return _SKIN_TONES.sub("", converted).replace(_VARIATION, "")
    return f":{short.lower()}:"
