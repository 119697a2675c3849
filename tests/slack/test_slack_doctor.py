"""``linkletter doctor`` Slack checks against the fake, and the manifest's scopes."""

from __future__ import annotations

import re
from pathlib import Path

from adapters.slack.connection import SHORTCUT_CALLBACK_ID
from adapters.slack.doctor import NEEDED_SCOPES, run_checks
from adapters.slack.settings import SlackSettings, make_client
from tests.slack.fake_slack import DEFAULT_SCOPES, FakeSlack
from tests.slack.helpers import OTHER, WATCHED, settings_for

MANIFEST = Path(__file__).parents[2] / "deploy" / "slack" / "manifest.yml"


async def test_healthy_install_passes_every_check(fake: FakeSlack) -> None:
    checks = await run_checks(
        make_client(settings_for(fake, socket_mode=False)), [f"slack:{WATCHED}", f"slack:{OTHER}"]
    )
    assert [check.ok for check in checks] == [True, True, True, True]


async def test_missing_scopes_and_membership_say_how_to_fix(fake: FakeSlack) -> None:
    fake.scopes = tuple(s for s in DEFAULT_SCOPES if s not in {"reactions:write", "commands"})
    fake.channels[OTHER].is_member = False
    checks = await run_checks(
        make_client(settings_for(fake, socket_mode=False)),
        [f"slack:{WATCHED}", f"slack:{OTHER}", "slack:C0GONE"],
    )
    failures = [check for check in checks if not check.ok]
    assert len(failures) == 3
    assert "commands (/linkletter" in failures[0].reason
    assert "reactions:write (receipt reactions" in failures[0].reason
    assert "manifest.yml" in failures[0].fix
    assert failures[1].fix == "type /invite @Linkletter in #random"
    assert "channel_not_found" in failures[2].reason


async def test_bad_token_stops_at_the_first_check(fake: FakeSlack) -> None:
    settings = SlackSettings(bot_token="xoxb-wrong", api_url=fake.api_url)
    [check] = await run_checks(make_client(settings), [f"slack:{WATCHED}"])
    assert not check.ok
    assert "invalid_auth" in check.reason
    assert "SLACK_BOT_TOKEN" in check.fix


def test_manifest_requests_exactly_the_needed_scopes() -> None:
    text = MANIFEST.read_text()
    bot_block = text.split("    bot:\n", 1)[1].split("settings:", 1)[0]
    assert set(re.findall(r"^\s+- (\S+)$", bot_block, re.MULTILINE)) == set(NEEDED_SCOPES)
    assert f"callback_id: {SHORTCUT_CALLBACK_ID}" in text
    assert "command: /linkletter" in text
