"""The web side of Linkletter: archive, feeds, stats, health and metrics (see docs/web.md)."""

from bot.web.app import create_app
from bot.web.health import ReadinessProbe
from bot.web.server import WebServer

__all__ = ["ReadinessProbe", "WebServer", "create_app"]
