"""The desk's manual order, as pure rules: the latest ``position`` decision is an item's place,
and compiling puts placed items first, in that order, then the rest by the usual rank."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.curate.rules import DecisionFact, ItemFacts, MessageFact, derive
from bot.digest.compile import IssueContext, compile_issue
from storage.models import Item
from tests.core.helpers import at, config

DIGEST = config().digest("weekly")
SHARE = MessageFact("slack:C1", "1", "slack:UANN", (), "https://example.com/a", at(0))


def facts(*decisions: tuple[str, str | None, float]) -> ItemFacts:
    return ItemFacts(
        url="https://example.com/a",
        title=None,
        summary=None,
        published=False,
        shares=(SHARE,),
        replies=(),
        reactions=(),
        decisions=tuple(
            DecisionFact("slack:UED", action, value, at(minute))
            for action, value, minute in decisions
        ),
    )


def test_the_latest_position_decision_is_the_place() -> None:
    assert derive(facts(), DIGEST).position is None
    placed = facts(("position", "3", 1), ("position", "1", 2), ("approve", None, 3))
    assert derive(placed, DIGEST).position == 1
    assert derive(facts(("position", "2", 5), ("position", "7", 4)), DIGEST).position == 2
    assert derive(facts(("position", "first", 1)), DIGEST).position is None


def item(
    item_id: int, *, position: int | None = None, votes: int = 0, featured: bool = False
) -> Item:
    return Item(
        id=item_id,
        digest="weekly",
        canonical_url=f"https://example.com/{item_id}",
        url=f"https://example.com/{item_id}",
        status="approved",
        section="Elsewhere",
        position=position,
        votes=votes,
        featured=featured,
        first_shared_at=at(item_id),
    )


def order(items: list[Item]) -> list[int]:
    context = IssueContext(
        1, datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    )
    issue = compile_issue(DIGEST, items, context, {})
    return [entry.item_id for entry in issue.items]


def test_placed_items_come_first_in_their_order_then_the_rest_by_rank() -> None:
    unplaced = [item(1, votes=5), item(2, featured=True), item(3)]
    assert order(unplaced) == [2, 1, 3]  # featured, then votes, then first shared
    placed = [item(4, position=2), item(5, position=1), *unplaced]
    assert order(placed) == [5, 4, 2, 1, 3]  # a new featured item waits behind the placed ones
