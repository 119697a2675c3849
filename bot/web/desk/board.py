"""What the desk shows, read from the database (blocking: call from a worker thread).

The queue is every draft of a digest with the facts behind it (shares, reactions, why
candidates, enrichment); the next issue is compiled by the publish engine exactly as
``digest preview`` and ``digest render`` compile it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.capture.ingest import items_facts
from bot.capture.why import split_why, starts_with_why
from bot.config import DigestConfig
from bot.curate.rules import ItemFacts, is_editor
from bot.deliver.cadence import next_slot, parse_schedule
from bot.digest.compile import issue_item
from bot.digest.model import IssueItem
from bot.web.archive import as_utc
from storage.db import Database
from storage.models import EnrichStatus, Item, ItemStatus, Share


class QueueFilter(StrEnum):
    all = "all"
    new = "new"  # first shared since the last published issue
    voted = "voted"  # most voted first
    failed = "failed"  # the page could not be fetched


@dataclass(frozen=True, slots=True)
class ShareView:
    who: str
    where: str
    when: datetime | None
    link: str | None  # the chat message, when the platform gave its permalink


@dataclass(frozen=True, slots=True)
class WhyCandidate:
    kind: str  # editor, sharer, other, assist
    who: str | None  # a user id, or their display name once known
    text: str


@dataclass(frozen=True, slots=True)
class QueueCard:
    item: Item
    shares: tuple[ShareView, ...]
    reactions: tuple[tuple[str, int], ...]  # (emoji, how many people), most first
    whys: tuple[WhyCandidate, ...]

    @property
    def shown(self) -> IssueItem:
        """The item as the issue would show it (title, summary, image)."""
        return issue_item(self.item)


def queue(db: Database, digest: DigestConfig, chosen: QueueFilter) -> list[QueueCard]:
    with db.reading() as uow:
        repo = uow.items
        items = repo.items(digest.name, [ItemStatus.draft])
        if chosen == QueueFilter.new:
            last = uow.issues.last_published(digest.name)
            since = as_utc(last.published_at) if last and last.published_at else None
            items = [i for i in items if since is None or _after(i.first_shared_at, since)]
        elif chosen == QueueFilter.failed:
            items = [item for item in items if item.enrich_status == EnrichStatus.failed]
        elif chosen == QueueFilter.voted:
            items.sort(key=lambda item: -item.votes)
        facts = items_facts(repo, items)
        shares = repo.shares_of_items([item.id for item in items if item.id is not None])
        links = uow.desk.permalinks((s.channel, s.message_id) for s in shares)
        authors = {m.author for f in facts.values() for m in (*f.shares, *f.replies) if m.author}
        names = repo.person_names(authors) | {
            s.user: s.user_name for s in shares if s.user and s.user_name
        }
    shares_of: dict[int, list[ShareView]] = {}
    for share in shares:
        if share.active:
            shares_of.setdefault(share.item_id, []).append(_share(share, links))
    return [
        _card(item, facts[item.id or 0], shares_of.get(item.id or 0, []), digest, names)
        for item in items
    ]


def _after(moment: datetime | None, since: datetime) -> bool:
    return moment is not None and as_utc(moment) > since


def _share(share: Share, links: dict[tuple[str, str], str]) -> ShareView:
    when = as_utc(share.shared_at) if share.shared_at else None
    link = links.get((share.channel, share.message_id))
    return ShareView(share.user_name or share.user or "someone", share.channel, when, link)


def _card(
    item: Item,
    facts: ItemFacts,
    shares: list[ShareView],
    digest: DigestConfig,
    names: dict[str, str],
) -> QueueCard:
    people = Counter(
        reaction.emoji for reaction in {(r.user, r.emoji): r for r in facts.reactions}.values()
    )
    return QueueCard(
        item=item,
        shares=tuple(sorted(shares, key=lambda s: (s.when is None, s.when and s.when.timestamp()))),
        reactions=tuple(people.most_common()),
        whys=tuple(
            replace(why, who=names.get(why.who, why.who)) if why.who else why
            for why in why_candidates(item, facts, digest)
        ),
    )


def why_candidates(item: Item, facts: ItemFacts, digest: DigestConfig) -> list[WhyCandidate]:
    """Every *why this matters* offered for an item: in shares and thread replies, by
    command or desk, and the assist's suggestion; each with whose it is."""
    sharers = {share.author for share in facts.shares}

    def kind(author: str | None, roles: tuple[str, ...]) -> str:
        if is_editor(digest, author, roles):
            return "editor"
        return "sharer" if author in sharers else "other"

    found = []
    for message in facts.shares:
        why = split_why(message.text).why
        if why:
            found.append(
                WhyCandidate(kind(message.author, message.author_roles), message.author, why)
            )
    for reply in facts.replies:
        why = split_why(reply.text).why if starts_with_why(reply.text) else None
        if why:
            found.append(WhyCandidate(kind(reply.author, reply.author_roles), reply.author, why))
    for decision in facts.decisions:
        if decision.action in ("why", "sharer-why") and decision.value:
            who = "editor" if decision.action == "why" else "sharer"
            found.append(WhyCandidate(who, decision.actor, decision.value))
    if item.suggested_why:
        found.append(WhyCandidate("assist", None, item.suggested_why))
    return found


def next_run(digest: DigestConfig, now: datetime) -> datetime | None:
    """When the schedule publishes next, in the digest's time zone."""
    return next_slot(parse_schedule(digest.schedule, digest.timezone), now)
