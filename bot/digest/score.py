"""The editors' view of engagement (issue 21): which links in the preview were most discussed,
and which unapproved ones had lively discussion and may deserve a place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.capture.engagement import item_score
from bot.config import DigestConfig
from bot.digest.model import CompiledIssue
from storage.models import Item
from storage.repo import Repo

SHOWN = 3  # items named per note


def _title(item: Item) -> str:
    return item.title_override or item.title or item.unfurl_title or item.url


def _best(items: Sequence[Item], digest: DigestConfig) -> list[tuple[float, Item]]:
    """The ``SHOWN`` items with the highest positive score, best first."""
    scored = [(item_score(item, digest.score), item) for item in items]
    ranked = sorted(scored, key=lambda pair: (-pair[0], pair[1].id or 0))
    return [(score, item) for score, item in ranked if score > 0][:SHOWN]


def preview_notes(
    repo: Repo, digest: DigestConfig, issue: CompiledIssue, since: datetime | None
) -> list[str]:
    """Lines for the editors under a preview: the issue's most discussed items, and the best
    drafts shared since ``since`` (the last issue) with what to do about them."""
    notes = []
    in_issue = repo.items_by_id([entry.item_id for entry in issue.items])
    numbers = {entry.item_id: entry.number for entry in issue.items}
    top = _best(in_issue, digest)
    if top:
        notes.append(
            "Most discussed in this issue: "
            + ", ".join(f"{numbers[i.id or 0]}. {_title(i)} (score {s:g})" for s, i in top)
        )
    lively = _best(repo.drafts_since(digest.name, since), digest)
    if lively:
        links = "; ".join(f"item {i.id}: {_title(i)} (score {s:g})" for s, i in lively)
        count = f"{len(lively)} more link{'s' if len(lively) > 1 else ''}"
        notes.append(
            f"{count} had lively discussion: {links}. "
            "Approve with ✅ (or `/linkletter approve ID`) to include them."
        )
    return notes
