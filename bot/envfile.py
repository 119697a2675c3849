"""``.env`` files, read before any command: kept apart from ``bot.config`` so that the CLI's
``--help`` loads no configuration machinery (pydantic, the models)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CONFIG_PATH = "linkletter.toml"


def config_path(explicit: str | None = None) -> Path:
    """The config file: ``--config``, else ``$LINKLETTER_CONFIG``, else ``./linkletter.toml``."""
    return Path(explicit or os.environ.get("LINKLETTER_CONFIG") or DEFAULT_CONFIG_PATH)


def load_env_files(explicit: str | None = None) -> list[Path]:
    """Read ``.env`` next to the config file, then ``./.env``; the real environment wins.

    Returns the files read. Called once by the CLI before any command.
    """
    from dotenv import load_dotenv

    candidates = dict.fromkeys(
        [config_path(explicit).resolve().parent / ".env", Path.cwd() / ".env"]
    )
    found = [path for path in candidates if path.is_file()]
    for path in found:
        load_dotenv(path, override=False)
    return found
