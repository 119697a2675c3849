"""A connection that cannot start for a reason the operator must fix stops ``linkletter run``
with that reason and the platform's name, not a traceback."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import pytest
from starlette.routing import BaseRoute

from bot.app.runner import Adapters, StartupError, _start
from bot.deliver.scheduler import DigestScheduler
from bot.ports import ChatPublisher


class _Refusing:
    """A connection whose start finds a configured room that does not exist."""

    @property
    def publisher(self) -> ChatPublisher:
        raise AssertionError("not needed")

    def routes(self) -> Sequence[BaseRoute]:
        return []

    async def start(self) -> None:
        raise ValueError("cannot resolve #nowhere:example.org: M_NOT_FOUND")

    async def stop(self) -> None:
        return None

    def is_connected(self) -> bool:
        return False


class _Scheduler:
    def start(self) -> None:
        raise AssertionError("the scheduler must not start after a failed connection")


async def test_a_connection_that_cannot_start_is_a_startup_error_naming_its_platform() -> None:
    adapters = Adapters(connections={"matrix": _Refusing()})
    with pytest.raises(StartupError, match=r"^Matrix: cannot resolve #nowhere:example.org"):
        await _start(adapters, cast("DigestScheduler", _Scheduler()))
