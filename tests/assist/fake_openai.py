"""A real OpenAI-compatible chat-completions server on 127.0.0.1 whose answers tests script."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer: ``content`` with ``tokens`` used, or a failure mode."""

    content: str = "A fine answer."
    tokens: int = 100
    status: int = 200
    delay: float = 0.0  # seconds before answering (longer than the client's timeout: a hang)
    body: str | None = None  # sent verbatim instead of a chat-completions JSON document
    drip: float = 0.0  # seconds between single bytes of ``body`` (a trickling server)


def good(content: str, tokens: int = 100) -> Reply:
    return Reply(content=content, tokens=tokens)


HTTP_500 = Reply(status=500, body=json.dumps({"error": {"message": "model crashed"}}))
NOT_JSON = Reply(body="<html>Bad gateway</html>")
NO_CHOICES = Reply(body=json.dumps({"id": "x", "choices": [], "usage": {"total_tokens": 12}}))


def hang(seconds: float) -> Reply:
    return Reply(delay=seconds)


@dataclass
class FakeModel:
    """Answers requests in order from ``replies``; records what it was sent."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        reply = self.replies.pop(0) if self.replies else Reply(status=503, body="not scripted")
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.drip:
            return await self._trickle(request, reply)
        if reply.body is not None:
            return web.Response(status=reply.status, text=reply.body)
        return web.json_response(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": self.requests[-1].get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": reply.tokens - 10,
                    "completion_tokens": 10,
                    "total_tokens": reply.tokens,
                },
            },
            status=reply.status,
        )

    async def _trickle(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        response = web.StreamResponse(status=reply.status)
        await response.prepare(request)
        for byte in (reply.body or "").encode():
            await response.write(bytes([byte]))
            await asyncio.sleep(reply.drip)
        await response.write_eof()
        return response


@asynccontextmanager
async def fake_openai() -> AsyncIterator[FakeModel]:
    """Serve ``POST /v1/chat/completions`` on an ephemeral loopback port."""
    model = FakeModel()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", model.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    model.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield model
    finally:
        await runner.cleanup()
