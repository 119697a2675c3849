"""The signed webhook: a receiver verifies every delivery; retries on timeouts, 5xx and 429."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp import web

from bot.deliver.services.build import PlatformError, verify_signature
from bot.deliver.services.settings import WebhookSettings
from bot.deliver.services.webhook import WebhookDestination, sign
from bot.digest.render import render_json
from tests.destinations.conftest import WEBHOOK_SECRET, Running, Waits
from tests.destinations.fakes import Handler, WebhookReceiver, serve
from tests.digest.issues import realistic_issue

KEY = "weekly:12:webhook:partners:0"


def destination(url: str, waits: Waits, timeout: float = 5) -> WebhookDestination:
    settings = WebhookSettings(
        kind="webhook", url=url, secret_env="HOOK_SECRET", timeout_seconds=timeout
    )
    return WebhookDestination("webhook:partners", settings, waits.policy())


@pytest.mark.usefixtures("secrets")
async def test_receiver_verifies_and_gets_the_documented_json(
    receiver: Running[WebhookReceiver], waits: Waits
) -> None:
    issue = realistic_issue()
    hook = destination(receiver.url, waits)
    [part] = hook.parts(issue)
    assert await hook.post(part, KEY) == KEY
    assert receiver.fake.rejected == 0
    assert receiver.fake.deliveries == {KEY: json.loads(render_json(issue))}
    assert receiver.fake.deliveries[KEY]["schema_version"] == 1


@pytest.mark.usefixtures("secrets")
async def test_a_wrong_secret_is_rejected_by_the_receiver(
    receiver: Running[WebhookReceiver], waits: Waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "not-the-shared-secret")
    hook = destination(receiver.url, waits)
    with pytest.raises(PlatformError, match="HTTP 401: bad signature"):
        await hook.post(hook.parts(realistic_issue())[0], KEY)
    assert (receiver.fake.rejected, receiver.fake.deliveries, waits.delays) == (1, {}, [])


async def test_missing_secret_is_reported_by_name(waits: Waits) -> None:
    hook = destination("http://127.0.0.1:9/hook", waits)
    with pytest.raises(PlatformError, match="HOOK_SECRET is not set"):
        await hook.post("{}", KEY)


@pytest.mark.usefixtures("secrets")
async def test_retries_5xx_with_backoff_then_delivers_once(
    receiver: Running[WebhookReceiver], waits: Waits
) -> None:
    receiver.fake.outages.script(2)
    hook = destination(receiver.url, waits)
    await hook.post(hook.parts(realistic_issue())[0], KEY)
    assert waits.delays == [1.0, 2.0]
    assert list(receiver.fake.deliveries) == [KEY]


@pytest.mark.usefixtures("secrets")
async def test_429_retry_after_is_honoured_with_at_most_three_retries(
    receiver: Running[WebhookReceiver], waits: Waits
) -> None:
    """Reliability row 6: 429 with Retry-After: 7 -> next call >= 7 s later, <= 3 retries."""
    receiver.fake.outages.script(10, 429, {"Retry-After": "7"})
    hook = destination(receiver.url, waits)
    with pytest.raises(PlatformError, match="HTTP 429"):
        await hook.post(hook.parts(realistic_issue())[0], KEY)
    assert waits.delays == [7.0, 7.0, 7.0]
    assert len(receiver.fake.outages.arrivals) == 4  # the first call and three retries


@pytest.mark.usefixtures("secrets")
async def test_retry_after_longer_than_the_cap_fails_now(
    receiver: Running[WebhookReceiver], waits: Waits
) -> None:
    receiver.fake.outages.script(1, 429, {"Retry-After": "3600"})
    hook = destination(receiver.url, waits)
    with pytest.raises(PlatformError, match="asked to wait 3600 s"):
        await hook.post(hook.parts(realistic_issue())[0], KEY)
    assert waits.delays == []


@pytest.mark.usefixtures("secrets")
async def test_a_4xx_is_not_retried(waits: Waits) -> None:
    async def refuse(_: web.Request) -> web.Response:
        return web.json_response({"message": "unknown digest"}, status=422)

    app = web.Application()
    app.router.add_post("/hook", refuse)
    async with serve(app) as url:
        with pytest.raises(PlatformError, match="HTTP 422: unknown digest"):
            await destination(f"{url}/hook", waits).post("{}", KEY)
    assert waits.delays == []


@pytest.mark.usefixtures("secrets")
async def test_timeouts_are_retried_and_the_receiver_dedupes_on_the_delivery_key(
    waits: Waits,
) -> None:
    """The first call reaches the receiver but answers too late: the retry carries the same
    ``X-Linkletter-Delivery``, so the receiver keeps one copy."""
    receiver = WebhookReceiver(WEBHOOK_SECRET)
    slow = {"left": 1}

    @web.middleware
    async def stall_once(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await receiver.receive(request)
        if slow["left"]:
            slow["left"] -= 1
            await asyncio.sleep(0.5)
        return response

    app = web.Application(middlewares=[stall_once])
    app.router.add_post("/hook", receiver.receive)
    async with serve(app) as url:
        await destination(f"{url}/hook", waits, timeout=0.2).post("{}", KEY)
    assert receiver.requests == 2
    assert list(receiver.deliveries) == [KEY]
    assert waits.delays == [1.0]


def test_verify_signature_accepts_only_fresh_untampered_bodies() -> None:
    """The receiver helper (reliability row 1's checks): valid -> True; bad HMAC, missing
    header, timestamp off by 301 s -> False."""
    now = float(int(time.time()))
    timestamp, body = str(int(now)), b'{"number": 12}'
    good = sign(WEBHOOK_SECRET, timestamp, body)
    assert good.startswith("v1=")
    assert len(good) == 3 + 64
    assert verify_signature(WEBHOOK_SECRET, timestamp, body, good, now=now)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, body + b" ", good, now=now)
    assert not verify_signature("other", timestamp, body, good, now=now)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, body, "", now=now)
    assert not verify_signature(WEBHOOK_SECRET, "", body, good, now=now)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, body, good, now=now + 301)
    assert not verify_signature(WEBHOOK_SECRET, timestamp, body, good, now=now - 301)
    assert verify_signature(WEBHOOK_SECRET, timestamp, body, good, now=now + 300)


def test_signature_is_hmac_sha256_of_version_timestamp_and_body() -> None:
    """Pinned to ``printf 'v1:1700000000:{}' | openssl dgst -sha256 -hmac s3cret``."""
    expected = "v1=633c6f41626acf10d3a7dd2a4cb211c5bd6cbd7ae8ca3d212385da9d55734997"
    assert sign("s3cret", "1700000000", b"{}") == expected


@pytest.mark.usefixtures("secrets")
async def test_an_unreachable_receiver_is_retried_then_reported(waits: Waits) -> None:
    async with serve(web.Application()) as url:
        pass  # the port is free again: connections are refused
    with pytest.raises(PlatformError, match="delivery: cannot connect"):
        await destination(f"{url}/hook", waits).post("{}", KEY)
    assert waits.delays == [1.0, 2.0, 4.0]
