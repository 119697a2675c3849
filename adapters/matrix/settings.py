"""The bot account, from the environment: ``MATRIX_HOMESERVER_URL`` and either
``MATRIX_ACCESS_TOKEN`` or ``MATRIX_USER_ID`` + ``MATRIX_PASSWORD``; ``MATRIX_DEVICE_ID`` keeps
the same device across password logins (transaction ids, hence exactly-once retries, belong to a
device)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.matrix.client import MatrixClient

HOMESERVER_VARIABLE = "MATRIX_HOMESERVER_URL"


@dataclass(frozen=True)
class MatrixSettings:
    homeserver: str
    access_token: str | None = None
    user_id: str | None = None
    password: str | None = None
    device_id: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MatrixSettings:
        """The settings, or ``ValueError`` saying which variable to set."""
        homeserver = env.get(HOMESERVER_VARIABLE, "").strip().rstrip("/")
        parts = urlsplit(homeserver)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{HOMESERVER_VARIABLE} must be the homeserver's URL, like https://matrix.example.org"
            )
        settings = cls(
            homeserver=homeserver,
            access_token=env.get("MATRIX_ACCESS_TOKEN") or None,
            user_id=env.get("MATRIX_USER_ID") or None,
            password=env.get("MATRIX_PASSWORD") or None,
            device_id=env.get("MATRIX_DEVICE_ID") or None,
        )
        if not settings.access_token and not (settings.user_id and settings.password):
            raise ValueError(
                "set MATRIX_ACCESS_TOKEN, or MATRIX_USER_ID and MATRIX_PASSWORD (docs/matrix.md)"
            )
        return settings


@asynccontextmanager
async def connected(settings: MatrixSettings) -> AsyncIterator[MatrixClient]:
    """A client logged in as the bot (with the token, else by password), closed afterwards."""
    client = MatrixClient.open(settings.homeserver, settings.access_token or "")
    try:
        await log_in(client, settings)
        yield client
    finally:
        await client.close()


async def log_in(client: MatrixClient, settings: MatrixSettings) -> None:
    """Log in by password when there is no access token (``from_env`` checked there is one)."""
    if settings.access_token:
        return
    if settings.user_id is None or settings.password is None:
        raise ValueError("set MATRIX_ACCESS_TOKEN, or MATRIX_USER_ID and MATRIX_PASSWORD")
    await client.login(settings.user_id, settings.password, settings.device_id)
