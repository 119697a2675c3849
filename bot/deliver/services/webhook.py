"""``webhook:NAME``: POST the issue's JSON (docs/digest-json-schema.md), signed.

Signature, in the style of chat platforms' request signing: ``X-Linkletter-Signature:
v1=<hex HMAC-SHA256 of "v1:{timestamp}:{body}">`` keyed with the shared secret,
``X-Linkletter-Timestamp`` in Unix seconds, and ``X-Linkletter-Delivery`` carrying the delivery
key: the same on every retry and every resumed run, so receivers dedupe on it (a webhook cannot
be asked what it received, so ``find`` has nothing to look up).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.deliver.services._http import RetryPolicy, request, secret_from_env
from bot.deliver.services.settings import WebhookSettings
from bot.digest.model import CompiledIssue
from bot.digest.render import render_json

VERSION = "v1"
TIMESTAMP_HEADER = "X-Linkletter-Timestamp"
SIGNATURE_HEADER = "X-Linkletter-Signature"
DELIVERY_HEADER = "X-Linkletter-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=<hex>`` for ``body`` sent at ``timestamp``."""
    message = f"{VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    tolerance: float = 300,
) -> bool:
    """For receivers: the signature matches and the timestamp is within ``tolerance`` seconds
    of ``now`` (which bounds replays). Compare in constant time."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass
class WebhookDestination:
    name: str
    settings: WebhookSettings
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.time

    def parts(self, issue: CompiledIssue) -> list[Any]:
        return [render_json(issue)]

    async def post(self, part: Any, key: str) -> str:
        body = str(part).encode()
        secret = secret_from_env(self.settings.secret_env)
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            await request(
                client,
                "POST",
                self.settings.url,
                policy=self.retry,
                idempotent=True,  # receivers dedupe on the delivery header
                what="delivery",
                content=body,
                headers=self._headers(secret, body, key),
            )
        return key

    def _headers(self, secret: str, body: bytes, key: str) -> dict[str, str]:
        """Signed per post: its retries wait at most ``3 * max_delay`` (3 min by default), inside
        the receivers' 300 s window; a resumed run signs again with a fresh timestamp."""
        timestamp = str(int(self.clock()))
        return {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            DELIVERY_HEADER: key,
        }

    async def find(self, key: str) -> str | None:
        return None
