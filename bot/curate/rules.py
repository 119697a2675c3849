"""Derive an item's curation state from the facts around it.

Pure functions: the same facts give the same state whatever order the events arrived in, so a
redelivered, replayed or shuffled stream converges. Rules (issue 2):

- status: an editor's approve/reject (reaction or command) — the latest one in force wins; a
  removed reaction no longer counts, so removing undoes exactly its effect. Editor ⭐ features
  (and approves). Published is final; an item with no remaining share leaves the queue.
- votes: distinct people whose reactions are not editor curation reactions (a non-editor's ✅
  is a vote), bots excluded.
- why: the latest why by an editor, else by a sharer, else by anyone else.
- section: editor override, hashtag, channel map, domain rule, keyword rule, suggestion, default.
- position: the latest place an editor gave it in its section (the desk's order), if any.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from bot.capture.canonical import domain_of
from bot.capture.links import extract_links, plain_text
from bot.capture.why import split_why, starts_with_why
from bot.config import DigestConfig
from storage.models import ItemStatus, SectionSource

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HASHTAG = re.compile(r"(?<![\w&/#])#([A-Za-z][\w-]{0,49})")
T = TypeVar("T")
VERDICT_STATUS = {"approve": ItemStatus.approved, "reject": ItemStatus.rejected}
_OVERRIDE_REPLY = re.compile(r"^\s*(title|summary|image)\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class MessageFact:
    channel: str
    message_id: str
    author: str | None
    author_roles: tuple[str, ...]
    text: str
    at: datetime | None
    thread_parent: str | None = None


@dataclass(frozen=True, slots=True)
class ReactionFact:
    user: str
    user_roles: tuple[str, ...]
    user_is_bot: bool
    emoji: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DecisionFact:
    actor: str
    action: str
    value: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ItemFacts:
    url: str
    title: str | None
    summary: str | None
    published: bool
    shares: tuple[MessageFact, ...]  # the active sharing messages
    replies: tuple[MessageFact, ...]  # thread replies to those messages
    reactions: tuple[ReactionFact, ...]  # reactions present on any message that shared it
    decisions: tuple[DecisionFact, ...]
    suggested_section: str | None = None
    # (when, who) of the earliest share of all, deleted messages' too: a withdrawn item keeps
    # when and by whom it was shared, however its events were batched
    first_share: tuple[datetime | None, str | None] | None = None


@dataclass(frozen=True, slots=True)
class Derived:
    status: str
    featured: bool
    votes: int
    why: str | None
    why_by: str | None
    note: str | None
    section: str
    section_source: SectionSource
    title_override: str | None
    summary_override: str | None
    image_override: str | None
    position: int | None = None


def is_editor(digest: DigestConfig, user: str | None, roles: Sequence[str] = ()) -> bool:
    if user is None:
        return False
    return user in digest.editors or any(role in digest.editors for role in roles)


def _latest(candidates: Sequence[tuple[datetime, T]]) -> T | None:
    return max(candidates, key=lambda pair: pair[0])[1] if candidates else None


def _curation(facts: ItemFacts, digest: DigestConfig) -> tuple[str, bool, str | None]:
    """(status, featured, section override) from editor reactions and decisions."""
    verdicts: list[tuple[datetime, str]] = []
    features: list[tuple[datetime, bool]] = []
    sections: list[tuple[datetime, str]] = []
    for reaction in facts.reactions:
        if not is_editor(digest, reaction.user, reaction.user_roles):
            continue
        meaning = digest.emoji.meaning(reaction.emoji)
        if meaning in ("approve", "reject"):
            verdicts.append((reaction.at, meaning))
        elif meaning == "feature":
            features.append((reaction.at, True))
            verdicts.append((reaction.at, "approve"))
        elif meaning and meaning.startswith("section:"):
            sections.append((reaction.at, meaning.removeprefix("section:")))
    for decision in facts.decisions:
        if decision.action in ("approve", "reject", "draft"):
            verdicts.append((decision.at, decision.action))
        elif decision.action in ("feature", "unfeature"):
            features.append((decision.at, decision.action == "feature"))
            if decision.action == "feature":
                verdicts.append((decision.at, "approve"))
        elif decision.action == "section" and decision.value:
            sections.append((decision.at, decision.value))
    verdict = _latest(verdicts) or "draft"
    status = VERDICT_STATUS.get(verdict, ItemStatus.draft)
    if facts.published:
        status = ItemStatus.published
    elif not facts.shares:
        status = ItemStatus.withdrawn
    return status, bool(_latest(features)) and status != ItemStatus.rejected, _latest(sections)


def _votes(facts: ItemFacts, digest: DigestConfig) -> int:
    voters = {
        reaction.user
        for reaction in facts.reactions
        if not reaction.user_is_bot
        and not (
            is_editor(digest, reaction.user, reaction.user_roles)
            and digest.emoji.meaning(reaction.emoji) is not None
        )
    }
    return len(voters)


def _why(facts: ItemFacts, digest: DigestConfig) -> tuple[str | None, str | None]:
    """(why, who) — editor beats sharer beats anyone; the latest within a rank wins."""
    sharers = {share.author for share in facts.shares}
    ranked: list[tuple[int, datetime, str, str | None]] = []

    def rank(author: str | None, roles: Sequence[str]) -> int:
        if is_editor(digest, author, roles):
            return 2
        return 1 if author in sharers else 0

    for share in facts.shares:
        why = split_why(share.text).why
        if why:
            level = rank(share.author, share.author_roles)
            ranked.append((level, share.at or _EPOCH, why, share.author))
    for reply in facts.replies:
        if starts_with_why(reply.text):
            why = split_why(reply.text).why
            if why:
                level = rank(reply.author, reply.author_roles)
                ranked.append((level, reply.at or _EPOCH, why, reply.author))
    for decision in facts.decisions:  # commands check rights before recording a decision
        if decision.action in ("why", "sharer-why") and decision.value:
            level = 2 if decision.action == "why" else 1
            ranked.append((level, decision.at, decision.value, decision.actor))
    if not ranked:
        return None, None
    best = max(ranked, key=lambda entry: (entry[0], entry[1]))
    return plain_text(best[2]), best[3]


def _note(facts: ItemFacts) -> str | None:
    """The sharer's words around the link (first share), without the why and the URLs."""
    for share in sorted(facts.shares, key=lambda s: s.at or _EPOCH):
        note = plain_text(split_why(share.text).note)
        for link in extract_links(note):
            note = note.replace(link, " ")
        cleaned = re.sub(r"\[([^\]]*)\]\(\s*\)", r"\1", note)
        cleaned = re.sub(r"\s+", " ", cleaned).strip(" \t\n-–—:")
        if cleaned:
            return cleaned
    return None


def _overrides(facts: ItemFacts, digest: DigestConfig) -> dict[str, str | None]:
    """Editors' ``title:`` / ``summary:`` / ``image:`` replies and commands; the latest wins."""
    found: dict[str, list[tuple[datetime, str]]] = {"title": [], "summary": [], "image": []}
    for reply in facts.replies:
        match = _OVERRIDE_REPLY.match(plain_text(reply.text))
        if match and is_editor(digest, reply.author, reply.author_roles):
            found[match.group(1).lower()].append((reply.at or _EPOCH, match.group(2).strip()))
    for decision in facts.decisions:
        if decision.action in found and decision.value:
            found[decision.action].append((decision.at, decision.value))
    return {key: _latest(values) for key, values in found.items()}


def _hashtags(facts: ItemFacts) -> set[str]:
    texts = [share.text for share in facts.shares]
    return {tag.lower() for text in texts for tag in _HASHTAG.findall(plain_text(text))}


def _section(
    facts: ItemFacts, digest: DigestConfig, override: str | None
) -> tuple[str, SectionSource]:
    if override:
        return override, SectionSource.override
    tags = _hashtags(facts)
    channels = {share.channel for share in facts.shares}
    domain = domain_of(facts.url)
    haystack = " ".join(filter(None, [facts.title, facts.summary, *(s.text for s in facts.shares)]))
    rules: list[tuple[SectionSource, Callable[..., bool]]] = [
        (SectionSource.hashtag, lambda r: any(h.lower().lstrip("#") in tags for h in r.hashtags)),
        (SectionSource.channel, lambda r: bool(channels & set(r.channels))),
        (
            SectionSource.domain,
            lambda r: any(domain == d or domain.endswith("." + d) for d in r.domains),
        ),
        (SectionSource.keyword, lambda r: any(_has_word(haystack, k) for k in r.keywords)),
    ]
    for source, matches in rules:
        for rule in digest.sections:
            if matches(rule):
                return rule.name, source
    if facts.suggested_section:
        return facts.suggested_section, SectionSource.suggested
    return digest.default_section, SectionSource.default


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def _position(facts: ItemFacts) -> int | None:
    places = [
        (decision.at, int(decision.value))
        for decision in facts.decisions
        if decision.action == "position" and decision.value and decision.value.isdigit()
    ]
    return _latest(places)


def derive(facts: ItemFacts, digest: DigestConfig) -> Derived:
    status, featured, section_override = _curation(facts, digest)
    why, why_by = _why(facts, digest)
    section, source = _section(facts, digest, section_override)
    overrides = _overrides(facts, digest)
    return Derived(
        status=status,
        featured=featured,
        votes=_votes(facts, digest),
        why=why,
        why_by=why_by,
        note=_note(facts),
        section=section,
        section_source=source,
        title_override=overrides["title"],
        summary_override=overrides["summary"],
        image_override=overrides["image"],
        position=_position(facts),
    )


def reaction_fact(user: str, roles: str, is_bot: bool, emoji: str, at: datetime) -> ReactionFact:
    """A stored reaction row as a fact (its emoji was normalised when it was stored)."""
    return ReactionFact(user, tuple(roles.split()), is_bot, emoji, at)
