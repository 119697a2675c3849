"""``[destinations.NAME]`` tables in linkletter.toml and the ``publish_to`` references to them."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, parse_config
from bot.deliver.services.build import build_platform_destinations
from bot.deliver.services.ghost import GhostDestination
from bot.deliver.services.settings import GhostSettings

DIGEST = """
[[digest]]
name = "weekly"
sources = ["slack:C1"]
publish_to = [{publish_to}]
"""

GHOST = """
[destinations.blog]
kind = "ghost"
base_url = "https://blog.example.com"
api_key_env = "GHOST_ADMIN_KEY"
"""


def parse(publish_to: str, tables: str = GHOST) -> None:
    parse_config(DIGEST.format(publish_to=publish_to) + tables, "linkletter.toml")


def test_a_configured_destination_parses_and_builds() -> None:
    config = parse_config(DIGEST.format(publish_to='"ghost:blog", "file:out"') + GHOST)
    assert config.destinations["blog"] == GhostSettings(
        kind="ghost", base_url="https://blog.example.com", api_key_env="GHOST_ADMIN_KEY"
    )
    built = build_platform_destinations(config.digest().publish_to, config.destinations)
    assert list(built) == ["ghost:blog"]  # file: is left to build_destinations
    assert isinstance(built["ghost:blog"], GhostDestination)


@pytest.mark.parametrize(
    ("publish_to", "tables", "message"),
    [
        ('"ghost:nope"', GHOST, r"ghost:nope: no \[destinations.nope\] table"),
        ('"webhook:blog"', GHOST, r"webhook:blog: \[destinations.blog\] has kind = 'ghost'"),
        ('"ghost:https://blog.example.com"', GHOST, "not a destination: write"),
        ('"substack:blog"', GHOST, "not a destination: write"),
        (
            '"ghost:blog"',
            GHOST.replace('api_key_env = "GHOST_ADMIN_KEY"', 'api_key = "64f2:a1b2"'),
            "api_key_env",
        ),
        (
            '"ghost:blog"',
            GHOST.replace('"GHOST_ADMIN_KEY"', '"64f2f3e5a1b2:a1b2c3"'),
            "api_key_env = .*: must be the name of an environment variable",
        ),
        (
            '"ghost:blog"',
            GHOST.replace('"ghost"', '"wordpress"'),
            'kind = "wordpress": must be one of',
        ),
    ],
)
def test_mistakes_fail_at_start_naming_the_file(publish_to: str, tables: str, message: str) -> None:
    """A secret pasted where its variable's *name* belongs is refused, as is an unknown key."""
    with pytest.raises(ConfigError, match=message) as caught:
        parse(publish_to, tables)
    assert str(caught.value).startswith("linkletter.toml")


def test_mailchimp_and_webhook_required_keys() -> None:
    tables = """
[destinations.campaign]
kind = "mailchimp"
api_key_env = "MAILCHIMP_API_KEY"

[destinations.partners]
kind = "webhook"
url = "ftp://partners.example.com/hook"
secret_env = "HOOK_SECRET"
"""
    with pytest.raises(ConfigError) as caught:
        parse('"mailchimp:campaign", "webhook:partners"', tables)
    problems = str(caught.value)
    for missing in ("list_id", "from_name", "reply_to"):
        assert f'[destinations.campaign] needs the key "{missing}"' in problems
    bad_url = 'destinations.partners.url = "ftp://partners.example.com/hook": must be an http'
    assert bad_url in problems
