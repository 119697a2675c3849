"""The enrichment entry point the DB worker calls: limits, retries, then the right extractor."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx

from bot.enrich.budget import ExtractionPool
from bot.enrich.fetch import JSON_TYPES, PAGE_TYPES, FetchedPage, FetchSettings, SafeFetcher
from bot.enrich.model import FetchFailed, FetchRefused, PageMetadata
from bot.enrich.safety import Resolver, check_url
from bot.enrich.special import (
    DEFAULT_OEMBED_URLS,
    arxiv_abstract_url,
    oembed_metadata,
    oembed_provider,
    oembed_request_url,
)


class Enricher:
    """Fetch and describe shared links. Create once; ``await aclose()`` at shutdown.

    ``enrich`` raises :class:`FetchRefused` (final: store the failure) or, after ``max_attempts``,
    the last :class:`FetchFailed` (transient: reschedule, honouring its ``retry_after``).

    Each page runs under one wall clock of ``settings.budget`` seconds: the fetch (async, here)
    and then the extraction (in a killable worker process, :mod:`bot.enrich.budget`) share it.
    A fetch over budget is transient (the network may be slow today); an extraction over budget
    is final (:class:`~bot.enrich.budget.OverBudget`): the same page would do the same again.
    """

    def __init__(
        self,
        settings: FetchSettings,
        resolver: Resolver | None = None,
        oembed_urls: Mapping[str, str] = DEFAULT_OEMBED_URLS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._oembed_urls = oembed_urls
        self._fetcher = SafeFetcher(settings, resolver, transport)
        self._global = asyncio.Semaphore(settings.global_concurrency)
        self._hosts = HostLimits(settings.per_host_concurrency)
        self._extractors = ExtractionPool(settings.extract_processes)

    async def aclose(self) -> None:
        await self._fetcher.aclose()
        await self._extractors.aclose()

    async def enrich(self, url: str) -> PageMetadata:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.budget
        target = arxiv_abstract_url(url)
        host = check_url(target, allow_private_networks=self._settings.allow_private_networks).host
        provider = oembed_provider(target)
        if provider is not None and provider in self._oembed_urls:
            request = oembed_request_url(self._oembed_urls[provider], target)
            answer = await self._fetch_within(deadline, request, host, JSON_TYPES)
            metadata = oembed_metadata(answer.body, target)
        else:
            self._extractors.warm()
            page = await self._fetch_within(deadline, target, host, PAGE_TYPES)
            metadata = await self._extractors.extract(page, deadline - loop.time())
        return self._without_unsafe_image(metadata)

    async def _fetch_within(
        self, deadline: float, url: str, host: str, accept: frozenset[str]
    ) -> FetchedPage:
        try:
            async with asyncio.timeout_at(deadline):
                return await self._fetch_with_retries(url, host, accept)
        except TimeoutError:
            budget = self._settings.budget
            raise FetchFailed(f"over the {budget:g} s budget while fetching") from None

    async def _fetch_with_retries(
        self, url: str, host: str, accept: frozenset[str] = PAGE_TYPES
    ) -> FetchedPage:
        attempt = 1
        while True:
            try:
                async with self._hosts.hold(host), self._global:
                    return await self._fetcher.fetch(url, accept)
            except FetchFailed as failure:
                delay = self._retry_delay(failure, attempt)
                if delay is None:
                    raise
            await asyncio.sleep(delay)  # outside the limits: a waiting retry holds no slot
            attempt += 1

    def _retry_delay(self, failure: FetchFailed, attempt: int) -> float | None:
        """Seconds before the next attempt, or None to give up and hand the failure back."""
        if attempt >= self._settings.max_attempts:
            return None
        if failure.retry_after is not None:
            wait = failure.retry_after
        else:
            wait = self._settings.backoff_base * 2 ** (attempt - 1)
        return wait if wait <= self._settings.max_retry_wait else None

    def _without_unsafe_image(self, metadata: PageMetadata) -> PageMetadata:
        """``og:image`` and thumbnails pass the same URL guard as the pages themselves."""
        if metadata.image_url is None:
            return metadata
        allow_private = self._settings.allow_private_networks
        try:
            check_url(metadata.image_url, allow_private_networks=allow_private)
        except FetchRefused:
            return replace(metadata, image_url=None)
        return metadata


class HostLimits:
    """One semaphore per host, dropped when no task uses it (hosts are unbounded)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._users: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        semaphore = self._semaphores.setdefault(host, asyncio.Semaphore(self._limit))
        self._users[host] += 1
        try:
            async with semaphore:
                yield
        finally:
            self._users[host] -= 1
            if not self._users[host]:
                del self._users[host], self._semaphores[host]
