"""Engagement (issue 21): the counts of how much an item was discussed, and the score the
digest's ``[digest.score]`` weights make of them with its votes and the editor's ⭐ boost.

Here, below the stages that use it: the curation rules count (``bot.curate.rules``), the
compiler orders by the score, the preview notes and listings show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config import ScoreWeights
from storage.models import Item


@dataclass(frozen=True, slots=True)
class Engagement:
    """How much an item was discussed: the counts stored on the item (``*_count``)."""

    reactors: int = 0
    replies: int = 0
    participants: int = 0
    channels: int = 0
    platforms: int = 0

    def score(self, weights: ScoreWeights, votes: int, featured: bool) -> float:
        """The weighted sum; a second channel or platform is what counts as spreading."""
        return round(
            weights.reactors * self.reactors
            + weights.votes * votes
            + weights.replies * self.replies
            + weights.participants * self.participants
            + weights.channels * max(self.channels - 1, 0)
            + weights.platforms * max(self.platforms - 1, 0)
            + (weights.featured if featured else 0),
            2,
        )


COUNT_COLUMNS = (
    "reactor_count",
    "reply_count",
    "participant_count",
    "channel_count",
    "platform_count",
)


def stored_score(values: Mapping[Any, Any], weights: ScoreWeights) -> float:
    """The score of an item from its stored columns (a listing row, or an item's fields)."""
    counts = Engagement(*(values[name] or 0 for name in COUNT_COLUMNS))
    return counts.score(weights, values["votes"] or 0, bool(values["featured"]))


def item_score(item: Item, weights: ScoreWeights) -> float:
    return stored_score({name: getattr(item, name) for name in SCORED}, weights)


SCORED = (*COUNT_COLUMNS, "votes", "featured")
