"""The ``Platform`` protocol: everything a chat platform gives the core.

One package per platform, ``adapters/<name>/``, exposes ``PLATFORM``, an object implementing this
protocol; ``bot.platforms`` finds it by name. Importing ``adapters/<name>/__init__.py`` must stay
cheap (no SDK): the configuration and the CLI's ``--help`` read ``name``, ``ids`` and
``settings_model`` from it; the heavy parts are imported inside the methods that need them.

Identity is always ``<name>:<id>`` (see ``bot.events``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import typer
    from starlette.routing import BaseRoute

    from bot.capture.history import ImportReport
    from bot.config import Config
    from bot.digest.model import CompiledIssue
    from bot.events import ChatEvent
    from bot.platform_settings import PlatformSettings
    from bot.ports import ChatPublisher, Core


@dataclass(frozen=True)
class Check:
    """One line of ``doctor``: ✓/✗ ``name``: ``reason``, and on ✗ the ``fix``."""

    name: str
    ok: bool
    reason: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class IdRules:
    """How a platform writes its ids in ``linkletter.toml`` (the part after ``<name>:``).

    ``channel`` and ``editor`` are full-match patterns; the forms are how messages write them
    (``C…``, ``<user id>``); the hints say how to find an id in the platform's own interface
    (may be empty); the examples are used in messages and by ``linkletter init``. ``group``
    matches the editor ids that name a group of people (a role), not one person: a sign-in
    link is personal, so it is never minted for one.
    """

    channel: re.Pattern[str]
    editor: re.Pattern[str]
    channel_forms: tuple[str, ...]
    editor_forms: tuple[str, ...]
    channel_hint: str
    editor_hint: str
    channel_example: str
    editor_example: str
    group: re.Pattern[str] | None = None


class Connection(Protocol):
    """A live connection to a platform inside ``linkletter run``."""

    @property
    def publisher(self) -> ChatPublisher: ...

    def routes(self) -> Sequence[BaseRoute]:
        """HTTP routes the web server mounts (an events endpoint), open: the adapter checks
        the platform's signatures itself."""
        ...

    async def start(self) -> None:
        """Connect and catch up on what was missed; return once running. ``ValueError`` says
        what the operator must fix (``linkletter run`` stops with that message)."""
        ...

    async def stop(self) -> None: ...

    def is_connected(self) -> bool: ...


class Export(Protocol):
    """An opened history export (see ``bot.capture.history``)."""

    def events(self, watched: Collection[str], report: ImportReport) -> Iterator[ChatEvent]:
        """The events of the ``watched`` channels, counted into ``report`` as they are read."""
        ...


@dataclass(frozen=True)
class Importer:
    """``linkletter import <command> PATH``: a reader of one kind of the platform's exports.

    Building one must stay cheap (``--help`` lists them): ``open`` imports the reader.
    """

    command: str
    help: str  # the command's help
    path_help: str  # the PATH argument's help
    open: Callable[[Path], Export]  # ``NotAnExport`` if the file is not one


# The demo's people on one platform: id -> (display name, role ids).
DemoUsers = Mapping[str, tuple[str, list[str]]]


class DemoChat(Protocol):
    """The platform's side of ``linkletter demo``: builds native payloads as the platform would
    deliver them and puts them through the adapter's real translator, in the order called.

    Message handles are the platform's own message ids (or positions) as text.
    """

    def post(
        self, channel: str, user: str, text: str, at: datetime, reply_to: str | None = None
    ) -> str: ...

    def edit(
        self, channel: str, user: str, message: str, old: str, new: str, at: datetime
    ) -> None: ...

    def delete(self, channel: str, message: str, at: datetime) -> None: ...

    def react(self, channel: str, message: str, user: str, emoji: str, at: datetime) -> None: ...


class Platform(Protocol):
    @property
    def name(self) -> str:
        """The prefix of its ids (``name:…``) and the ``[name]`` table's name."""
        ...

    @property
    def label(self) -> str:
        """How people write its name in a sentence."""
        ...

    @property
    def ids(self) -> IdRules: ...

    @property
    def env_template(self) -> str:
        """Its lines of the ``.env`` template ``linkletter init`` writes (variables, comments)."""
        ...

    @property
    def token_variable(self) -> str:
        """The environment variable whose presence turns the platform on."""
        ...

    @property
    def settings_model(self) -> type[PlatformSettings]:
        """Its ``[name]`` table's model; import it inside (pydantic is not for ``--help``)."""
        ...

    @property
    def quiet_loggers(self) -> tuple[str, ...]:
        """Its SDK's loggers, kept at WARNING unless ``--verbose``."""
        ...

    def connect(
        self, core: Core, config: Config, channels: list[str], env: Mapping[str, str]
    ) -> Connection:
        """The live connection for ``linkletter run``; ``ValueError`` says what to fix."""
        ...

    def publisher(self, env: Mapping[str, str]) -> AbstractAsyncContextManager[ChatPublisher]:
        """A publisher without a live connection (the CLI's ``digest publish``)."""
        ...

    def render(self, issue: CompiledIssue) -> list[dict[str, Any]]:
        """The issue as native message payloads, to post in order."""
        ...

    def text_message(self, text: str) -> dict[str, Any]:
        """A plain notice as one native payload (nothing in it pings anyone)."""
        ...

    async def doctor(self, config: Config, env: Mapping[str, str]) -> list[Check]: ...

    def position_key(self, position: str) -> Any:
        """A sort key for its message positions (checkpoints): later sorts higher."""
        ...

    def importers(self) -> tuple[Importer, ...]:
        """The readers of its history exports (``linkletter import <command>``)."""
        ...

    def cli(self) -> typer.Typer | None:
        """Commands of its own, as ``linkletter <name> …`` (None: it has none)."""
        ...

    def members_only(self, host: str, path: str) -> bool:
        """True for a link that opens only for members (or expires): never a newsletter item.

        ``host`` is lower-case; ``path`` is the URL's path as written.
        """
        ...

    def demo_chat(
        self,
        users: DemoUsers,
        serial: Iterator[int],
        sink: list[ChatEvent],
    ) -> DemoChat:
        """The demo's payload builder: ``serial`` numbers deliveries across platforms,
        translated events are appended to ``sink``."""
        ...
