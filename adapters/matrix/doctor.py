"""``linkletter doctor`` for Matrix: the token, then each configured room: membership,
encryption, and the power to post (``m.room.message``) and react (``m.reaction``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mautrix.errors import MNotFound

from adapters.matrix.client import MatrixClient
from adapters.matrix.members import RoomState
from adapters.matrix.rooms import Rooms
from adapters.matrix.settings import MatrixSettings, connected
from bot.platform import Check


async def run_checks(
    env: Mapping[str, str], sources: list[str], publish_to: list[str]
) -> list[Check]:
    try:
        settings = MatrixSettings.from_env(env)
    except ValueError as exc:
        return [Check("Matrix settings", False, str(exc), "see docs/matrix.md")]
    try:
        async with connected(settings) as client:
            return await _checks(client, sources, publish_to)
    except Exception as exc:
        return [Check("Matrix token", False, f"{settings.homeserver}: {exc}", _LOGIN_ADVICE)]


_LOGIN_ADVICE = (
    "check MATRIX_HOMESERVER_URL and MATRIX_ACCESS_TOKEN (or MATRIX_USER_ID and MATRIX_PASSWORD); "
    "docs/matrix.md says how to get a token"
)


async def _checks(client: MatrixClient, sources: list[str], publish_to: list[str]) -> list[Check]:
    me = str((await client.whoami())["user_id"])
    checks = [Check("Matrix token", True, f"logged in as {me}")]
    rooms = Rooms(client)
    joined = set(await client.joined_rooms())
    for channel in sorted({*sources, *publish_to}):
        checks += await _room_checks(client, rooms, channel, me, joined, watched=channel in sources)
    return checks


async def _room_checks(
    client: MatrixClient, rooms: Rooms, channel: str, me: str, joined: set[str], *, watched: bool
) -> list[Check]:
    try:
        room_id = await rooms.room_id(channel)
    except Exception as exc:
        return [Check(f"{channel} exists", False, str(exc), "check the alias in linkletter.toml")]
    if room_id not in joined:
        return [
            Check(
                f"{channel} membership",
                False,
                f"{me} is not in the room (never invited, or kicked)",
                f"invite {me} to the room: the bot accepts invites to configured rooms",
            )
        ]
    state = RoomState(power=await _state(client, room_id, "m.room.power_levels"))
    state.encrypted = bool(await _state(client, room_id, "m.room.encryption"))
    checks = [Check(f"{channel} membership", True, "joined")]
    if state.encrypted:
        checks.append(
            Check(
                f"{channel} encryption",
                False,
                "the room is end-to-end encrypted: Linkletter cannot read or post there",
                "use an unencrypted room (encryption cannot be turned off in a room)",
            )
        )
    needs = [("post", "m.room.message")] + ([("react", "m.reaction")] if watched else [])
    for verb, kind in needs:
        level, needed = state.level(me), state.needed(kind)
        checks.append(
            Check(
                f"{channel} may {verb}",
                level >= needed,
                f"power {level}, {kind} needs {needed}",
                f"give {me} power level {needed} in the room (Settings -> Roles & Permissions)",
            )
        )
    return checks


async def _state(client: MatrixClient, room_id: str, kind: str) -> dict[str, Any]:
    """The room's state event content of ``kind``, or {} if it has none."""
    try:
        return await client.state(room_id, kind)
    except MNotFound:
        return {}
