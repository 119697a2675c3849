"""The web side of Linkletter: archive, feeds, stats, health and metrics (see docs/web.md)."""

from bot.web.health import ReadinessProbe
from bot.web.server import WebServer
from bot.web.site import create_app

__all__ = ["ReadinessProbe", "WebServer", "create_app"]
