"""The platform registry: the only module in ``bot/`` that names the chat platforms.

Each line maps a platform's name (the prefix of its ids) to the package whose ``PLATFORM``
implements ``bot.platform.Platform``. Nothing is imported until a platform is asked for, and
importing a platform's package is cheap (its SDK loads only when connecting or publishing).
Adding a platform is one line here and a package in ``adapters/``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from bot.platform import IdRules, Platform

REGISTRY: dict[str, str] = {
    "slack": "adapters.slack",
    "discord": "adapters.discord",
    "matrix": "adapters.matrix",
}
CONSOLE = "adapters.console"  # the offline demo's adapter: not a chat platform


class UnknownPlatform(KeyError):
    """An id whose prefix names no registered platform."""


@cache
def platform(name: str) -> Platform:
    """The platform called ``name``; ``UnknownPlatform`` if there is none."""
    try:
        module = REGISTRY[name]
    except KeyError:
        raise UnknownPlatform(name) from None
    return cast("Platform", importlib.import_module(module).PLATFORM)


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def every() -> tuple[Platform, ...]:
    return tuple(platform(name) for name in REGISTRY)


def platform_of(ident: str) -> Platform | None:
    """The platform of a ``name:id`` string, or None for a non-chat id (``file:…``)."""
    name = ident.split(":", 1)[0]
    return platform(name) if name in REGISTRY else None


def is_id(ident: str, rules: Callable[[IdRules], re.Pattern[str] | None]) -> bool:
    """``ident`` is ``<platform>:<id>`` with an id the pattern ``rules`` picks accepts."""
    found = platform_of(ident)
    pattern = rules(found.ids) if found is not None else None
    return pattern is not None and pattern.fullmatch(ident.partition(":")[2]) is not None


def names_a_group(ident: str) -> bool:
    """Whether the editor id ``name:id`` names a group of people (a role), not one person."""
    return is_id(ident, lambda ids: ids.group)


def labels() -> str:
    """The platforms' names in a sentence: "Slack, Discord and Matrix"."""
    return in_a_sentence([chat.label for chat in every()])


def in_a_sentence(words: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    return " and ".join(filter(None, [", ".join(words[:-1]), *words[-1:]]))
