"""Fixtures: the fake Slack, a recording core, the real adapter over HTTP or Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack.connection import SlackAdapter
from tests.slack.fake_slack import FakeSlack
from tests.slack.helpers import OTHER, WATCHED, HttpApp, RecordingCore, make_adapter, serve


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as slack:
        slack.add_channel(WATCHED, "links")
        slack.add_channel(OTHER, "random")
        yield slack


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def http_app(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[HttpApp]:
    adapter = make_adapter(fake, core, socket_mode=False)
    await adapter.start()
    async for base in serve(adapter.routes()):
        yield HttpApp(adapter, f"{base}/slack/events")
    await adapter.stop()


@pytest.fixture
async def socket_app(fake: FakeSlack, core: RecordingCore) -> AsyncIterator[SlackAdapter]:
    adapter = make_adapter(fake, core, socket_mode=True)
    await adapter.start()
    await fake.wait_connected()
    yield adapter
    await adapter.stop()
