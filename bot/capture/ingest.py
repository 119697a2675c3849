"""Apply one neutral chat event to the stored facts, inside one transaction.

Messages and reactions are stored as their latest known version (edits and reaction changes
carry a time; older news never overwrites newer), then every item they touch is re-derived.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from bot.capture.canonical import NotHttpUrl, canonical_url
from bot.capture.emoji import normalise
from bot.capture.links import extract_links, members_only
from bot.capture.why import starts_with_why
from bot.config import Config, DigestConfig
from bot.curate.rules import (
    DecisionFact,
    Derived,
    ItemFacts,
    MessageFact,
    ReactionFact,
    aware,
    derive,
    reaction_fact,
)
from bot.events import (
    AddReaction,
    Author,
    ChatEvent,
    Effect,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    Outcome,
    ReactionAdded,
    ReactionRemoved,
    ReplyInThread,
    Unfurl,
    UnfurlsAdded,
)
from bot.platform_settings import PlatformSettings
from bot.platforms import platform_of
from storage.facts import AnyMessage
from storage.history import PublishedIn
from storage.models import Item, ItemStatus, Message, utcnow
from storage.repo import Record, Repo
from storage.unit import UnitOfWork


def _newer(incoming: datetime, stored: datetime | None) -> bool:
    return stored is None or aware(incoming) >= aware(stored)


class Ingest:
    """The event rules of issue 2, applied to one unit of work: ``load`` what the events need,
    ``record`` each, then ``finish`` writes the new rows and re-derives the touched items."""

    def __init__(self, config: Config, uow: UnitOfWork) -> None:
        self.config = config
        self.repo = uow.items
        self.facts = uow.facts()
        self.effects: list[Effect] = []
        self.touched: set[int] = set()
        self._keyed: dict[str, dict[str, str]] = {}
        self._names: dict[str, str] = {}

    # --- dispatch ---------------------------------------------------------------------------
    def load(self, events: Iterable[ChatEvent], digests: list[DigestConfig] | None = None) -> None:
        """Fetch the stored facts ``events`` will read, in a few queries for all of them: the
        events' messages (and thread parents: a reply touches its parent's items), the reactions
        on the messages reacted to, and the digests' items for every link in them."""
        ids: list[str] = []
        authors: set[str] = set()
        messages: set[tuple[str, str]] = set()
        reacted: set[tuple[str, str]] = set()
        items: set[tuple[str, str]] = set()
        for event in events:
            ids.append(event.event_id)
            messages.add((event.channel, event.message_id))
            if isinstance(event, ReactionAdded | ReactionRemoved):
                reacted.add((event.channel, event.message_id))
            elif isinstance(event, MessagePosted | MessageEdited):
                if event.author is not None:
                    authors.add(event.author.id)
                if event.thread_parent:
                    messages.add((event.channel, event.thread_parent))
                targets = digests or self._digests(event.channel)
                keys = self._shared_links(event.thread_parent, event.text)
                items.update((d.name, key) for key in keys for d in targets)
        self.facts.load(ids, messages, items, reacted)
        self._names.update(self.repo.person_names(authors - self._names.keys()))

    def _shared_links(self, thread_parent: str | None, text: str) -> dict[str, str]:
        """The links a message shares. A thread reply that opens with a why is the parent's
        why: a link in it is part of that why, not a share of its own."""
        if thread_parent is not None and starts_with_why(text):
            return {}
        return self._links(text)

    def _links(self, text: str) -> dict[str, str]:
        """The http(s) links of ``text`` that anyone can open, by canonical key (the first
        spelling of each); remembered, because ``load`` and the rules both need them."""
        if text not in self._keyed:
            keyed: dict[str, str] = {}
            for link in extract_links(text):
                if members_only(link):
                    continue
                try:
                    keyed.setdefault(canonical_url(link), link)
                except NotHttpUrl:
                    continue
            self._keyed[text] = keyed
        return self._keyed[text]

    def mark_processed(self, event_id: str) -> bool:
        """Record an event id; False when it was applied before (a redelivery)."""
        return self.facts.mark_processed(event_id)

    def finish(self) -> None:
        """Write the new rows, then re-derive every item touched so far (once each, however
        many events touched it)."""
        self.facts.write()
        self.touched = {self.facts.stored_id(item_id) for item_id in self.touched}
        self._recompute(self.touched)

    def settled(self, outcome: Outcome) -> Outcome:
        """``outcome`` with the stored ids of the items it names (call after ``finish``)."""
        ids = sorted(self.facts.stored_id(item_id) for item_id in outcome.item_ids)
        return replace(outcome, item_ids=tuple(ids))

    def record(self, event: ChatEvent, digests: list[DigestConfig] | None = None) -> None:
        """Store the facts of ``event``; ``digests`` forces capture (the "Add to digest"
        shortcut). Items are re-derived by ``finish``."""
        match event:
            case MessagePosted():
                self._posted(event, digests)
            case MessageEdited():
                self._edited(event)
            case UnfurlsAdded():
                self._store_unfurls(event.channel, event.message_id, event.unfurls)
            case MessageDeleted():
                self._deleted(event)
            case ReactionAdded() | ReactionRemoved():
                self._reaction(event)

    def _digests(self, channel: str) -> list[DigestConfig]:
        return self.config.digests_for(channel)

    def _ignored_author(self, author: Author | None) -> bool:
        if author is None or not author.is_bot:
            return False
        found = platform_of(author.id)
        if found is None:
            return True
        return not self.config.platform_settings(found.name, PlatformSettings).capture_bot_messages

    # --- messages ---------------------------------------------------------------------------
    def _posted(self, event: MessagePosted, forced: list[DigestConfig] | None) -> None:
        if self._ignored_author(event.author):
            return
        message = self.facts.message_or_new(event.channel, event.message_id)
        already_seen = message.seen_post
        self._fill_author(message, event.author)
        message.thread_parent = event.thread_parent
        message.posted_at = event.at
        message.permalink = event.permalink
        message.seen_post = True
        if _newer(event.at, message.version_at):
            message.text, message.version_at = event.text, event.at
        self._after_message_change(message, forced, receipts=not already_seen)
        self._store_unfurls(event.channel, event.message_id, event.unfurls)

    def _edited(self, event: MessageEdited) -> None:
        if self._ignored_author(event.author):
            return
        message = self.facts.message_or_new(event.channel, event.message_id)
        if event.author is not None and message.author is None:
            self._fill_author(message, event.author)
        if event.thread_parent and message.thread_parent is None:
            message.thread_parent = event.thread_parent
        if _newer(event.edited_at, message.version_at):
            message.text, message.version_at = event.text, event.edited_at
        if message.author is not None:
            self._after_message_change(message, None, receipts=False)
        self._store_unfurls(event.channel, event.message_id, event.unfurls)

    def _deleted(self, event: MessageDeleted) -> None:
        message = self.facts.message_or_new(event.channel, event.message_id)
        message.deleted = True
        self._after_message_change(message, None, receipts=False)

    def _fill_author(self, message: AnyMessage, author: Author) -> None:
        message.author = author.id
        message.author_name = self._display_name(author) or message.author_name
        message.author_roles = " ".join(author.roles)
        message.author_is_bot = author.is_bot

    def _display_name(self, author: Author) -> str | None:
        """The name the event carries (stored for later events that carry none, and written
        onto earlier shares when it is new or a rename), else the stored one."""
        known = self._names.get(author.id)
        if author.name and author.name != known:
            self.repo.save_person_name(author.id, author.name)
            self._names[author.id] = author.name
        return author.name or known

    def _after_message_change(
        self, message: AnyMessage, forced: list[DigestConfig] | None, receipts: bool
    ) -> None:
        created, again = self._sync_shares(message, forced or self._digests(message.channel))
        if message.thread_parent:
            self._touch_message(message.channel, message.thread_parent)
        if receipts and message.author:
            self._receipt(message, created, again)

    def _sync_shares(
        self, message: AnyMessage, digests: list[DigestConfig]
    ) -> tuple[bool, list[int]]:
        """Make the message's shares match the links in its latest text.

        Returns (a new item was created, the existing items that got a new share).
        """
        # a deleted message's items stay, withdrawn
        keyed = self._shared_links(message.thread_parent, message.text)
        existing = list(self.facts.shares_of_message(message.channel, message.message_id))
        wanted: set[int] = set()
        created, again = False, []
        for digest in digests:
            for key, link in keyed.items():
                item_id, is_new = self.facts.item_id_for(digest.name, key, link)
                share_was_known = any(s.item_id == item_id for s in existing)
                share = self.facts.share_or_new(item_id, message.channel, message.message_id, link)
                share.active = not message.deleted
                share.user, share.user_name = message.author, message.author_name
                share.text, share.shared_at = message.text, message.posted_at or message.version_at
                wanted.add(item_id)
                self.touched.add(item_id)
                created |= is_new and not message.deleted
                if not is_new and not share_was_known and not message.deleted:
                    again.append(item_id)
        for share in existing:
            if share.item_id not in wanted and share.active:
                share.active = False
                self.touched.add(share.item_id)
        return created, again

    def _receipt(self, message: AnyMessage, created: bool, again: list[int]) -> None:
        receipts, where = self.config.receipts, (message.channel, message.message_id)
        published = self._published_before(again) if again and not created else None
        if created:
            self.effects.append(AddReaction(*where, receipts.captured))
        elif receipts.duplicate_mode == "none":
            return
        elif published is not None:  # a reaction cannot say which issue: always a reply
            text = receipts.published_reply.replace("{issue}", published.label())
            self.effects.append(ReplyInThread(*where, text))
        elif again and receipts.duplicate_mode == "reaction":
            self.effects.append(AddReaction(*where, receipts.duplicate))
        elif again and receipts.duplicate_mode == "reply":
            self.effects.append(ReplyInThread(*where, receipts.duplicate_reply))

    def _published_before(self, item_ids: list[int]) -> PublishedIn | None:
        """The issue the first of these items went out in, if one did."""
        issues = self.repo.published_in(self.facts.published_issue_ids(item_ids))
        return next(iter(issues.values()), None)

    def _store_unfurls(self, channel: str, message_id: str, unfurls: Iterable[Unfurl]) -> None:
        """Keep the platform's link preview as fallback metadata for the matching item."""
        previews = {}
        for unfurl in unfurls:
            try:
                previews[canonical_url(unfurl.url)] = unfurl
            except NotHttpUrl:
                continue
        if not previews:
            return
        for share in self.facts.shares_of_message(channel, message_id):
            item = self.facts.item(share.item_id)
            preview = previews.get(item.canonical_url) if item else None
            if item is None or preview is None:
                continue
            item.unfurl_title = preview.title or item.unfurl_title
            item.unfurl_description = preview.description or item.unfurl_description
            item.unfurl_image = preview.image_url or item.unfurl_image
            item.unfurl_site = preview.site_name or item.unfurl_site
            self.touched.add(share.item_id)

    # --- reactions --------------------------------------------------------------------------
    def _reaction(self, event: ReactionAdded | ReactionRemoved) -> None:
        if event.user.is_bot:
            return
        emoji = normalise(event.emoji)
        row, is_new = self.facts.reaction_or_new(
            event.channel, event.message_id, event.user.id, emoji, event.at
        )
        if not is_new and not _newer(event.at, row.changed_at):
            return
        row.present = isinstance(event, ReactionAdded)
        row.changed_at = event.at
        row.user_roles = " ".join(event.user.roles)
        row.user_is_bot = event.user.is_bot
        self._touch_message(event.channel, event.message_id)

    def _touch_message(self, channel: str, message_id: str) -> None:
        for share in self.facts.shares_of_message(channel, message_id):
            self.touched.add(share.item_id)

    # --- derivation -------------------------------------------------------------------------
    def _recompute(self, item_ids: Iterable[int]) -> None:
        rederive(self.config, self.repo, item_ids)


class ItemView(Protocol):
    """What the rules read of an item: a stored ``Item`` or a plain row of its columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def url(self) -> str: ...
    @property
    def final_url(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def unfurl_title(self) -> str | None: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def published_issue_id(self) -> int | None: ...
    @property
    def suggested_section(self) -> str | None: ...


# The columns of the curation state ``derive`` gives, all written by ``_changes``.
DERIVED = (
    "status", "featured", "votes", "why", "why_by", "note", "section", "section_source",
    "title_override", "summary_override", "image_override", "reactor_count", "reply_count",
    "participant_count", "channel_count", "platform_count", "position", "first_shared_at",
    "first_shared_by", "approved_at",
)  # fmt: skip
# What ``rederive`` reads of an item: its digest, what the rules read, the state they write.
READ = (
    "digest", "url", "final_url", "title", "unfurl_title", "summary", "published_issue_id",
    "suggested_section", *DERIVED,
)  # fmt: skip


def items_facts(repo: Repo, items: Sequence[ItemView]) -> dict[int, ItemFacts]:
    """Gather everything the rules look at, for many items in a handful of queries.

    Reactions count on every message that ever shared an item: an editor's ✅ stays in force
    when one of several sharing messages is deleted (a withdrawn item leaves the queue anyway).
    """
    ids = [item.id for item in items if item.id is not None]
    shares = repo.share_records(ids)
    every = {(s.channel, s.message_id) for s in shares}
    active = {(s.channel, s.message_id) for s in shares if s.active}
    messages = {(m.channel, m.message_id): m for m in repo.message_records(active) if not m.deleted}
    replies_to: dict[tuple[str, str], list[MessageFact]] = defaultdict(list)
    for reply in repo.replies_to(messages.keys()):
        if (reply.channel, reply.message_id) not in messages:
            replies_to[(reply.channel, reply.thread_parent or "")].append(_message_fact(reply))
    reactions_on: dict[tuple[str, str], list[ReactionFact]] = defaultdict(list)
    for r in repo.reaction_records(every):
        reactions_on[(r.channel, r.message_id)].append(
            reaction_fact(r.user, r.user_roles, r.user_is_bot, r.emoji, r.changed_at)
        )
    decisions: dict[int, list[DecisionFact]] = defaultdict(list)
    for d in repo.decisions_of_items(ids):
        decisions[d.item_id].append(DecisionFact(d.actor, d.action, d.value, d.at))
    shares_of: dict[int, list[Record]] = defaultdict(list)
    for share in shares:
        shares_of[share.item_id].append(share)
    issues = repo.published_in(item.published_issue_id for item in items)
    facts = {}
    for item in items:
        assert item.id is not None
        own = shares_of[item.id]
        keys = dict.fromkeys((s.channel, s.message_id) for s in own)
        live = [
            messages[(s.channel, s.message_id)]
            for s in own
            if s.active and (s.channel, s.message_id) in messages
        ]
        facts[item.id] = ItemFacts(
            url=item.final_url or item.url,
            title=item.title or item.unfurl_title,
            summary=item.summary,
            published=item.published_issue_id is not None,
            shares=tuple(_message_fact(m) for m in live),
            replies=tuple(reply for m in live for reply in replies_to[(m.channel, m.message_id)]),
            reactions=tuple(fact for key in keys for fact in reactions_on[key]),
            decisions=tuple(decisions[item.id]),
            suggested_section=item.suggested_section,
            first_share=min(
                ((s.shared_at, s.user) for s in own),
                key=lambda pair: pair[0] or datetime.max.replace(tzinfo=UTC),
                default=None,
            ),
            published_at=_issue_date(issues, item.published_issue_id),
        )
    return facts


def _issue_date(issues: dict[int, PublishedIn], issue_id: int | None) -> datetime | None:
    found = issues.get(issue_id) if issue_id is not None else None
    return found.date if found else None


def _message_fact(message: Message | Record) -> MessageFact:
    return MessageFact(
        channel=message.channel,
        message_id=message.message_id,
        author=message.author,
        author_roles=tuple(message.author_roles.split()),
        text=message.text,
        at=message.version_at or message.posted_at,
        thread_parent=message.thread_parent,
    )


def recompute_item(config: Config, repo: Repo, item: Item) -> None:
    """Re-derive and store one item's curation state from its facts."""
    recompute_items(config, repo, [item])


def recompute_items(config: Config, repo: Repo, items: list[Item]) -> None:
    """Re-derive and store the curation state of ``items`` from their facts (the objects get
    the new values too)."""
    rederive(config, repo, (item.id for item in items if item.id is not None))


def rederive(config: Config, repo: Repo, item_ids: Iterable[int]) -> None:
    """Re-derive and store the curation state of these items from their stored facts: read as
    plain rows, written with one UPDATE per set of changed columns."""
    repo.flush()
    items = repo.item_records(set(item_ids), READ)
    facts = items_facts(repo, items)
    changes: dict[int, dict[str, object]] = {}
    for item in items:
        try:
            digest = config.digest(item.digest)
        except KeyError:
            continue  # a digest removed from the config: keep the item as it was
        if changed := _changes(item, facts[item.id], derive(facts[item.id], digest)):
            changes[item.id] = changed
    repo.update_items(changes)


def _changes(item: Record, facts: ItemFacts, state: Derived) -> dict[str, object]:
    """The derived fields that changed, and ``updated_at`` if any did."""
    values: dict[str, object] = {
        "status": state.status,
        "featured": state.featured,
        "votes": state.votes,
        "why": state.why,
        "why_by": state.why_by,
        "note": state.note,
        "section": state.section,
        "section_source": state.section_source,
        "title_override": state.title_override,
        "summary_override": state.summary_override,
        "image_override": state.image_override,
        "reactor_count": state.engagement.reactors,
        "reply_count": state.engagement.replies,
        "participant_count": state.engagement.participants,
        "channel_count": state.engagement.channels,
        "platform_count": state.engagement.platforms,
        "position": state.position,
    }
    first = min(facts.shares, key=lambda s: s.at or datetime.max.replace(tzinfo=UTC), default=None)
    if first is not None:
        values.update(first_shared_at=first.at, first_shared_by=first.author)
    elif facts.first_share is not None:  # withdrawn: when and by whom it was shared at all
        values.update(first_shared_at=facts.first_share[0], first_shared_by=facts.first_share[1])
    if item.status != ItemStatus.approved and state.status == ItemStatus.approved:
        values["approved_at"] = utcnow()
    changed = {name: value for name, value in values.items() if getattr(item, name) != value}
    if changed:
        changed["updated_at"] = utcnow()
    return changed
