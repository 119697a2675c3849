"""A private archive: the token as a bearer token, ``?token=`` or a basic-auth password; health,
metrics and the owner's extra routes (Slack's events) stay open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.config import Config, ConfigError
from bot.web.site import TOKEN_ENV
from storage.db import Database
from tests.web.conftest import TOKEN, archive_config, make_app, serving

PROTECTED = ["/", "/d/weekly/", "/d/weekly/1", "/d/weekly/1.md", "/d/weekly/feed.xml", "/stats"]


async def _slack_events(_request: Request) -> Response:
    return PlainTextResponse("ok")


def private(tmp_path: Path) -> Config:
    return archive_config(tmp_path, "private = true")


async def test_archive_refuses_requests_without_the_token(db: Database, tmp_path: Path) -> None:
    app = make_app(private(tmp_path), db, token=TOKEN)
    async with serving(app) as client:
        refused = [await client.get(path) for path in [*PROTECTED, "/d/nope/9"]]
        wrong = [
            await client.get("/", headers={"Authorization": "Bearer not-it"}),
            await client.get("/", params={"token": "not-it"}),
            await client.get("/", auth=("reader", "not-it")),
            await client.get("/", headers={"Authorization": "Basic !!not-base64"}),
        ]
    for response in refused + wrong:
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Basic realm=")
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_each_form_of_the_token_is_accepted(seeded: Config, db: Database) -> None:
    config = seeded.model_copy(update={"web": seeded.web.model_copy(update={"private": True})})
    forms: dict[str, dict[str, Any]] = {
        "bearer": {"headers": {"Authorization": f"Bearer {TOKEN}"}},
        "query": {"params": {"token": TOKEN}},
        "basic": {"auth": ("anyone", TOKEN)},
    }
    async with serving(make_app(config, db, token=TOKEN)) as client:
        responses = {
            (form, path): await client.get(path, **credentials)
            for form, credentials in forms.items()
            for path in PROTECTED
        }
    for key, response in responses.items():
        assert response.status_code == 200, key
        assert response.headers["cache-control"] == "private, no-store"
    for form in forms:
        assert "Firefox — Customize" in responses[(form, "/d/weekly/1")].text


async def test_operations_and_extra_routes_stay_open(db: Database, tmp_path: Path) -> None:
    extra = [Route("/slack/events", _slack_events, methods=["POST"])]
    app = make_app(private(tmp_path), db, token=TOKEN, extra_routes=extra)
    async with serving(app) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
        slack = await client.post("/slack/events", content=b"{}")
        stylesheet = await client.get("/static/web.css")
    assert [r.status_code for r in (health, ready, metrics, slack, stylesheet)] == [200] * 5


def test_a_private_archive_without_a_token_does_not_start(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ConfigError, match=TOKEN_ENV):
        make_app(private(tmp_path), db)


async def test_the_token_is_read_from_the_environment(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-the-env")
    async with serving(make_app(private(tmp_path), db)) as client:
        with_env_token = await client.get("/", auth=("x", "from-the-env"))
        with_other = await client.get("/", auth=("x", TOKEN))
    assert (with_env_token.status_code, with_other.status_code) == (200, 401)
