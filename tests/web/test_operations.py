"""/healthz, /readyz and /metrics over the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.app.metrics import (
    EnrichmentFailure,
    EventOutcome,
    count_event,
    count_handled,
    count_publish_failure,
    count_published,
    observe_enrichment,
)
from bot.curate.service import CurationService
from storage.db import Database
from tests.core.helpers import ANN, EDITOR, post, react
from tests.web.conftest import Probe, archive_config, make_app, serving


def sample(exposition: str, name: str, **labels: str) -> float:
    """A sample's value in a scrape; 0 when the series does not exist (yet)."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_health_and_readiness_when_everything_runs(db: Database, tmp_path: Path) -> None:
    probe = Probe(adapters={"slack": True, "discord": True})
    async with serving(make_app(archive_config(tmp_path), db, status=probe)) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert (health.status_code, health.text) == (200, "ok\n")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "not_ready": [],
        "checks": {
            "database": "ok",
            "adapter:discord": "ok",
            "adapter:slack": "ok",
            "scheduler": "ok",
        },
    }


async def test_readiness_names_what_is_not_ready(db: Database, tmp_path: Path) -> None:
    probe = Probe(adapters={"slack": True, "discord": False}, scheduler=False)
    async with serving(make_app(archive_config(tmp_path), db, status=probe)) as client:
        ready = await client.get("/readyz")
        probe.adapters["discord"], probe.scheduler = True, True
        recovered = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["adapter:discord", "scheduler"]
    assert ready.json()["checks"]["scheduler"] == "stopped"
    assert recovered.status_code == 200


async def test_an_unreachable_database_is_not_ready(tmp_path: Path) -> None:
    down = Database.connect(f"postgresql://postgres@127.0.0.1:{closed_port()}/linkletter")
    try:
        async with serving(make_app(archive_config(tmp_path), down, status=Probe())) as client:
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
            metrics = await client.get("/metrics")
    finally:
        down.dispose()
    assert health.status_code == 200  # the process is alive; it just cannot serve
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["database"]
    assert ready.json()["checks"]["database"] == "unreachable"  # no address leaked
    assert metrics.status_code == 200
    assert sample(metrics.text, "linkletter_database_up") == 0


async def test_an_unmigrated_database_is_not_ready(tmp_path: Path) -> None:
    empty = Database.connect(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        async with serving(make_app(archive_config(tmp_path), empty)) as client:
            ready = await client.get("/readyz")
    finally:
        empty.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == "schema out of date"


async def test_counters_move_with_the_events_counted(db: Database, tmp_path: Path) -> None:
    async with serving(make_app(archive_config(tmp_path), db)) as client:
        before = (await client.get("/metrics")).text
        for _ in range(3):
            count_event("slack", "message_posted", EventOutcome.received)
        count_event("slack", "message_posted", EventOutcome.processed)
        count_event("slack", "message_posted", EventOutcome.rejected, "duplicate")
        count_event("discord", "reaction_added", EventOutcome.received)
        observe_enrichment(0.3)
        observe_enrichment(12.0, EnrichmentFailure.transient)
        count_published("weekly")
        count_publish_failure("weekly", "slack:C1")
        response = await client.get("/metrics")
    after = response.text
    assert response.headers["content-type"].startswith("text/plain; version=")

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    posted = {"platform": "slack", "kind": "message_posted"}
    assert moved("linkletter_events_received_total", **posted) == 3
    assert moved("linkletter_events_processed_total", **posted) == 1
    assert moved("linkletter_events_rejected_total", **posted, reason="duplicate") == 1
    assert moved("linkletter_events_received_total", platform="discord", kind="reaction_added") == 1
    assert moved("linkletter_enrichment_duration_seconds_count", outcome="ok") == 1
    assert moved("linkletter_enrichment_duration_seconds_bucket", outcome="ok", le="0.5") == 1
    assert moved("linkletter_enrichment_duration_seconds_bucket", outcome="failed", le="10.0") == 0
    assert moved("linkletter_enrichment_duration_seconds_bucket", outcome="failed", le="20.0") == 1
    assert moved("linkletter_enrichment_failures_total", reason="transient") == 1
    assert moved("linkletter_digests_published_total", digest="weekly") == 1
    assert moved("linkletter_publish_failures_total", digest="weekly", destination="slack:C1") == 1


async def test_gauges_follow_the_database(db: Database, tmp_path: Path) -> None:
    config = archive_config(tmp_path)
    core = CurationService(config, db)
    async with serving(make_app(config, db)) as client:
        empty = (await client.get("/metrics")).text
        await core.handle(post("slack:C1", "1", ANN, "https://example.com/a"))
        await core.handle(post("slack:C1", "2", ANN, "https://example.com/b"))
        await core.handle(react("slack:C1", "2", EDITOR, "white_check_mark", 1))
        shared = (await client.get("/metrics")).text
    weekly = {"digest": "weekly"}
    assert sample(empty, "linkletter_database_up") == 1
    assert sample(empty, "linkletter_enrichment_queue_depth") == 0
    assert sample(shared, "linkletter_items", **weekly, status="draft") == 1
    assert sample(shared, "linkletter_items", **weekly, status="approved") == 1
    assert sample(shared, "linkletter_items", **weekly, status="published") == 0
    assert sample(shared, "linkletter_enrichment_queue_depth") == 2  # not fetched yet


async def test_counters_move_with_the_events_the_core_handles(db: Database, tmp_path: Path) -> None:
    config = archive_config(tmp_path)
    core = CurationService(config, db)
    core.listeners.append(count_handled)
    shared = post("slack:C1", "10", ANN, "https://example.com/counted")
    async with serving(make_app(config, db)) as client:
        before = (await client.get("/metrics")).text
        await core.handle(shared)
        await core.handle(shared)  # Slack's retry of the same event
        await core.handle(react("slack:C1", "10", EDITOR, "white_check_mark", 1))
        after = (await client.get("/metrics")).text

    def moved(name: str, kind: str, **labels: str) -> float:
        labels = {"platform": "slack", "kind": kind, **labels}
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("linkletter_events_received_total", "message_posted") == 2
    assert moved("linkletter_events_processed_total", "message_posted") == 1
    assert moved("linkletter_events_rejected_total", "message_posted", reason="duplicate") == 1
    assert moved("linkletter_events_received_total", "reaction_added") == 1
    assert moved("linkletter_events_processed_total", "reaction_added") == 1
