"""Logs: one INFO line per thing a person cares about, library chatter only when it matters.

``log_event`` writes those lines (captures, decisions, previews, publishes, enrichment
failures); ``--log-format json`` writes each record as one JSON object per line with ``ts``,
``level``, ``logger``, ``msg`` and the event's own fields (``event``, ``item``, ``digest``…).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.events import (
    AddReaction,
    ChatEvent,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    Outcome,
    ReactionAdded,
    ReactionRemoved,
)
from bot.platforms import every

# Libraries that log their own housekeeping at INFO (APScheduler's "Running job" pair every
# tick, uvicorn's start-up banner and its access log of every health probe, the chat SDKs'
# connection chatter, named by each platform's ``quiet_loggers``): only their warnings and
# errors are ours to read. ``--verbose`` shows all.
QUIET_LIBRARIES = (
    "apscheduler",
    "uvicorn",
    "uvicorn.error",  # uvicorn sets these two itself when given a log level
    "uvicorn.access",
    "httpx",
    "httpcore",
    "aiohttp",
    "websockets",
    "alembic",
    "sqlalchemy",
    "trafilatura",
    "asyncio",
)
# Start-up warnings the SDKs print every time although nothing is wrong for a text-only bot.
EXPECTED_WARNINGS = (
    "PyNaCl is not installed, voice will NOT be supported",
    "davey is not installed, voice will NOT be supported",
    "As you gave `client` as well, `token` will be unused.",  # a chat SDK: we pass both
)
_FIELDS = "linkletter_fields"
log = logging.getLogger("bot.activity")


def log_event(logger: logging.Logger, event: str, message: str, /, **fields: Any) -> None:
    """One INFO line: ``message`` formatted with ``fields`` (``"item {item} captured"``); the
    JSON form carries ``event`` and each field as its own key."""
    logger.info(message.format(**fields), extra={_FIELDS: {"event": event, **fields}})


def activity_logger(captured_emoji: str) -> Callable[[ChatEvent, Outcome], None]:
    """A ``CurationService`` listener: one line for each new event that changed an item (a
    link captured or shared again, a reaction, an edit or a deletion). Repeated deliveries and
    chatter without links say nothing."""

    def log_outcome(event: ChatEvent, outcome: Outcome) -> None:
        if outcome.duplicate or not outcome.item_ids:
            return
        items = ", ".join(map(str, outcome.item_ids))
        where = {"channel": event.channel, "message_id": event.message_id, "items": items}
        if isinstance(event, MessagePosted):
            new = any(
                isinstance(e, AddReaction) and e.emoji == captured_emoji for e in outcome.effects
            )
            what = "captured" if new else "updated"
            user = event.author.name or event.author.id
            log_event(
                log, what, f"item {{items}} {what}: {{user}} in {{channel}}", user=user, **where
            )
        elif isinstance(event, ReactionAdded | ReactionRemoved):
            verb = "reacted" if isinstance(event, ReactionAdded) else "took back"
            user = event.user.name or event.user.id
            log_event(
                log,
                "reaction",
                f"item {{items}}: {{user}} {verb} :{{emoji}}: in {{channel}}",
                user=user,
                emoji=event.emoji,
                **where,
            )
        elif isinstance(event, MessageEdited | MessageDeleted):
            what = "edited" if isinstance(event, MessageEdited) else "deleted"
            log_event(log, what, f"item {{items}}: its message in {{channel}} was {what}", **where)

    return log_outcome


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _DropExpected(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.WARNING and record.getMessage() in EXPECTED_WARNINGS)


def configure(level: int, json_lines: bool, verbose: bool = False) -> None:
    """Root handler on stderr at ``level``; libraries at WARNING unless ``verbose``."""
    handler = logging.StreamHandler()
    formatter = (
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(formatter)
    if not verbose:
        handler.addFilter(_DropExpected())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else level)
    for name in (*QUIET_LIBRARIES, *(n for p in every() for n in p.quiet_loggers)):
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
