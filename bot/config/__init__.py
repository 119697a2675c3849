"""``linkletter.toml``: one file for what a team decides, the environment for secrets and URLs.

Every key is documented in ``docs/configuration.md``. A broken file fails at start with a
``ConfigError`` naming the file, the line and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)

from bot.assist.settings import AssistConfig
from bot.capture.emoji import normalise
from bot.config.errors import describe, report, toml_value
from bot.config.toml_lines import Path as KeyPath
from bot.config.toml_lines import key_lines
from bot.deliver.cadence import FORMS as SCHEDULE_FORMS
from bot.deliver.cadence import next_slot, parse_schedule
from bot.deliver.services.settings import DestinationConfig, unknown_references
from bot.envfile import config_path
from bot.platform_settings import PlatformSettings
from bot.platforms import every, is_id

DEFAULT_DATABASE_URL = "sqlite:///linkletter.db"
S = TypeVar("S", bound=PlatformSettings)

_SERVICES = re.compile(r"(file|smtp):.+|(webhook|buttondown|ghost|mailchimp|git):[A-Za-z0-9_-]+")


def _forms(name: str, forms: tuple[str, ...], hint: str) -> str:
    written = " or ".join(f"{name}:{form}" for form in forms)
    return f"{written} ({hint})" if hint else written


CHANNEL_HINT = "not a channel id: write " + " or ".join(
    _forms(p.name, p.ids.channel_forms, p.ids.channel_hint) for p in every()
)
EDITOR_HINT = "not an editor id: write " + ", ".join(
    _forms(p.name, p.ids.editor_forms, p.ids.editor_hint) for p in every()
)
DESTINATION_HINT = (
    "not a destination: write a channel ("
    + ", ".join(f"{p.name}:{p.ids.channel_forms[0]}" for p in every())
    + "), file:./DIR, smtp:ADDRESS, "
    "or webhook:NAME, buttondown:NAME, ghost:NAME, mailchimp:NAME, git:NAME "
    "with a [destinations.NAME] table"
)


def _is_channel(value: str) -> bool:
    return is_id(value, lambda ids: ids.channel)


def _is_editor(value: str) -> bool:
    return is_id(value, lambda ids: ids.editor)


def _is_destination(value: str) -> bool:
    return _is_channel(value) or _SERVICES.fullmatch(value) is not None


def _matching(matches: Callable[[str], bool], hint: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not matches(value):
            raise ValueError(hint)
        return value

    return check


def check_schedule(value: str) -> str:
    """``value`` if it is a schedule that fires, else ``ValueError`` with the accepted forms."""
    if next_slot(parse_schedule(value, "UTC"), datetime.now(UTC)) is None:
        raise ValueError(f"never happens (no such date): {SCHEDULE_FORMS}")
    return value


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("not an IANA time zone name") from exc
    return value


# Each returns its value or raises ValueError with how to write one (also used by `init`).
check_channel = _matching(_is_channel, CHANNEL_HINT)
check_editor = _matching(_is_editor, EDITOR_HINT)
check_destination = _matching(_is_destination, DESTINATION_HINT)
Channel = Annotated[str, AfterValidator(check_channel)]
Editor = Annotated[str, AfterValidator(check_editor)]
Destination = Annotated[str, AfterValidator(check_destination)]
Schedule = Annotated[str, AfterValidator(check_schedule)]
Timezone = Annotated[str, AfterValidator(check_timezone)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmojiSettings(_Strict):
    """Which reactions mean what. Short names (``white_check_mark``) and Unicode are equivalent."""

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


class ScoreWeights(_Strict):
    """How much each sign of discussion adds to an item's engagement score (issue 21)."""

    reactors: float = Field(default=1, ge=0)  # distinct people who reacted, editors too
    votes: float = Field(default=1, ge=0)  # reactions counted as votes (see the rules)
    replies: float = Field(default=1, ge=0)  # thread replies to the sharing messages
    participants: float = Field(default=1, ge=0)  # distinct sharers, repliers and reactors
    channels: float = Field(default=2, ge=0)  # each channel beyond the first that shared it
    platforms: float = Field(default=2, ge=0)  # each platform beyond the first
    featured: float = Field(default=5, ge=0)  # the editor boost: ⭐


class DigestConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = "{name} — Issue {number}"
    sources: list[Channel]
    publish_to: list[Destination] = Field(default_factory=list)
    editors: list[Editor] = Field(default_factory=list)
    editors_channel: Channel | None = None
    schedule: Schedule = "mon 09:00"
    timezone: Timezone = "UTC"
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
    order: Literal["votes", "score"] = "votes"  # within a section, after featured items
    score: ScoreWeights = Field(default_factory=ScoreWeights)
    show_sharer: bool = True
    intro: str | None = None
    outro: str | None = None

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
    # a share of an article an earlier issue carried; {issue} is "issue #N (date)"
    published_reply: str = (
        "Already in {issue}: it will not go out again unless an editor approves it again."
    )


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


class ArchiveConfig(_Strict):
    """Snapshots of approved items at a Wayback-compatible save endpoint (off: it sends the
    links to a third party). ``LINKLETTER_ARCHIVE_URL`` overrides ``save_url``."""

    enabled: bool = False
    save_url: str = Field(default="https://web.archive.org/save/", pattern=r"^https?://\S+$")
    timeout_seconds: float = Field(default=120, gt=0)
    concurrency: int = Field(default=2, ge=1, le=6)  # Save Page Now limits parallel captures
    max_attempts: int = Field(default=4, ge=1)
    poll_seconds: float = Field(default=60, gt=0)


class Config(_Strict):
    digests: list[DigestConfig] = Field(alias="digest", min_length=1)
    receipts: ReceiptSettings = Field(default_factory=ReceiptSettings)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    assist: AssistConfig = Field(default_factory=AssistConfig)
    archive: ArchiveConfig = Field(default_factory=ArchiveConfig)
    destinations: dict[str, DestinationConfig] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

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

    def platform_settings(self, name: str, model: type[S]) -> S:
        """The ``[name]`` table of a registered platform, as its ``settings_model`` (``model``)."""
        settings = getattr(self, name, None) or model()
        if not isinstance(settings, model):
            raise TypeError(f"[{name}] is a {type(settings).__name__}, not a {model.__name__}")
        return settings


def _with_platform_tables() -> type[Config]:
    """``Config`` plus one ``[name]`` table per registered platform, each validated by the
    platform's own ``settings_model`` (same keys, same errors as any other table)."""
    tables: dict[str, Any] = {
        p.name: (p.settings_model, Field(default_factory=p.settings_model)) for p in every()
    }
    return create_model("Config", __base__=Config, **tables)


_CONFIG = _with_platform_tables()


class ConfigError(Exception):
    """A configuration problem, worded for the person who has to fix the file."""


def _cross_problems(config: Config) -> list[tuple[KeyPath, str]]:
    """What one field cannot say alone: unique names, sections and destinations that exist."""
    problems: list[tuple[KeyPath, str]] = []
    seen: set[str] = set()
    for index, digest in enumerate(config.digests):
        here: KeyPath = ("digest", index)
        if digest.name in seen:
            problems.append(
                ((*here, "name"), f"digest.name = {toml_value(digest.name)}: another digest has it")
            )
        seen.add(digest.name)
        for problem in unknown_references(digest.publish_to, config.destinations):
            problems.append(((*here, "publish_to"), f"digest.publish_to: {problem}"))
        for emoji, section in digest.emoji.sections.items():
            if section not in digest.section_order:
                problems.append(
                    (
                        (*here, "emoji", "sections", emoji),
                        f"digest.emoji.sections.{emoji} = {toml_value(section)}: no such "
                        "section; known: "
                        f"{', '.join(map(toml_value, digest.section_order))}",
                    )
                )
    return problems


def _toml_error(exc: tomllib.TOMLDecodeError, source: str) -> ConfigError:
    """``FILE:LINE: not valid TOML: …`` from tomllib's ``… (at line L, column C)``."""
    found = re.search(r"^(.*) \(at line (\d+), column \d+\)$", str(exc))
    if found is None:
        return ConfigError(f"{source}: not valid TOML: {exc}")
    return ConfigError(f"{source}:{found[2]}: not valid TOML: {found[1]}")


def parse_config(text: str, source: str = "<string>") -> Config:
    """Parse and validate TOML text; raise ``ConfigError`` naming file, line, key and value."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, source) from exc
    lines = key_lines(text)
    try:
        config = _CONFIG.model_validate(data, strict=True)
    except ValidationError as exc:
        described = [describe(_CONFIG, data, error) for error in exc.errors()]
        raise ConfigError(report(source, lines, described)) from exc
    problems = _cross_problems(config)
    if problems:
        raise ConfigError(report(source, lines, problems))
    return config


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


def archive_save_url(config: Config) -> str:
    """Where snapshots are requested: ``LINKLETTER_ARCHIVE_URL``, else ``[archive] save_url``."""
    return os.environ.get("LINKLETTER_ARCHIVE_URL") or config.archive.save_url
