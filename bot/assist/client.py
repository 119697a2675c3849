"""A minimal client for OpenAI-compatible ``POST {base_url}/chat/completions`` (no streaming).

Works with hosted APIs and local servers (Ollama's ``/v1``, llama.cpp's ``llama-server``, vLLM,
LM Studio). Every failure — unreachable server, timeout, HTTP error, a reply that is not the
expected JSON — becomes an ``AssistError`` whose message says what went wrong.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx

from bot.assist.settings import AssistConfig

MAX_REPLY_BYTES = 1_000_000
CHARS_PER_TOKEN = 4  # rough estimate, only when a server reports no usage


class AssistError(Exception):
    """A model call that produced no usable answer. ``tokens`` still counts against the budget."""

    def __init__(self, reason: str, tokens: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tokens = tokens


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    tokens: int


@dataclass(frozen=True, slots=True)
class Prompt:
    system: str
    user: str

    def as_text(self) -> str:
        """The prompt as stored in the audit log."""
        return f"[system]\n{self.system}\n\n[user]\n{self.user}"


class AssistClient:
    """One connection pool to the configured endpoint; close it with ``aclose``."""

    def __init__(self, config: AssistConfig) -> None:
        self.config = config
        headers = {"Accept": "application/json"}
        key = config.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.AsyncClient(
            base_url=config.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(config.timeout_seconds),
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(self, prompt: Prompt) -> Completion:
        """Ask the model once; the whole exchange is bounded by ``timeout_seconds``."""
        body = {
            "model": self.config.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "stream": False,
            "temperature": 0.2,
            "max_tokens": self.config.max_output_tokens,
        }
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                status, raw = await self._post(body)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise AssistError(f"no answer within {self.config.timeout_seconds:g} s") from exc
        except httpx.HTTPError as exc:
            raise AssistError(f"cannot reach {self.config.base_url}: {exc!r}") from exc
        return _completion(status, raw, prompt)

    async def _post(self, body: dict[str, Any]) -> tuple[int, bytes]:
        async with self._http.stream("POST", "chat/completions", json=body) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_REPLY_BYTES:
                    raise AssistError(f"reply larger than {MAX_REPLY_BYTES} bytes")
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)


def _completion(status: int, raw: bytes, prompt: Prompt) -> Completion:
    """Parse a chat-completions reply, or raise ``AssistError`` saying what is wrong with it."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        if status != 200:
            raise AssistError(f"HTTP {status}: {raw[:200].decode(errors='replace')}") from exc
        raise AssistError(f"malformed reply: not JSON ({raw[:80]!r})") from exc
    if status != 200:
        raise AssistError(f"HTTP {status}: {_error_message(data)}")
    content = _content(data)
    tokens = _tokens(data, prompt, content or "")
    if content is None:
        raise AssistError("malformed reply: no choices[0].message.content", tokens)
    return Completion(content, tokens)


def _error_message(data: Any) -> str:
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:200]
    return json.dumps(data)[:200]


def _content(data: Any) -> str | None:
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    return content if isinstance(content, str) else None


def _tokens(data: Any, prompt: Prompt, content: str) -> int:
    """``usage.total_tokens``; estimated from the text length when the server sends none."""
    usage = data.get("usage") if isinstance(data, dict) else None
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    if isinstance(total, int) and total >= 0:
        return total
    return (len(prompt.system) + len(prompt.user) + len(content)) // CHARS_PER_TOKEN
