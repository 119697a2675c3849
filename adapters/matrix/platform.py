"""``bot.platform.Platform`` for Matrix. Imports nothing heavy: the SDK loads inside methods."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.platform import Check, Connection, IdRules, Importer

if TYPE_CHECKING:
    import typer

    from bot.config import Config
    from bot.digest.model import CompiledIssue
    from bot.events import ChatEvent
    from bot.platform import DemoChat, DemoUsers
    from bot.platform_settings import PlatformSettings
    from bot.ports import ChatPublisher, Core

NAME = "matrix"
# Room ids are opaque: ``!id:server`` up to room version 11, ``!id`` from version 12.
_SERVER = r"(?::[A-Za-z0-9.\-\[\]]+(?::\d{1,5})?)"
ROOM = re.compile(rf"![A-Za-z0-9._~+/=\-]+{_SERVER}?|#[^\s:#]+{_SERVER}")
EDITOR = re.compile(rf"@[A-Za-z0-9._=\-/+]+{_SERVER}|power:\d{{1,3}}")

# Media on a homeserver needs an access token (authenticated media, spec v1.11).
_MEDIA_PATHS = ("/_matrix/media/", "/_matrix/client/v1/media/")

IDS = IdRules(
    channel=ROOM,
    editor=EDITOR,
    channel_forms=("!<room id>", "#<alias>:<server>"),
    editor_forms=("@<user>:<server>", "power:<level>"),
    channel_hint="Element: Room settings -> Advanced -> Internal room ID",
    editor_hint="power:<level>: everyone with at least that power level in the room",
    channel_example="!AbCdEfGhIjKlMnOp:example.org",
    editor_example="@editor:example.org",
)


def position_key(position: str) -> int:
    """Checkpoints are ``<sequence>:<sync token>`` (sync tokens are opaque): by sequence; -1
    for anything else."""
    sequence = position.partition(":")[0]
    return int(sequence) if sequence.isdigit() else -1


def _sources(config: Config) -> list[str]:
    return sorted({c for d in config.digests for c in d.sources if c.startswith(f"{NAME}:")})


def _publish_to(config: Config) -> list[str]:
    return sorted({c for d in config.digests for c in d.publish_to if c.startswith(f"{NAME}:")})


class MatrixPlatform:
    name = NAME
    label = "Matrix"
    ids = IDS
    env_template = """\
MATRIX_HOMESERVER_URL=
MATRIX_ACCESS_TOKEN=
# or, instead of a token, log in with a password:
# MATRIX_USER_ID=@linkletter:example.org
# MATRIX_PASSWORD=
# MATRIX_DEVICE_ID=LINKLETTER
"""
    token_variable = "MATRIX_HOMESERVER_URL"  # noqa: S105 - the variable's name, not a secret

    @property
    def settings_model(self) -> type[PlatformSettings]:
        from bot.platform_settings import PlatformSettings

        return PlatformSettings

    quiet_loggers = ("mau", "aiohttp")

    def connect(
        self, core: Core, config: Config, channels: list[str], env: Mapping[str, str]
    ) -> Connection:
        from adapters.matrix.connection import MatrixConnection
        from adapters.matrix.settings import MatrixSettings

        editors = [e for d in config.digests for e in d.editors]
        return MatrixConnection(
            core,
            MatrixSettings.from_env(env),
            channels,
            publish_to=_publish_to(config),
            editors=editors,
        )

    def publisher(self, env: Mapping[str, str]) -> AbstractAsyncContextManager[ChatPublisher]:
        return _publisher(env)

    def render(self, issue: CompiledIssue) -> list[dict[str, Any]]:
        from adapters.matrix.render import render_matrix

        return render_matrix(issue)

    def text_message(self, text: str) -> dict[str, Any]:
        from adapters.matrix.render import text_notice

        return text_notice(text)

    async def doctor(self, config: Config, env: Mapping[str, str]) -> list[Check]:
        from adapters.matrix.doctor import run_checks

        return await run_checks(env, _sources(config), _publish_to(config))

    def position_key(self, position: str) -> int:
        return position_key(position)

    def importers(self) -> tuple[Importer, ...]:
        return ()  # no export format yet: a first start reads the rooms' recent history

    def cli(self) -> typer.Typer | None:
        return None

    def members_only(self, host: str, path: str) -> bool:
        """A homeserver's media (a token is needed to fetch it)."""
        return path.startswith(_MEDIA_PATHS)

    def demo_chat(self, users: DemoUsers, serial: Iterator[int], sink: list[ChatEvent]) -> DemoChat:
        from adapters.matrix.demo import MatrixDemo

        return MatrixDemo(users, serial, sink)


@asynccontextmanager
async def _publisher(env: Mapping[str, str]) -> AsyncIterator[ChatPublisher]:
    from adapters.matrix.publisher import MatrixPublisher
    from adapters.matrix.rooms import Rooms
    from adapters.matrix.settings import MatrixSettings, connected

    async with connected(MatrixSettings.from_env(env)) as client:
        me = str((await client.whoami())["user_id"])
        yield MatrixPublisher(client, Rooms(client), me)


PLATFORM = MatrixPlatform()
