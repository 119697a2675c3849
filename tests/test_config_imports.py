"""Configuration is a leaf: ``import bot.config`` (the settings models every command and the
doctor read first) loads no renderer, no destination, no HTTP or mail client, no chat SDK and no
database layer. The first ones used to come in through ``bot.deliver.services``' package
module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = "import sys, bot.config; print(' '.join(sorted(sys.modules)))"
HEAVY = {
    "bot.digest": "the issue model and the renderers",
    "bot.deliver.destinations": "the chat, file and SMTP destinations",
    "bot.deliver.services.build": "the webhook, newsletter and static-site destinations",
    "storage": "the database layer",
    "sqlalchemy": "the database layer",
    "sqlmodel": "the models",
    "httpx": "outgoing HTTP",
    "smtplib": "sending mail",
    "jinja2": "the HTML templates",
    # The platforms' cheap modules (their settings and id rules) are read; their SDKs are not.
    "slack_sdk": "a chat SDK",
    "slack_bolt": "a chat SDK",
    "discord": "a chat SDK",
    "aiohttp": "the chat SDKs' HTTP client",
}


def loaded_by_config() -> set[str]:
    result = subprocess.run(  # noqa: S603 - our interpreter, a fixed program
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_importing_the_config_loads_nothing_heavy() -> None:
    loaded = loaded_by_config()
    found = {
        module: why
        for module, why in HEAVY.items()
        if module in loaded or any(name.startswith(module + ".") for name in loaded)
    }
    assert found == {}
    assert "bot.deliver.services.settings" in loaded  # the probe sees the settings it needs
