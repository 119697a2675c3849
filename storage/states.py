"""The states the tables' status columns hold, as plain enums: no SQL here, so the CLI can
offer them (``items list --status``) without loading the database layer.

Each member *is* its database string (``StrEnum``), so rows written before these enums existed
read back equal to them. ``storage.models`` re-exports them.
"""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    draft = "draft"
    approved = "approved"
    rejected = "rejected"
    published = "published"
    withdrawn = "withdrawn"  # no share left


class EnrichStatus(StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


class ArchiveStatus(StrEnum):
    """An item's archived copy (``Item.archive_status``; None: not asked for yet)."""

    pending = "pending"
    done = "done"
    failed = "failed"


class IssueState(StrEnum):
    claimed = "claimed"
    published = "published"


class DeliveryState(StrEnum):
    pending = "pending"
    posted = "posted"
    failed = "failed"


class SummarySource(StrEnum):
    """Where an item's summary came from (``Item.summary_source``)."""

    page = "page"  # the page's own description
    main_text = "main-text"  # the start of the page's text (it declared no description)
    unfurl = "unfurl"  # the chat platform's link preview
    assist = "assist"  # the language model
    editor = "editor"


class SectionSource(StrEnum):
    """What placed an item in its section (``Item.section_source``)."""

    override = "override"  # an editor
    hashtag = "hashtag"
    channel = "channel"
    domain = "domain"
    keyword = "keyword"
    suggested = "suggested"  # the assist's suggestion
    default = "default"  # no rule matched
