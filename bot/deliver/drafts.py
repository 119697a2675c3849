"""The newsletter-platform drafts the editors get in the preview: one line of links."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

TITLES = {"buttondown": "Buttondown", "ghost": "Ghost", "mailchimp": "Mailchimp"}


@dataclass(frozen=True)
class DraftLink:
    destination: str  # buttondown:news
    link: str | None = None  # where to open the draft; None when it could not be saved
    error: str | None = None  # the platform's reason, for the editors


def drafts_line(drafts: Sequence[DraftLink]) -> str:
    """``Drafts: Buttondown <link> · Ghost not saved (reason) · …``; empty without drafts.
    A platform configured twice is told apart by its name: ``Ghost (blog)``."""
    kinds = Counter(draft.destination.partition(":")[0] for draft in drafts)
    shown = []
    for draft in drafts:
        kind, _, name = draft.destination.partition(":")
        label = TITLES.get(kind, kind) + (f" ({name})" if kinds[kind] > 1 else "")
        shown.append(f"{label} {draft.link or f'not saved ({draft.error})'}")
    return "Drafts: " + " · ".join(shown) if shown else ""
