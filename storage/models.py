"""Tables. The design rule: store *facts* (messages, reactions, decisions) and *derive* each
item's state (status, why, votes, section) from them, so replays, redeliveries and out-of-order
events converge on the same result.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from storage.states import ArchiveStatus as ArchiveStatus
from storage.states import DeliveryState as DeliveryState
from storage.states import EnrichStatus as EnrichStatus
from storage.states import IssueState as IssueState
from storage.states import ItemStatus as ItemStatus
from storage.states import SectionSource as SectionSource
from storage.states import SummarySource as SummarySource


def utcnow() -> datetime:
    return datetime.now(UTC)


class ProcessedEvent(SQLModel, table=True):
    """A platform event already applied: its id is the durable dedup key."""

    __tablename__ = "processed_event"
    event_id: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    """The latest known version of a chat message in a watched channel."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        Index("ix_message_thread", "channel", "thread_parent"),
        Index("ix_message_author", "author"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=100)
    message_id: str = Field(max_length=100)
    author: str | None = Field(default=None, max_length=100)
    author_name: str | None = None
    author_roles: str = ""  # space-separated role ids, for editor checks
    author_is_bot: bool = False
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    thread_parent: str | None = Field(default=None, max_length=100)
    posted_at: datetime | None = None
    version_at: datetime | None = None  # time of the text we hold: the latest edit wins
    seen_post: bool = False  # the post itself arrived (an edit/delete may come first)
    deleted: bool = False
    permalink: str | None = None


class Reaction(SQLModel, table=True):
    """Whether a user's emoji is on a message now; ``changed_at`` orders add/remove."""

    __tablename__ = "reaction"
    __table_args__ = (UniqueConstraint("channel", "message_id", "user", "emoji"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=100, index=True)
    message_id: str = Field(max_length=100)
    user: str = Field(max_length=100)
    user_roles: str = ""
    user_is_bot: bool = False
    emoji: str = Field(max_length=100)
    present: bool = True
    changed_at: datetime


class Item(SQLModel, table=True):
    """One article in one digest, however many times it was shared."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("digest", "canonical_url"),
        Index("ix_item_digest_status", "digest", "status"),
        Index("ix_item_digest_status_shared", "digest", "status", "first_shared_at"),
        Index("ix_item_enrich", "enrich_status", "enrich_next_at"),
        Index("ix_item_archive", "archive_status", "archive_next_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=100)
    canonical_url: str = Field(max_length=2000)
    url: str = Field(sa_column=Column(Text, nullable=False))
    # derived curation state
    status: str = Field(default=ItemStatus.draft, max_length=20)
    featured: bool = False
    votes: int = 0
    why: str | None = Field(default=None, sa_column=Column(Text))
    why_by: str | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    section: str | None = None
    section_source: str | None = None  # override|hashtag|channel|domain|keyword|suggested|default
    position: int | None = None  # an editor's place for it in its section (the desk's order)
    first_shared_at: datetime | None = None
    first_shared_by: str | None = None
    approved_at: datetime | None = None
    # engagement (issue 21): counted by the rules, weighted by the digest's [digest.score]
    reactor_count: int = 0
    reply_count: int = 0
    participant_count: int = 0
    channel_count: int = 0
    platform_count: int = 0
    published_issue_id: int | None = Field(default=None, index=True)
    merged_into: int | None = None
    # page metadata (enrichment)
    title: str | None = Field(default=None, sa_column=Column(Text))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    summary_source: str | None = None  # page|main-text|unfurl|assist|editor
    image_url: str | None = Field(default=None, sa_column=Column(Text))
    site_name: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    lang: str | None = Field(default=None, max_length=20)
    word_count: int | None = None
    final_url: str | None = Field(default=None, sa_column=Column(Text))
    declared_canonical: str | None = Field(default=None, sa_column=Column(Text))
    main_text: str | None = Field(default=None, sa_column=Column(Text))
    unfurl_title: str | None = Field(default=None, sa_column=Column(Text))
    unfurl_description: str | None = Field(default=None, sa_column=Column(Text))
    unfurl_image: str | None = Field(default=None, sa_column=Column(Text))
    unfurl_site: str | None = None
    # editor overrides of page metadata (derived from decisions and editor replies)
    title_override: str | None = Field(default=None, sa_column=Column(Text))
    summary_override: str | None = Field(default=None, sa_column=Column(Text))
    image_override: str | None = Field(default=None, sa_column=Column(Text))
    # optional AI assist (bot.assist): suggestions never replace an editor's word
    suggested_section: str | None = None
    suggested_why: str | None = Field(default=None, sa_column=Column(Text))
    assist_error: str | None = Field(default=None, sa_column=Column(Text))
    # enrichment queue
    enrich_status: str = Field(default=EnrichStatus.pending, max_length=20)
    enrich_error: str | None = Field(default=None, sa_column=Column(Text))
    enrich_attempts: int = 0
    enrich_next_at: datetime | None = None
    enrich_lease_owner: str | None = None
    enrich_lease_until: datetime | None = None
    # archived copy (storage.archive): None until the queue first takes the item
    archived_url: str | None = Field(default=None, sa_column=Column(Text))
    archive_status: str | None = Field(default=None, max_length=20)
    archive_error: str | None = Field(default=None, sa_column=Column(Text))
    archive_attempts: int = 0
    archive_next_at: datetime | None = None
    archive_lease_owner: str | None = None
    archive_lease_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Share(SQLModel, table=True):
    """A message that shared an item's link. ``active`` goes False on edit-away or delete."""

    __tablename__ = "share"
    __table_args__ = (
        UniqueConstraint("item_id", "channel", "message_id"),
        Index("ix_share_message", "channel", "message_id"),
        Index("ix_share_user", "user"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(index=True)
    channel: str = Field(max_length=100)
    message_id: str = Field(max_length=100)
    user: str | None = Field(default=None, max_length=100)
    user_name: str | None = None
    url: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    shared_at: datetime | None = None
    active: bool = True


class Person(SQLModel, table=True):
    """A chat user's display name as the platform last told it (each adapter says where it
    reads names from). Shares and messages keep a copy of it, rewritten when it changes, so
    every output shows the current name."""

    __tablename__ = "person"
    user: str = Field(primary_key=True, max_length=100)
    name: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Decision(SQLModel, table=True):
    """An explicit editor action from a command, button or the CLI (reactions are facts too)."""

    __tablename__ = "decision"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(index=True)
    actor: str = Field(max_length=100)
    # approve, reject, feature, unfeature, draft, why, sharer-why, title, summary, image, section,
    # position (the desk's order: the item's place in its section)
    action: str = Field(max_length=40)
    value: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = Field(default_factory=utcnow)


class Checkpoint(SQLModel, table=True):
    """The last message seen per channel, so a restarted adapter can backfill the gap."""

    __tablename__ = "checkpoint"
    channel: str = Field(primary_key=True, max_length=100)
    position: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=utcnow)


class DigestState(SQLModel, table=True):
    """Per-digest editor text for the next issue."""

    __tablename__ = "digest_state"
    digest: str = Field(primary_key=True, max_length=100)
    intro: str | None = Field(default=None, sa_column=Column(Text))
    outro: str | None = Field(default=None, sa_column=Column(Text))
    preview_sent_for: str | None = None  # period key whose preview went out
    settled_period: str | None = None  # latest period found empty or missed (not retried)


class Issue(SQLModel, table=True):
    """A claimed or published issue. The unique (digest, period) row is the publish claim."""

    __tablename__ = "issue"
    __table_args__ = (
        UniqueConstraint("digest", "period"),
        UniqueConstraint("digest", "number"),
    )
    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=100)
    # e.g. 2026-11-23T09:00 in the digest's zone; manual:<when>:<editor> for a publish on request
    period: str = Field(max_length=100)
    number: int
    title: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default=IssueState.claimed, max_length=20)
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    compiled: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class Delivery(SQLModel, table=True):
    """One message of an issue to one destination; ``key`` makes each post safe to repeat."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("key"),)
    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(index=True)
    destination: str = Field(max_length=200)
    part: int
    key: str = Field(max_length=200)
    platform_message_id: str | None = None
    state: str = Field(default=DeliveryState.pending, max_length=20)
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    posted_at: datetime | None = None


class NewsletterDraft(SQLModel, table=True):
    """A draft on a newsletter platform (Buttondown, Ghost, Mailchimp) for one digest period:
    made at preview time and updated with the final issue at publish, never made twice.

    ``key`` is the marker the platform copy carries (metadata, slug, title), fixed when the
    draft is first attempted; ``attempts`` > 0 with no ``platform_id`` means an attempt may
    have made a draft that was never recorded, so the next one looks for it first."""

    __tablename__ = "newsletter_draft"
    __table_args__ = (UniqueConstraint("digest", "period", "destination"),)
    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=100)
    period: str = Field(max_length=100)  # the issue's period
    destination: str = Field(max_length=200)
    key: str = Field(max_length=200)
    platform_id: str | None = Field(default=None, max_length=200)
    link: str | None = Field(default=None, sa_column=Column(Text))
    attempts: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    saved_at: datetime | None = None


class AssistLog(SQLModel, table=True):
    """Every language-model call, with its prompt and output, for audit and the token budget."""

    __tablename__ = "assist_log"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int | None = Field(default=None, index=True)
    feature: str = Field(max_length=20)  # summary|section|why
    model: str = Field(max_length=200)
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    output: str | None = Field(default=None, sa_column=Column(Text))
    error: str | None = Field(default=None, sa_column=Column(Text))
    tokens: int = 0
    at: datetime = Field(default_factory=utcnow, index=True)


class DeskSecret(SQLModel, table=True):
    """A secret the web desk made for itself once (its session signing key): no setting."""

    __tablename__ = "desk_secret"
    name: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class DeskLogin(SQLModel, table=True):
    """A one-time sign-in link to the desk: only its token's SHA-256 is kept; ``used_at`` is
    set when it is redeemed, so a second use is refused."""

    __tablename__ = "desk_login"
    token_hash: str = Field(primary_key=True, max_length=64)
    editor: str = Field(max_length=100)
    roles: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
