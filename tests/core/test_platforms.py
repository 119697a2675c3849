"""The platform registry: platforms found by name, cheap to import, with their own id rules."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.discord import PLATFORM as DISCORD
from adapters.slack import PLATFORM as SLACK
from adapters.slack.config import SlackConfig
from bot.config import ConfigError, parse_config
from bot.deliver.scheduler import preview_payloads
from bot.platform import Platform
from bot.platform_settings import PlatformSettings
from bot.platforms import (
    REGISTRY,
    UnknownPlatform,
    every,
    in_a_sentence,
    names,
    platform,
    platform_of,
)
from storage.db import Database
from tests.core.helpers import CONFIG, service
from tests.digest.issues import realistic_issue

ROOT = Path(__file__).resolve().parents[2]
# Each platform package, and the SDK modules it must not load when imported.
SDKS = {"adapters.slack": ("slack_sdk", "slack_bolt"), "adapters.discord": ("discord",)}
# Two snowflakes float() cannot tell apart (both become 2**60 as a double).
EARLIER, LATER = str(2**60), str(2**60 + 1)


def test_every_registered_platform_is_found_by_name() -> None:
    assert names() == tuple(REGISTRY)
    assert [p.name for p in every()] == list(REGISTRY)
    assert platform("slack") is SLACK
    assert platform("discord") is DISCORD
    checked: tuple[Platform, ...] = (SLACK, DISCORD)  # mypy checks the protocol here
    assert all(p.ids.channel_example and p.token_variable for p in checked)


def test_an_unknown_platform_is_refused() -> None:
    with pytest.raises(UnknownPlatform):
        platform("matrix-but-not-yet")


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        ("slack:C0123ABCD", "slack"),
        ("discord:role:123", "discord"),
        ("file:./issues", None),
        ("webhook:hook", None),
        ("nonsense", None),
    ],
)
def test_platform_of_an_id(ident: str, expected: str | None) -> None:
    found = platform_of(ident)
    assert (found.name if found else None) == expected


def imported_modules(statement: str) -> set[str]:
    """The modules a fresh interpreter imports for ``statement`` (``-X importtime``'s list)."""
    result = subprocess.run(  # noqa: S603 - our interpreter, a fixed program
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip() for line in lines[1:]}  # the first is the header


@pytest.mark.parametrize("package", sorted(SDKS))
def test_importing_a_platform_package_loads_no_sdk(package: str) -> None:
    loaded = imported_modules(f"import {package}; {package}.PLATFORM.ids")
    assert package in loaded  # the probe works
    sdk = [m for m in loaded if m.split(".")[0] in SDKS[package]]
    assert not sdk, f"{package} imports {sorted(sdk)[:5]}"


def test_the_configuration_loads_no_sdk() -> None:
    loaded = imported_modules("import bot.config")
    sdk = {m.split(".")[0] for m in loaded} & {s for sdks in SDKS.values() for s in sdks}
    assert not sdk


def test_slack_positions_order_exactly() -> None:
    key = SLACK.position_key
    assert key("1700000000.000099") < key("1700000000.000100") == key("1700000000.0001")
    assert key("1700000000.999999") < key("1700000001.000000")
    assert key("not a ts") < key("0.000001")


def test_discord_positions_order_past_what_a_float_can_tell_apart() -> None:
    assert float(EARLIER) == float(LATER)  # what storage compared before
    assert DISCORD.position_key(EARLIER) < DISCORD.position_key(LATER)
    assert DISCORD.position_key("x") < DISCORD.position_key("0")


async def test_a_checkpoint_never_moves_back_between_close_snowflakes(db: Database) -> None:
    core = service(db)
    channel = "discord:112233445566778899"
    await core.save_checkpoint(channel, LATER)
    await core.save_checkpoint(channel, EARLIER)  # a late backfill page
    assert await core.checkpoint(channel) == LATER
    await core.save_checkpoint(channel, str(2**60 + 2))
    assert await core.checkpoint(channel) == str(2**60 + 2)


async def test_a_slack_checkpoint_moves_by_the_ts_order(db: Database) -> None:
    core = service(db)
    channel = "slack:C0123ABCD"
    await core.save_checkpoint(channel, "1700000000.000100")
    await core.save_checkpoint(channel, "999999999.000000")  # shorter, so later as text
    assert await core.checkpoint(channel) == "1700000000.000100"


def test_each_platform_validates_its_own_table() -> None:
    config = parse_config(CONFIG + "\n[slack]\nbackfill_interval_seconds = 60\n")
    assert config.platform_settings("slack", SlackConfig).backfill_interval_seconds == 60
    assert config.platform_settings("discord", PlatformSettings).capture_bot_messages is False
    with pytest.raises(TypeError, match=r"\[discord\] is a PlatformSettings, not a SlackConfig"):
        config.platform_settings("discord", SlackConfig)
    extra = CONFIG + "\n[discord]\nbackfill_interval_seconds = 60\n"
    lines = extra.count("\n")
    with pytest.raises(ConfigError) as error:
        parse_config(extra, "x.toml")
    assert str(error.value) == (
        f'x.toml:{lines}: unknown key "backfill_interval_seconds" in [discord] '
        "(known keys: capture_bot_messages)"
    )


def test_previews_are_rendered_natively_for_each_connected_platform_only() -> None:
    issue = realistic_issue()
    when = datetime(2026, 11, 23, 9, tzinfo=UTC)
    payloads = preview_payloads(issue, when, ["discord"], [(1, "It matters")])
    assert set(payloads) == {"discord"}
    heading, *rendered, suggestion = payloads["discord"]
    assert heading == DISCORD.text_message(heading["content"])
    assert heading["content"].startswith(f"Preview of {issue.title}")
    assert rendered == DISCORD.render(issue)
    assert suggestion["content"].startswith("Suggested why for item 1: It matters")
    both = preview_payloads(issue, when, ["slack", "discord"])
    assert both["slack"][1:] == SLACK.render(issue)
    assert both["slack"][0]["text"] == heading["content"]


@pytest.mark.parametrize(
    ("words", "sentence"),
    [([], ""), (["Slack"], "Slack"), (["A", "B"], "A and B"), (["A", "B", "C"], "A, B and C")],
)
def test_names_read_as_a_sentence(words: list[str], sentence: str) -> None:
    assert in_a_sentence(words) == sentence
