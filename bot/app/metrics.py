"""Prometheus metrics: counters the service, enrichment worker and publisher increment, and gauges
read from the database when ``/metrics`` is scraped.

Every name is documented in ``docs/web.md``. The counters live in ``METRICS``, a registry of
their own (not ``prometheus_client``'s global one, so importing a library that registers metrics
there cannot clash with ours). Callers use the helper functions, which keep label values
consistent:

- ``count_handled``: a ``CurationService`` listener (``core.listeners.append(count_handled)``)
  that counts every event the core handles as received, then processed or rejected (duplicate)
- ``count_event(platform, event_kind(event), "received" | "processed" | "rejected", reason)``
  for what an adapter refuses before the core
- ``observe_enrichment(seconds, failure=None | "refused" | "transient" | "gave_up" | "crashed")``
- ``count_published(digest)`` and ``count_publish_failure(digest, destination)``
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.events import ChatEvent, Outcome
from storage.db import Database
from storage.errors import StorageError
from storage.models import ItemStatus

log = logging.getLogger(__name__)


class EventOutcome(StrEnum):
    """What became of an event (the ``linkletter_events_*_total`` counters)."""

    received = "received"
    processed = "processed"
    rejected = "rejected"


class EnrichmentFailure(StrEnum):
    """Why a fetch failed (the ``reason`` label of ``linkletter_enrichment_failures_total``)."""

    refused = "refused"
    transient = "transient"
    gave_up = "gave_up"
    crashed = "crashed"


class FetchOutcome(StrEnum):
    """The ``outcome`` label of ``linkletter_enrichment_seconds``."""

    ok = "ok"
    failed = "failed"


ITEM_STATUSES = tuple(ItemStatus)
# Fetches are capped by fetch.timeout_seconds (20 s by default); the top buckets catch retries.
ENRICHMENT_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0)


class Metrics:
    """The process's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["platform", "kind"]
        self.events_received = Counter(
            "linkletter_events_received",
            "Chat events received from an adapter, before deduplication or checks.",
            labels,
            registry=self.registry,
        )
        self.events_processed = Counter(
            "linkletter_events_processed",
            "Chat events applied to the database.",
            labels,
            registry=self.registry,
        )
        self.events_rejected = Counter(
            "linkletter_events_rejected",
            "Chat events not applied (duplicate delivery, unwatched channel, bad signature...).",
            [*labels, "reason"],
            registry=self.registry,
        )
        self.enrichment_seconds = Histogram(
            "linkletter_enrichment_duration_seconds",
            "Time to fetch and extract one page, by outcome (ok or failed).",
            ["outcome"],
            buckets=ENRICHMENT_BUCKETS,
            registry=self.registry,
        )
        self.enrichment_failures = Counter(
            "linkletter_enrichment_failures",
            "Page fetches that failed, by reason (refused, transient, gave_up, crashed).",
            ["reason"],
            registry=self.registry,
        )
        self.digests_published = Counter(
            "linkletter_digests_published",
            "Issues whose publication completed.",
            ["digest"],
            registry=self.registry,
        )
        self.publish_failures = Counter(
            "linkletter_publish_failures",
            "Failed attempts to deliver a part of an issue to a destination.",
            ["digest", "destination"],
            registry=self.registry,
        )


METRICS = Metrics()


def event_kind(event: object) -> str:
    """The ``kind`` label of an event: its class name in snake case (``message_posted``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def count_event(
    platform: str,
    kind: str,
    outcome: EventOutcome,
    reason: str = "unspecified",
    metrics: Metrics = METRICS,
) -> None:
    """Count one event; ``reason`` (a short fixed word, e.g. ``duplicate``) is for rejections."""
    if outcome == EventOutcome.received:
        metrics.events_received.labels(platform=platform, kind=kind).inc()
    elif outcome == EventOutcome.processed:
        metrics.events_processed.labels(platform=platform, kind=kind).inc()
    else:
        metrics.events_rejected.labels(platform=platform, kind=kind, reason=reason).inc()


def count_handled(event: ChatEvent, outcome: Outcome, metrics: Metrics = METRICS) -> None:
    """A ``CurationService`` listener: each handled event is received, then processed or
    rejected as a duplicate. (Events an adapter refuses before the core, e.g. a bad signature,
    are counted there: ``received`` then ``rejected`` with the reason.)"""
    platform, kind = event.channel.partition(":")[0], event_kind(event)
    count_event(platform, kind, EventOutcome.received, metrics=metrics)
    if outcome.duplicate:
        count_event(platform, kind, EventOutcome.rejected, "duplicate", metrics)
    else:
        count_event(platform, kind, EventOutcome.processed, metrics=metrics)


def observe_enrichment(
    seconds: float, failure: EnrichmentFailure | None = None, metrics: Metrics = METRICS
) -> None:
    """Record one fetch's duration, and its failure reason if it failed."""
    outcome = FetchOutcome.ok if failure is None else FetchOutcome.failed
    metrics.enrichment_seconds.labels(outcome=outcome).observe(seconds)
    if failure is not None:
        metrics.enrichment_failures.labels(reason=failure).inc()


def count_published(digest: str, metrics: Metrics = METRICS) -> None:
    metrics.digests_published.labels(digest=digest).inc()


def count_publish_failure(digest: str, destination: str, metrics: Metrics = METRICS) -> None:
    metrics.publish_failures.labels(digest=digest, destination=destination).inc()


@dataclass(frozen=True, slots=True)
class DatabaseGauges:
    """What the database says at scrape time."""

    items: Mapping[tuple[str, str], int]  # (digest, status) -> items
    enrichment_queue: int


def read_database_gauges(db: Database) -> DatabaseGauges | None:
    """The gauges' values, or None when the database cannot be read (blocking: run in a thread)."""
    try:
        with db.reading() as uow:
            return DatabaseGauges(
                uow.stats.items_by_digest_and_status(), uow.stats.pending_enrichment()
            )
    except StorageError as exc:
        log.warning("metrics: cannot read the database: %s", exc)
        return None


class _DatabaseCollector(Collector):
    def __init__(self, gauges: DatabaseGauges | None) -> None:
        self.gauges = gauges

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "linkletter_database_up",
            "1 when this scrape could read the database, else 0.",
            value=0 if self.gauges is None else 1,
        )
        if self.gauges is None:
            return
        items = GaugeMetricFamily(
            "linkletter_items", "Items by digest and curation status.", labels=["digest", "status"]
        )
        for digest in sorted({digest for digest, _ in self.gauges.items}):
            for status in ITEM_STATUSES:
                items.add_metric([digest, status], self.gauges.items.get((digest, status), 0))
        yield items
        yield GaugeMetricFamily(
            "linkletter_enrichment_queue_depth",
            "Items waiting for their page to be fetched.",
            value=self.gauges.enrichment_queue,
        )


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def exposition(gauges: DatabaseGauges | None, metrics: Metrics = METRICS) -> bytes:
    """The Prometheus text format of the counters plus the scrape-time gauges."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Forward(metrics.registry))
    scrape.register(_DatabaseCollector(gauges))
    return generate_latest(scrape)
