"""``bot.platform.Platform`` for Matrix. Imports nothing heavy: the SDK loads inside methods."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.platform import Check, Connection, IdRules, Importer, PlatformSettings

if TYPE_CHECKING:
    from bot.config import Config
    from bot.digest.model import CompiledIssue
    from bot.ports import ChatPublisher, Core

NAME = "matrix"
# Room ids are opaque: ``!id:server`` up to room version 11, ``!id`` from version 12.
_SERVER = r"(?::[A-Za-z0-9.\-\[\]]+(?::\d{1,5})?)"
ROOM = re.compile(rf"![A-Za-z0-9._~+/=\-]+{_SERVER}?|#[^\s:#]+{_SERVER}")
EDITOR = re.compile(rf"@[A-Za-z0-9._=\-/+]+{_SERVER}|power:\d{{1,3}}")

IDS = IdRules(
    channel=ROOM,
    editor=EDITOR,
    channel_hint="a room id (room settings -> Advanced -> Internal room ID) or #alias:server",
    editor_hint="a user id @name:server, or power:50 for everyone with power level 50 or more",
    channel_example="!AbCdEfGhIjKlMnOp:example.org",
    editor_example="@editor:example.org",
)


def _sources(config: Config) -> list[str]:
    return sorted({c for d in config.digests for c in d.sources if c.startswith(f"{NAME}:")})


def _publish_to(config: Config) -> list[str]:
    return sorted({c for d in config.digests for c in d.publish_to if c.startswith(f"{NAME}:")})


class MatrixPlatform:
    name = NAME
    label = "Matrix"
    ids = IDS
    token_variable = "MATRIX_HOMESERVER_URL"  # noqa: S105  # a variable's name
    settings_model = PlatformSettings
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

    def position_key(self, position: str) -> Any:
        """Checkpoints are ``<sequence>:<token>`` (see ``connection.encode_position``)."""
        sequence = position.partition(":")[0]
        return int(sequence) if sequence.isdigit() else -1

    def importers(self) -> Mapping[str, Callable[[Path], AbstractAsyncContextManager[Importer]]]:
        return {}


@asynccontextmanager
async def _publisher(env: Mapping[str, str]) -> AsyncIterator[ChatPublisher]:
    from adapters.matrix.publisher import MatrixPublisher
    from adapters.matrix.rooms import Rooms
    from adapters.matrix.settings import MatrixSettings, connected

    async with connected(MatrixSettings.from_env(env)) as client:
        me = str((await client.whoami())["user_id"])
        yield MatrixPublisher(client, Rooms(client), me)


PLATFORM = MatrixPlatform()
