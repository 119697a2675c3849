"""What enrichment learns about a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PageMetadata:
    final_url: str  # after redirects (short links resolve here)
    title: str | None = None
    summary: str | None = None
    summary_is_fallback: bool = False  # taken from the main text, not declared by the page
    image_url: str | None = None
    site_name: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    lang: str | None = None
    word_count: int | None = None
    canonical_url: str | None = None  # what the page declares (<link rel=canonical>, og:url)
    main_text: str | None = None  # kept (truncated) for summaries and keyword rules

    @property
    def reading_minutes(self) -> int | None:
        if self.word_count is None:
            return None
        return max(1, round(self.word_count / 230))


class FetchRefused(Exception):
    """The URL may not be fetched (scheme, address, size...). Final: never retried."""


class FetchFailed(Exception):
    """A fetch failed in a way that may pass (timeout, 5xx, 429). ``retry_after`` in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ExtractionFailed(FetchRefused):
    """The body arrived but is not a usable page (binary, undecodable, absurdly nested). Final."""
