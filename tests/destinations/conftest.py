"""Running fakes of each platform, and a retry policy that records its waits instead of sleeping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pytest

from bot.deliver.services.build import RetryPolicy
from tests.destinations.fakes import (
    FakeButtondown,
    FakeGhost,
    FakeMailchimp,
    WebhookReceiver,
    serve,
)

T = TypeVar("T")
WEBHOOK_SECRET = "whsec-test-7f3a"
BUTTONDOWN_KEY = "401f7ac837da42b97f613d789819ff93537bee6a"
GHOST_ID, GHOST_SECRET = (
    "6748592f4b9b7700010f6564",
    "b1b5b9c1d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1",
)
MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us6"


@dataclass
class Waits:
    """Stands in for ``asyncio.sleep``: records each wait so tests can check the backoff."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)

    def policy(self, attempts: int = 4) -> RetryPolicy:
        return RetryPolicy(attempts=attempts, sleep=self)


@dataclass
class Running(Generic[T]):
    fake: T
    url: str


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("BUTTONDOWN_API_KEY", BUTTONDOWN_KEY)
    monkeypatch.setenv("GHOST_ADMIN_KEY", f"{GHOST_ID}:{GHOST_SECRET}")
    monkeypatch.setenv("MAILCHIMP_API_KEY", MAILCHIMP_KEY)


@pytest.fixture
async def receiver() -> AsyncIterator[Running[WebhookReceiver]]:
    fake = WebhookReceiver(WEBHOOK_SECRET)
    async with serve(fake.app()) as url:
        yield Running(fake, f"{url}/hook")


@pytest.fixture
async def buttondown() -> AsyncIterator[Running[FakeButtondown]]:
    fake = FakeButtondown(BUTTONDOWN_KEY)
    async with serve(fake.app()) as url:
        yield Running(fake, url)


@pytest.fixture
async def ghost() -> AsyncIterator[Running[FakeGhost]]:
    fake = FakeGhost(GHOST_ID, GHOST_SECRET)
    async with serve(fake.app()) as url:
        yield Running(fake, url)


@pytest.fixture
async def mailchimp() -> AsyncIterator[Running[FakeMailchimp]]:
    fake = FakeMailchimp(MAILCHIMP_KEY)
    async with serve(fake.app()) as url:
        yield Running(fake, url)
