"""The chat-completions client against real local servers."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from bot.assist.client import MAX_REPLY_BYTES, AssistClient, AssistError, Prompt
from bot.assist.settings import AssistConfig
from tests.assist.fake_openai import Reply, fake_openai

PROMPT = Prompt("system words", "user words")


async def ask(settings: AssistConfig) -> str | AssistError:
    client = AssistClient(settings)
    try:
        return (await client.complete(PROMPT)).text
    except AssistError as exc:
        return exc
    finally:
        await client.aclose()


async def test_a_server_that_is_not_there_is_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await ask(AssistConfig(base_url=f"http://127.0.0.1:{port}/v1", timeout_seconds=2))
    assert isinstance(error, AssistError)
    assert error.reason.startswith(f"cannot reach http://127.0.0.1:{port}/v1: ConnectError")


async def test_missing_usage_is_estimated_and_no_key_sends_no_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LINKLETTER_ASSIST_API_KEY", raising=False)
    content = "x" * 400
    body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
    async with fake_openai() as model:
        model.replies = [Reply(body=body)]
        client = AssistClient(AssistConfig(base_url=model.url))
        completion = await client.complete(PROMPT)
        await client.aclose()
    assert completion.text == content
    assert completion.tokens == (len("system words") + len("user words") + 400) // 4
    assert "Authorization" not in model.headers[0]


async def test_an_oversized_reply_is_refused() -> None:
    async with fake_openai() as model:
        model.replies = [Reply(body="x" * (MAX_REPLY_BYTES + 1))]
        error = await ask(AssistConfig(base_url=model.url))
    assert isinstance(error, AssistError)
    assert error.reason == f"reply larger than {MAX_REPLY_BYTES} bytes"


async def test_an_error_status_without_json_is_reported_verbatim() -> None:
    async with fake_openai() as model:
        model.replies = [Reply(status=502, body="upstream down")]
        error = await ask(AssistConfig(base_url=model.url))
    assert isinstance(error, AssistError)
    assert error.reason == "HTTP 502: upstream down"


async def test_a_trickling_server_is_cut_off_at_the_total_timeout() -> None:
    """Every byte arrives within the read timeout, but the whole answer would take 2 s."""
    async with fake_openai() as model:
        model.replies = [Reply(body='{"choices": []}' + " " * 5, drip=0.1)]
        started = asyncio.get_running_loop().time()
        error = await ask(AssistConfig(base_url=model.url, timeout_seconds=0.5))
        elapsed = asyncio.get_running_loop().time() - started
    assert isinstance(error, AssistError)
    assert error.reason == "no answer within 0.5 s"
    assert elapsed < 1.5
