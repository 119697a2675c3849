"""Text hygiene at the way in: one cleaning for everything that enters from chat or from pages.

Removed: the characters XML 1.0 forbids (C0 controls except tab, newline and carriage return,
U+FFFE, U+FFFF, lone surrogates), which would make the feeds and the e-mail invalid; DEL and
the C1 controls; and the bidi embeddings, overrides and isolates (U+202A–U+202E,
U+2066–U+2069), which let a name or a why reorder the text around it. Vertical tab, form
feed, the C0 separators and NEL become a space. The marks U+200E/U+200F/U+061C stay: right-to-
left writers need them to place punctuation and they cannot reverse a run of text.

Outputs still escape for their medium (chat markup, HTML, Markdown); this only guarantees that
every stored string is one any output can carry.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any, TypeVar

T = TypeVar("T")

_SPACES = "\x0b\x0c\x1c\x1d\x1e\x1f\x85"
_REMOVED = "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff"
_UNWANTED = re.compile(f"[{_REMOVED}]")
_AS_SPACE = re.compile(f"[{_SPACES}]")
_ANY = re.compile(f"[{_REMOVED}{_SPACES}]")


def clean_text(text: str) -> str:
    """``text`` without forbidden, control and bidi-override characters (see the module doc)."""
    if _ANY.search(text) is None:
        return text  # the usual case, and the fast one
    return _UNWANTED.sub("", _AS_SPACE.sub(" ", text))


def cleaned(value: T) -> T:
    """``value`` with every string in it cleaned: a string, a tuple of values, or a dataclass
    (events, authors, unfurls, page metadata, command requests), recursively. What is clean
    already comes back as the same object."""
    return _clean(value)  # type: ignore[no-any-return]


@functools.cache
def _field_names(kind: type[Any]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple):
        members = tuple(_clean(member) for member in value)
        return value if all(a is b for a, b in zip(members, value, strict=True)) else members
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for name in _field_names(type(value)):
            before = getattr(value, name)
            after = _clean(before)
            if after is not before:
                changes[name] = after
        return dataclasses.replace(value, **changes) if changes else value
    return value
