"""Builds the destinations of ``bot.deliver.services`` from their ``[destinations.*]`` settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.deliver.destinations import Destination
from bot.deliver.services._http import PlatformError, RetryPolicy
from bot.deliver.services.buttondown import ButtondownDestination
from bot.deliver.services.ghost import GhostDestination
from bot.deliver.services.mailchimp import MailchimpDestination
from bot.deliver.services.settings import (
    ButtondownSettings,
    DestinationConfig,
    GhostSettings,
    GitSettings,
    MailchimpSettings,
    WebhookSettings,
)
from bot.deliver.services.static_site import GitDestination
from bot.deliver.services.webhook import WebhookDestination, verify_signature

__all__ = [
    "PlatformError",
    "RetryPolicy",
    "build_platform_destinations",
    "verify_signature",
]


def _make(name: str, settings: DestinationConfig, retry: RetryPolicy) -> Destination:
    match settings:
        case WebhookSettings():
            return WebhookDestination(name, settings, retry)
        case ButtondownSettings():
            return ButtondownDestination(name, settings, retry)
        case GhostSettings():
            return GhostDestination(name, settings, retry)
        case MailchimpSettings():
            return MailchimpDestination(name, settings, retry)
        case GitSettings():
            return GitDestination(name, settings)


def build_platform_destinations(
    publish_to: Iterable[str],
    settings: Mapping[str, DestinationConfig],
    retry: RetryPolicy | None = None,
) -> dict[str, Destination]:
    """Destinations for a digest's ``publish_to`` entries ``KIND:NAME`` whose
    ``[destinations.NAME]`` has that kind; other entries are left to ``build_destinations``."""
    found: dict[str, Destination] = {}
    for entry in publish_to:
        kind, _, name = entry.partition(":")
        configured = settings.get(name)
        if configured is not None and configured.kind == kind:
            found[entry] = _make(entry, configured, retry or RetryPolicy())
    return found
