"""``linkletter.toml``: one file for what a team decides, the environment for secrets and URLs.

Every key is documented in ``docs/configuration.md``. A broken file fails at start with a
``ConfigError`` naming the file, the line and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.assist.settings import AssistConfig
from bot.emoji_names import normalise
from bot.publish.platforms.settings import DestinationConfig, unknown_references

DEFAULT_CONFIG_PATH = "linkletter.toml"
DEFAULT_DATABASE_URL = "sqlite:///linkletter.db"

_CHANNEL = re.compile(r"^(slack|discord):[A-Za-z0-9_.-]+$")
_EDITOR = re.compile(r"^(slack:[A-Za-z0-9]+|discord:\d+|discord:role:\d+)$")
_DESTINATION = re.compile(
    r"^(slack|discord):[A-Za-z0-9_.-]+$|^(file|smtp):.+$"
    r"|^(webhook|buttondown|ghost|mailchimp|git):[A-Za-z0-9_-]+$"
)


def _channel(value: str) -> str:
    if not _CHANNEL.match(value):
        raise ValueError(f"{value!r} is not a channel: write slack:C0123 or discord:123456789")
    return value


def _editor(value: str) -> str:
    if not _EDITOR.match(value):
        raise ValueError(
            f"{value!r} is not an editor: write slack:U0123, discord:<user id> "
            "or discord:role:<role id>"
        )
    return value


def _destination(value: str) -> str:
    if not _DESTINATION.match(value):
        raise ValueError(
            f"{value!r} is not a destination: write slack:C0123, discord:123, file:PATH, "
            "smtp:ADDRESS, or webhook:NAME, buttondown:NAME, ghost:NAME, mailchimp:NAME, "
            "git:NAME for a [destinations.NAME] table"
        )
    return value


Channel = Annotated[str, AfterValidator(_channel)]
Editor = Annotated[str, AfterValidator(_editor)]
Destination = Annotated[str, AfterValidator(_destination)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmojiSettings(_Strict):
    """Which reactions mean what. Slack short names and Unicode are equivalent."""

    approve: str = "white_check_mark"
    reject: str = "x"
    feature: str = "star"
    sections: dict[str, str] = Field(default_factory=dict)  # emoji -> section name

    def meaning(self, emoji: str) -> str | None:
        """``approve``/``reject``/``feature``/``section:<name>`` for an editor's reaction."""
        normal = normalise(emoji)
        for action in ("approve", "reject", "feature"):
            if normalise(getattr(self, action)) == normal:
                return action
        for key, section in self.sections.items():
            if normalise(key) == normal:
                return f"section:{section}"
        return None


class SectionRule(_Strict):
    name: str
    hashtags: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class DigestConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = "{name} — Issue {number}"
    sources: list[Channel]
    publish_to: list[Destination] = Field(default_factory=list)
    editors: list[Editor] = Field(default_factory=list)
    editors_channel: Channel | None = None
    schedule: str = "mon 09:00"
    timezone: str = "UTC"
    preview_hours: float = Field(default=24, ge=0)
    grace_hours: float = Field(default=12, ge=0)
    sections: list[SectionRule] = Field(default_factory=list)
    default_section: str = "Links"
    emoji: EmojiSettings = Field(default_factory=EmojiSettings)
    max_items: int | None = Field(default=None, ge=1)
    max_per_section: int | None = Field(default=None, ge=1)
    post_when_empty: bool = False
    empty_text: str = "Nothing this week."
    read_more: Literal["words", "minutes"] = "words"
    show_sharer: bool = True
    intro: str | None = None
    outro: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/London)") from exc
        return value

    @property
    def section_order(self) -> list[str]:
        names = [rule.name for rule in self.sections]
        return [*names, self.default_section] if self.default_section not in names else names

    @property
    def preview_before(self) -> timedelta:
        return timedelta(hours=self.preview_hours)


class ReceiptSettings(_Strict):
    """How the bot tells a sharer their link is in, without noise."""

    captured: str = "inbox_tray"
    duplicate: str = "recycle"
    duplicate_mode: Literal["reaction", "reply", "none"] = "reaction"
    duplicate_reply: str = "Already in the queue: your share was added to it."


class FetchConfig(_Strict):
    allow_private_networks: bool = False
    timeout_seconds: float = Field(default=20, gt=0)
    max_bytes: int = Field(default=5_000_000, gt=0)
    concurrency: int = Field(default=8, ge=1)
    per_host_concurrency: int = Field(default=2, ge=1)
    max_attempts: int = Field(default=4, ge=1)
    user_agent: str = "LinkletterBot/0.1 (+https://github.com/linkletter)"
    # One page's fetch and extraction together; under the worker's 5-minute lease.
    budget_seconds: float = Field(default=30, gt=0, le=240)
    extract_processes: int = Field(default=2, ge=1, le=16)


class WebConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    private: bool = False  # require LINKLETTER_WEB_TOKEN for the archive


class SlackConfig(_Strict):
    capture_bot_messages: bool = False
    backfill_interval_seconds: float = Field(default=1.2, ge=0)


class DiscordConfig(_Strict):
    capture_bot_messages: bool = False


class Config(_Strict):
    digests: list[DigestConfig] = Field(alias="digest", min_length=1)
    receipts: ReceiptSettings = Field(default_factory=ReceiptSettings)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    slack: SlackConfig = Field(default_factory=SlackConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    assist: AssistConfig = Field(default_factory=AssistConfig)
    destinations: dict[str, DestinationConfig] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _unique_digest_names(self) -> Config:
        names = [d.name for d in self.digests]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"digest names must be unique; repeated: {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def _destinations_exist(self) -> Config:
        problems = [
            f"digest {d.name!r}: {problem}"
            for d in self.digests
            for problem in unknown_references(d.publish_to, self.destinations)
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def digest(self, name: str | None = None) -> DigestConfig:
        if name is None:
            return self.digests[0]
        for digest in self.digests:
            if digest.name == name:
                return digest
        known = ", ".join(d.name for d in self.digests)
        raise KeyError(f"no digest named {name!r} (configured: {known})")

    def digests_for(self, channel: str) -> list[DigestConfig]:
        return [d for d in self.digests if channel in d.sources]


class ConfigError(Exception):
    """A configuration problem, worded for the person who has to fix the file."""


def _locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Best-effort line number of the key at pydantic location ``loc`` in the TOML ``text``."""
    lines = text.splitlines()
    start, table = 0, ""
    keys = [part for part in loc if isinstance(part, str)]
    indexes = [part for part in loc if isinstance(part, int)]
    if keys and keys[0] == "digest" and indexes:
        headers = [i for i, line in enumerate(lines) if line.strip() == "[[digest]]"]
        if indexes[0] < len(headers):
            start, table = headers[indexes[0]], "digest"
    elif keys and len(keys) > 1:
        for i, line in enumerate(lines):
            if line.strip() == f"[{keys[0]}]":
                start, table = i, keys[0]
    wanted = [k for k in keys if k != table] or keys
    pattern = re.compile(rf"^\s*\"?{re.escape(str(wanted[-1]))}\"?\s*=") if wanted else None
    for i in range(start, len(lines)):
        if pattern and pattern.match(lines[i]):
            return i + 1
    return start + 1 if table else None


def parse_config(text: str, source: str = "<string>") -> Config:
    """Parse and validate TOML text; raise ``ConfigError`` with file, line and key on failure."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _locate(text, loc)
            where = f"{source}:{line}" if line else source
            problems.append(f"{where}: {key}: {error['msg']}")
        raise ConfigError("\n".join(problems)) from exc


def config_path(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("LINKLETTER_CONFIG") or DEFAULT_CONFIG_PATH)


def load_config(explicit: str | None = None) -> Config:
    path = config_path(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such config file (run `linkletter init` to write one, "
            "or pass --config / set LINKLETTER_CONFIG)"
        ) from exc
    return parse_config(text, str(path))


def database_url() -> str:
    return os.environ.get("LINKLETTER_DATABASE_URL") or DEFAULT_DATABASE_URL


def allow_private_networks(config: Config) -> bool:
    return config.fetch.allow_private_networks or os.environ.get(
        "LINKLETTER_FETCH_ALLOW_PRIVATE", ""
    ).lower() in ("1", "true", "yes")
