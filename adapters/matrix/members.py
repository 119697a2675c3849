"""Room state the adapter keeps: display names (``m.room.member``), power levels
(``m.room.power_levels``) and encryption (``m.room.encryption``), from sync and history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.matrix.translate import PLATFORM, ref
from bot.events import Author

POWER_PREFIX = f"{PLATFORM}:power:"


def power_thresholds(editors: Iterable[str]) -> tuple[int, ...]:
    """The ``matrix:power:N`` editor entries' levels, highest first."""
    found = {int(e.removeprefix(POWER_PREFIX)) for e in editors if e.startswith(POWER_PREFIX)}
    return tuple(sorted(found, reverse=True))


CREATOR_LEVEL = 2**53  # room version 12 creators outrank every power level
FIRST_VERSION_WITH_CREATOR_POWER = 12


def privileged_creators(create: Mapping[str, Any]) -> frozenset[str]:
    """Who created the room, when its version (12 on) gives creators unlimited power; they are
    then absent from ``m.room.power_levels``."""
    content = create.get("content") or {}
    version = str(content.get("room_version", "1"))
    if not version.isdigit() or int(version) < FIRST_VERSION_WITH_CREATOR_POWER:
        return frozenset()
    extra = content.get("additional_creators") or []
    return frozenset([str(create.get("sender")), *(str(user) for user in extra)])


@dataclass
class RoomState:
    names: dict[str, str] = field(default_factory=dict)  # user id -> display name
    power: Mapping[str, Any] = field(default_factory=dict)  # the power levels content
    creators: frozenset[str] = frozenset()
    encrypted: bool = False

    def level(self, user_id: str) -> int:
        if user_id in self.creators:
            return CREATOR_LEVEL
        users = self.power.get("users") or {}
        value = users.get(user_id, self.power.get("users_default", 0))
        return value if isinstance(value, int) else 0

    def needed(self, event_type: str, *, state: bool = False) -> int:
        events = self.power.get("events") or {}
        default = self.power.get("state_default" if state else "events_default", 50 if state else 0)
        value = events.get(event_type, default)
        return value if isinstance(value, int) else 0


class Members:
    """Every joined room's state, and Authors built from it."""

    def __init__(self, thresholds: tuple[int, ...]) -> None:
        self.thresholds = thresholds
        self.rooms: dict[str, RoomState] = {}

    def room(self, room_id: str) -> RoomState:
        return self.rooms.setdefault(room_id, RoomState())

    def learn(self, room_id: str, event: Mapping[str, Any]) -> tuple[str, str] | None:
        """Apply a state event; (user id, new display name) when a known name changed."""
        state = self.room(room_id)
        content = event.get("content")
        if not isinstance(content, Mapping):
            return None
        kind, key = event.get("type"), event.get("state_key")
        if kind == "m.room.power_levels":
            state.power = content
        elif kind == "m.room.create":
            state.creators = privileged_creators(event)
        elif kind == "m.room.encryption":
            state.encrypted = True
        elif kind == "m.room.member" and isinstance(key, str):
            name = content.get("displayname")
            if content.get("membership") == "join" and isinstance(name, str) and name:
                before = state.names.get(key)
                state.names[key] = name
                if before is not None and before != name:
                    return key, name
        return None

    def author(self, room_id: str, user_id: str) -> Author:
        """The user with their display name in the room and the power roles they reach there."""
        state = self.room(room_id)
        return Author(ref(user_id), state.names.get(user_id), self._roles(state.level(user_id)))

    def strongest(self, room_ids: Iterable[str], user_id: str) -> Author:
        """The user as seen in the room where they have the most power (commands from a DM)."""
        rooms = [r for r in room_ids if r in self.rooms] or [""]
        best = max(rooms, key=lambda r: self.room(r).level(user_id))
        return self.author(best, user_id)

    def _roles(self, level: int) -> tuple[str, ...]:
        return tuple(f"{POWER_PREFIX}{t}" for t in self.thresholds if level >= t)
