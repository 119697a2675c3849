"""The receiver snippet in docs/destinations.md accepts Linkletter's real deliveries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.deliver.services.settings import WebhookSettings
from bot.deliver.services.webhook import WebhookDestination
from tests.destinations.conftest import WEBHOOK_SECRET
from tests.destinations.fakes import serve
from tests.digest.issues import realistic_issue

DOC = Path(__file__).resolve().parents[2] / "docs" / "destinations.md"


def receiver_snippet() -> dict[str, Any]:
    section = DOC.read_text(encoding="utf-8").split("### Receiver snippet", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "docs/destinations.md lost its receiver snippet"
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


@pytest.mark.usefixtures("secrets")
async def test_documented_receiver_verifies_and_dedupes_a_real_delivery() -> None:
    captured: list[tuple[Any, bytes]] = []

    async def record(request: web.Request) -> web.Response:
        captured.append((request.headers, await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", record)
    async with serve(app) as url:
        settings = WebhookSettings(kind="webhook", url=f"{url}/hook", secret_env="HOOK_SECRET")
        hook = WebhookDestination("webhook:partners", settings)
        [part] = hook.parts(realistic_issue())
        for _ in range(2):  # a resumed run re-sends the same delivery
            await hook.post(part, "weekly:7:webhook:partners:0")

    snippet = receiver_snippet()
    verify, first_time = snippet["verify_linkletter"], snippet["first_time"]
    (headers, body), (again_headers, _) = captured
    assert verify(WEBHOOK_SECRET, headers, body)
    assert not verify(WEBHOOK_SECRET, headers, body.replace(b'"number"', b'"numbre"'))
    assert not verify("another secret", headers, body)
    late = float(headers["X-Linkletter-Timestamp"]) + 301
    assert not verify(WEBHOOK_SECRET, headers, body, now=late)
    assert [first_time(headers), first_time(again_headers)] == [True, False]
