"""``/linkletter`` sub-commands and buttons, the same on every platform and the CLI.

``COMMANDS`` is the only list of them: each is defined once, with its arguments, its help, who
may run it and its handler. The help text is written from it, ``CommandHandler`` dispatches by
looking a name up in it, and the adapters map their native invocations onto it (a text command
through ``parse_command_text``, sub-commands registered by looping over ``listed()``, item
buttons from ``item_buttons()``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.app.logs import log_event
from bot.capture.canonical import NotHttpUrl, canonical_url
from bot.capture.ingest import recompute_item
from bot.capture.links import extract_links
from bot.capture.text import clean_text
from bot.curate.rules import is_editor
from bot.events import MessagePosted
from bot.ports import CommandReply, CommandRequest, QueueEntry
from storage.models import Decision, Item, ItemStatus

if TYPE_CHECKING:
    from bot.config import Config, DigestConfig
    from bot.events import Author, ChatEvent, Outcome
    from storage.repo import Repo
    from storage.unit import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_OPS = "Publishing is not running in this process."
REFUSAL = "Sorry, only this digest's editors can do that. Ask one of them, or share the link here."


class Curation(Protocol):
    """What the commands need of the curation service, which hands itself to
    ``CommandHandler`` (so this module does not import the service)."""

    @property
    def config(self) -> Config: ...

    async def run(self, work: Callable[[Repo], T]) -> T:
        """``work`` in one transaction, with the items' queries."""
        ...

    async def write(self, work: Callable[[UnitOfWork], T]) -> T:
        """``work`` in one unit of work."""
        ...

    def apply(
        self, uow: UnitOfWork, event: ChatEvent, digests: list[DigestConfig] | None = None
    ) -> Outcome:
        """Capture one event (``digests`` forces capture into them)."""
        ...


class DeskLinks(Protocol):
    """One-time sign-in links to the desk (``bot.curate.signin.SignIn``); blocking."""

    def link_for(self, user: Author) -> str:
        """A link for ``user``; ``PermissionError`` when they edit no digest."""
        ...


class DigestOps(Protocol):
    """Previewing and publishing live with the scheduler; commands only ask for them."""

    async def preview_text(self, digest: str) -> str: ...

    async def publish(self, digest: str, actor: str) -> str: ...


class Access(StrEnum):
    """Who may run a command."""

    anyone = "anyone"
    # The editors of the channel's digest: dispatch refuses anyone else before the handler runs.
    editor = "editor"
    # Decided by the handler once it has found the item: its digest's editors (for ``why``,
    # also the people who shared it).
    item = "item"


class Tone(StrEnum):
    """How an item button looks; each adapter maps it onto its own button styles."""

    go = "go"
    stop = "stop"
    plain = "plain"


Handler = Callable[["CommandHandler", CommandRequest, "DigestConfig"], Awaitable[CommandReply]]


@dataclass(frozen=True, slots=True)
class Command:
    """One command. ``usage`` is its arguments as help shows them and ``note`` what help adds
    after them; ``summary`` is one line of plain text, at most 100 characters (platforms show
    it beside the sub-command, and some allow no more).

    ``listed`` commands are the ones help names and platforms offer as sub-commands; the others
    are decisions on one item, sent by the button labelled ``button`` (looking ``tone``) drawn
    beside each queued item (typing them still works where commands are typed).
    """

    name: str
    usage: str
    summary: str
    access: Access
    handler: Handler
    note: str = ""
    listed: bool = True
    button: str = ""
    tone: Tone = Tone.plain

    def shown(self) -> str:
        """How help writes it: ``add <url> [why]``, then the note."""
        usage = f"`{self.name} {self.usage}`" if self.usage else f"`{self.name}`"
        return f"{usage} {self.note}" if self.note else usage


class CommandHandler:
    def __init__(
        self, service: Curation, ops: DigestOps | None, desk: DeskLinks | None = None
    ) -> None:
        self.service = service
        self.ops = ops
        self.desk = desk

    def _digest(self, request: CommandRequest) -> DigestConfig:
        watched = self.service.config.digests_for(request.channel)
        return watched[0] if watched else self.service.config.digests[0]

    def _editor(self, request: CommandRequest, digest: DigestConfig) -> bool:
        return is_editor(digest, request.user.id, request.user.roles)

    async def handle(self, request: CommandRequest) -> CommandReply:
        """Run the command ``request`` names (an unknown name gets the help)."""
        command = COMMANDS.get(request.name, COMMANDS["help"])
        digest = self._digest(request)
        if command.access is Access.editor and not self._editor(request, digest):
            return CommandReply(REFUSAL)
        return await command.handler(self, request, digest)

    async def _help(self, _request: CommandRequest, _digest: DigestConfig) -> CommandReply:
        return CommandReply(HELP)

    async def _add(self, request: CommandRequest, digest: DigestConfig) -> CommandReply:
        if isinstance(request.message, MessagePosted):
            event = request.message
        else:
            links = extract_links(request.args)
            if not links:
                return CommandReply("Give me a link: `/linkletter add https://… why it matters`")
            why = request.args.replace(links[0], "", 1).strip()
            text = f"{links[0]}\nwhy: {why}" if why else links[0]
            event = MessagePosted(
                event_id=f"cmd:add:{request.user.id}:{links[0]}",
                channel=request.channel,
                message_id=f"add:{request.user.id}:{links[0]}",
                author=request.user,
                text=text,
                at=datetime.now(UTC),
            )

        def add(uow: UnitOfWork) -> str:
            repo = uow.items
            known = {
                item.id
                for link in extract_links(event.text)
                if (item := find_item(repo, digest, link))
            }
            outcome = self.service.apply(uow, event, [digest])
            if outcome.duplicate:
                return "Already in the queue."
            items = [item for i in outcome.item_ids if (item := repo.item(i)) is not None]
            return (
                "\n".join(_added(digest, item, item.id in known) for item in items)
                or "No link found."
            )

        return CommandReply(await self.service.write(add))

    async def _why(self, request: CommandRequest, digest: DigestConfig) -> CommandReply:
        target, _, text = request.args.strip().partition(" ")
        if not text.strip():
            return CommandReply("Usage: `why <item id or url> <why this matters>`")

        def record(repo: Repo) -> str:
            item = find_item(repo, digest, target)
            if item is None:
                return f"No item {target!r} in {digest.name}."
            sharers = {s.user for s in repo.shares_of_item(item.id or 0)}
            editor = self._editor(request, digest)
            if not editor and request.user.id not in sharers:
                return REFUSAL
            action = "why" if editor else "sharer-why"
            value = text.strip()
            if value.lower() == "accept":  # take the assist's suggestion (shown in the preview)
                if not editor or not item.suggested_why:
                    return "There is no suggested why for an editor to accept on this item."
                value = item.suggested_why
            return decide(self.service, repo, item, request.user.id, action, value)

        return CommandReply(await self.service.run(record))

    async def _decision(self, request: CommandRequest, _digest: DigestConfig) -> CommandReply:
        """A button or command on an item of any digest, by that digest's editors."""
        config = self.service.config

        def record(repo: Repo) -> str:
            target = request.args.strip()
            item = find_item(repo, None, target)
            if item is None:
                return f"No item {target!r}."
            if not self._editor(request, config.digest(item.digest)):
                return REFUSAL
            return decide(self.service, repo, item, request.user.id, request.name, None)

        return CommandReply(await self.service.run(record))

    async def _queue(self, _request: CommandRequest, digest: DigestConfig) -> CommandReply:
        items = await self.service.run(
            lambda repo: repo.items(digest.name, [ItemStatus.draft, ItemStatus.approved], limit=100)
        )
        entries = tuple(_entry(item) for item in items)
        if not entries:
            return CommandReply(f"The *{digest.name}* queue is empty.")
        lines = [f"*{digest.name}*: {len(entries)} waiting"] + [
            f"{e.item_id}. [{e.status}] {e.title} ({e.votes} votes, {e.section})" for e in entries
        ]
        return CommandReply("\n".join(lines), entries=entries)

    async def _mine(self, request: CommandRequest, digest: DigestConfig) -> CommandReply:
        items = await self.service.run(
            lambda repo: repo.items(digest.name, shared_by=request.user.id, limit=50)
        )
        if not items:
            return CommandReply("You have not shared anything yet.")
        return CommandReply("\n".join(f"{i.id}. [{i.status}] {_title(i)}" for i in items))

    async def _status(self, _request: CommandRequest, digest: DigestConfig) -> CommandReply:
        counts = await self.service.run(lambda repo: repo.count_by_status(digest.name))
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no items"
        return CommandReply(f"*{digest.name}*: {summary}.")

    async def _intro(self, request: CommandRequest, digest: DigestConfig) -> CommandReply:
        text = request.args.strip()

        def record(repo: Repo) -> str:
            state = repo.digest_state(digest.name)
            state.intro = None if text.lower() in ("", "clear") else text
            return "Intro cleared." if state.intro is None else "Intro saved for the next issue."

        return CommandReply(await self.service.run(record))

    async def _desk(self, request: CommandRequest, _digest: DigestConfig) -> CommandReply:
        """A one-time sign-in link to the desk, for the caller's eyes only."""
        if self.desk is None:
            return CommandReply("The desk is not running in this process.")
        link = await asyncio.to_thread(self.desk.link_for, request.user)
        return CommandReply(
            "Your sign-in link to the desk (works once, for 15 minutes; keep it to yourself):"
            f"\n{link}"
        )

    async def _preview(self, _request: CommandRequest, digest: DigestConfig) -> CommandReply:
        if self.ops is None:
            return CommandReply(NO_OPS)
        return CommandReply(await self.ops.preview_text(digest.name))

    async def _publish(self, request: CommandRequest, digest: DigestConfig) -> CommandReply:
        if self.ops is None:
            return CommandReply(NO_OPS)
        if not request.confirmed:
            return CommandReply(
                f"Publish *{digest.name}* now to {', '.join(digest.publish_to) or 'nowhere'}?",
                needs_confirmation=True,
            )
        return CommandReply(await self.ops.publish(digest.name, request.user.id), ephemeral=False)


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command(
            "add",
            "<url> [why]",
            "Add a link to the digest, with why it matters",
            Access.anyone,
            CommandHandler._add,
        ),
        Command(
            "why",
            "<item> <text>",
            "Say why an item matters (its sharers and editors)",
            Access.item,
            CommandHandler._why,
            note="(editors: `why <item> accept` takes the suggestion shown in the preview)",
        ),
        Command("queue", "", "This period's queue (editors)", Access.editor, CommandHandler._queue),
        Command(
            "preview",
            "",
            "The next issue as it stands (editors)",
            Access.editor,
            CommandHandler._preview,
        ),
        Command(
            "publish",
            "",
            "Publish the digest now, after a confirmation (editors)",
            Access.editor,
            CommandHandler._publish,
        ),
        Command(
            "intro",
            "<text>",
            "Set the next issue's intro, or clear it (editors)",
            Access.editor,
            CommandHandler._intro,
        ),
        Command(
            "status", "", "How many items are in each state", Access.anyone, CommandHandler._status
        ),
        Command("mine", "", "What you shared, and its status", Access.anyone, CommandHandler._mine),
        Command(
            "desk",
            "",
            "A private sign-in link to the editors' desk in the browser (editors)",
            Access.editor,
            CommandHandler._desk,
        ),
        Command(
            "help", "", "What Linkletter does and its commands", Access.anyone, CommandHandler._help
        ),
        *(
            Command(
                name,
                "<item>",
                f"{label} an item (editors)",
                Access.item,
                CommandHandler._decision,
                listed=False,
                button=label,
                tone=tone,
            )
            for name, label, tone in (
                ("approve", "Approve", Tone.go),
                ("reject", "Reject", Tone.stop),
                ("feature", "Feature", Tone.plain),
            )
        ),
    )
}


def listed() -> list[Command]:
    """The commands people type: help names them, platforms offer them as sub-commands."""
    return [command for command in COMMANDS.values() if command.listed]


HELP = f"""*Linkletter* turns the links shared here into the team's newsletter.
• Share a link in a watched channel; reply `why this matters: …` to say why.
• Editors react ✅ approve, ❌ reject, ⭐ feature; everyone else's reactions are votes.
Commands: {", ".join(command.shown() for command in listed())}."""


def item_buttons() -> list[Command]:
    """The decisions drawn as buttons beside each queued item, in order."""
    return [command for command in COMMANDS.values() if command.button]


def parse_command_text(text: str) -> tuple[str, str]:
    """A typed command for any platform that takes text (``/linkletter …``, ``!linkletter …``),
    without its prefix: ``"add https://x why"`` -> ``("add", "https://x why")``. The name is
    case-insensitive; an unknown or missing one is ``("help", "")``."""
    word, _, rest = text.strip().partition(" ")
    name = word.lower()
    return (name, rest.strip()) if name in COMMANDS else ("help", "")


def find_item(repo: Repo, digest: DigestConfig | None, target: str) -> Item | None:
    """An item by id (in any digest when ``digest`` is None) or by URL (in ``digest``)."""
    if target.isdigit():
        item = repo.item(int(target))
        if item is None or (digest is not None and item.digest != digest.name):
            return None
        return item
    if digest is None:
        return None
    try:
        return repo.item_by_url(digest.name, canonical_url(target.strip("<>")))
    except NotHttpUrl:
        return None


class Refused(ValueError):
    """A decision that is not recorded; the message says why and what would be accepted."""


def known_sections(digest: DigestConfig) -> list[str]:
    """The sections an item of ``digest`` can be put in: its rules, the default section and
    the ones its section emoji name."""
    return list(dict.fromkeys([*digest.section_order, *digest.emoji.sections.values()]))


def decide(
    service: Curation, repo: Repo, item: Item, actor: str, action: str, value: str | None
) -> str:
    """Record an explicit decision and re-derive the item (used by chat and the CLI); the
    answer says what changed. An unknown section is ``Refused``."""
    assert item.id is not None
    value = None if value is None else clean_text(value)
    if action == "section" and value is not None:
        value = _section_named(service.config.digest(item.digest), value)
    repo.add(Decision(item_id=item.id, actor=actor, action=action, value=value))
    repo.flush()
    recompute_item(service.config, repo, item)
    log_event(
        log,
        "decision",
        "item {item} {action} by {actor}: now {status}",
        item=item.id,
        action=action,
        actor=actor,
        status=item.status,
        digest=item.digest,
    )
    return _decided(item, action)


def _section_named(digest: DigestConfig, name: str) -> str:
    sections = known_sections(digest)
    for known in sections:
        if known.casefold() == name.strip().casefold():
            return known
    raise Refused(
        f"{digest.name} has no section {name!r}. Known sections: {', '.join(sections)} "
        "(add one under [[digest.sections]] in linkletter.toml)."
    )


def _decided(item: Item, action: str) -> str:
    state = f"{item.status}{' (featured)' if item.featured else ''}"
    if action in ("approve", "reject", "feature"):
        return f"Item {item.id} is now {state}."
    changed = {
        "why": "why this matters",
        "sharer-why": "why this matters",
        "title": "title",
        "summary": "summary",
        "image": "image",
        "section": "section",
    }.get(action, action)
    shown = {"section": item.section, "title": _title(item)}.get(action)
    return f"Item {item.id}: {changed} saved{f' ({shown})' if shown else ''}; it is {state}."


def _added(digest: DigestConfig, item: Item, known: bool) -> str:
    """What ``add`` did to one item: added, shared again, or nothing because it is done."""
    if item.status == ItemStatus.published:
        return f"Item {item.id} was already published in *{digest.name}*; it will not go out again."
    if item.status in (ItemStatus.rejected, ItemStatus.withdrawn):
        return f"Item {item.id} was {item.status} by an editor; your share is noted on it."
    if known:
        return f"Already in the *{digest.name}* queue as item {item.id}; your share was added."
    return f"Added to *{digest.name}* (item {item.id})."


def _title(item: Item) -> str:
    return item.title_override or item.title or item.unfurl_title or item.url


def _entry(item: Item) -> QueueEntry:
    assert item.id is not None
    return QueueEntry(
        item_id=item.id,
        title=_title(item),
        url=item.url,
        why=item.why,
        votes=item.votes,
        section=item.section or "",
        status=item.status,
        featured=item.featured,
        digest=item.digest,
    )
