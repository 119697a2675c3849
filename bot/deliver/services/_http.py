"""HTTP calls with bounded retries, shared by the webhook and the newsletter platforms.

Only what is safe to repeat is retried: a request that never reached the server (connection
refused), a 429 (the server did not process it), and, for idempotent requests, timeouts and
5xx. Creating a draft is not idempotent: after an ambiguous failure the engine's next run asks
``find`` first, so a draft that was in fact created is not created twice.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

Sleep = Callable[[float], Awaitable[None]]


class PlatformError(Exception):
    """A platform said no; the message is worded for the editors' failure report."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first try and up to three retries
    base_delay: float = 1.0
    max_delay: float = 60.0  # a longer Retry-After fails now; the next publish run retries
    sleep: Sleep = asyncio.sleep

    def backoff(self, attempt: int) -> float:
        return float(min(self.base_delay * 2 ** (attempt - 1), self.max_delay))


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), if any."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_detail(response: httpx.Response) -> str:
    """The reason a platform gives, from the usual JSON error shapes, else the body's start."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:200]
    if isinstance(body, dict):
        errors = body.get("errors")  # Ghost: [{message}]; Mailchimp: [{field, message}]
        if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
            return "; ".join(_field_message(error) for error in errors)
        for key in ("detail", "message", "title", "error"):  # Mailchimp, Buttondown, others
            if body.get(key):
                return str(body[key])
    return json.dumps(body)[:200]


def _field_message(error: dict[str, Any]) -> str:
    message = str(error.get("message") or error)
    return f"{error['field']}: {message}" if error.get("field") else message


def _retryable(status: int, idempotent: bool) -> bool:
    return status == 429 or (idempotent and status >= 500)


async def request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    idempotent: bool,
    what: str,
    accept: tuple[int, ...] = (),
    **kwargs: Any,
) -> httpx.Response:
    """Send with retries; raise ``PlatformError`` naming ``what`` failed and why.

    Statuses in ``accept`` (e.g. 404 for a lookup) are answers, returned like successes."""
    for attempt in range(1, policy.attempts + 1):
        last = attempt == policy.attempts
        try:
            response = await client.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached the server
            if last:
                raise PlatformError(f"{what}: cannot connect ({exc})") from exc
            delay = policy.backoff(attempt)
        except httpx.TransportError as exc:
            if last or not idempotent:
                raise PlatformError(f"{what}: {type(exc).__name__} ({exc})") from exc
            delay = policy.backoff(attempt)
        else:
            if response.is_success or response.status_code in accept:
                return response
            status = response.status_code
            if last or not _retryable(status, idempotent):
                raise PlatformError(f"{what}: HTTP {status}: {error_detail(response)}")
            delay = retry_after(response) or policy.backoff(attempt)
            if delay > policy.max_delay:
                raise PlatformError(f"{what}: HTTP {status}, asked to wait {delay:.0f} s")
        await policy.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def secret_from_env(variable: str) -> str:
    """The secret named in the config, read when posting so a missing one is reported."""
    value = os.environ.get(variable, "")
    if not value:
        raise PlatformError(f"environment variable {variable} is not set")
    return value
