"""Configured rooms: ``matrix:!id:server`` or ``matrix:!id`` (room version 12 ids have no server
part), or an alias ``matrix:#room:server`` resolved once. Events from a room carry the room as
the config wrote it, so ``is_watched`` and the digests' sections see the configured name."""

from __future__ import annotations

from collections.abc import Iterable

from adapters.matrix.client import MatrixClient
from adapters.matrix.translate import PLATFORM, ref


class Rooms:
    def __init__(self, client: MatrixClient, channels: Iterable[str] = ()) -> None:
        self.client = client
        self.configured = sorted({c for c in channels if c.startswith(f"{PLATFORM}:")})
        self._ids: dict[str, str] = {}
        self._names: dict[str, str] = {}

    async def resolve(self) -> None:
        """Look up every configured alias; ``ValueError`` names one that does not exist."""
        for channel in self.configured:
            try:
                self._names[await self.room_id(channel)] = channel
            except Exception as exc:
                raise ValueError(f"cannot resolve {channel}: {exc}") from exc

    async def room_id(self, channel: str) -> str:
        ident = channel.removeprefix(f"{PLATFORM}:")
        if not ident.startswith("#"):
            return ident
        if channel not in self._ids:
            self._ids[channel] = await self.client.resolve_alias(ident)
        return self._ids[channel]

    def channel(self, room_id: str) -> str:
        """The room as the config names it (``matrix:<room id>`` if it is not configured)."""
        return self._names.get(room_id, ref(room_id))

    def is_configured(self, room_id: str) -> bool:
        return room_id in self._names

    def room_ids(self) -> list[str]:
        return list(self._names)
