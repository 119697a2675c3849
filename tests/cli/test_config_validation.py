"""Every broken linkletter.toml fails at load with one plain line per problem: file, line, key,
the bad value and a valid example; ``run``, ``digest list`` and ``doctor`` say exactly that."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, parse_config
from bot.config.toml_lines import key_lines

GOOD = """\
[web]
port = 8080

[[digest]]
name = "weekly"
sources = ["slack:C0123ABCD"]
publish_to = ["file:./issues"]
editors = ["slack:U0123ABCD"]
"""
DIGEST = '[[digest]]\nname = "weekly"\nsources = ["slack:C0123ABCD"]\n'
SCHEDULE_FORMS = (
    'write "mon 09:00", "mon,thu 09:00", "daily 18:30", "weekdays 08:00" '
    'or a crontab like "0 9 * * mon"'
)

CASES = [
    (
        DIGEST + 'schedule = "every monday at 9"\n',
        'x.toml:4: digest.schedule = "every monday at 9": not a schedule '
        f"(neither DAYS HH:MM nor a five-field crontab): {SCHEDULE_FORMS}",
    ),
    (
        DIGEST + 'schedule = "mon 25:00"\n',
        'x.toml:4: digest.schedule = "mon 25:00": not a schedule '
        f"(25:00 is not a time of day): {SCHEDULE_FORMS}",
    ),
    (
        DIGEST + 'schedule = "0 9 31 2 *"\n',
        f'x.toml:4: digest.schedule = "0 9 31 2 *": never happens (no such date): {SCHEDULE_FORMS}',
    ),
    (
        DIGEST + 'timezone = "Mars/Olympus"\n',
        'x.toml:4: digest.timezone = "Mars/Olympus": not an IANA time zone name; '
        'e.g. timezone = "Europe/London"',
    ),
    (
        '[web]\nport = "8080"\n' + DIGEST,
        'x.toml:2: web.port = "8080": must be a whole number, without quotes; e.g. port = 8080',
    ),
    (
        '[web]\nprivate = "yes"\n' + DIGEST,
        'x.toml:2: web.private = "yes": must be true or false, without quotes',
    ),
    (
        '[web]\nhots = "127.0.0.1"\n' + DIGEST,
        'x.toml:2: unknown key "hots" in [web]; did you mean "host"?',
    ),
    (
        DIGEST + 'shedule = "mon 09:00"\n',
        'x.toml:4: unknown key "shedule" in [[digest]]; did you mean "schedule"?',
    ),
    (
        '[dgest]\nname = "x"\n',
        'x.toml: needs at least one [[digest]] table; e.g. [[digest]] name = "weekly" …\n'
        'x.toml:1: unknown key "dgest" in the top level; did you mean "digest"?',
    ),
    (
        '[[digest]]\nname = "weekly"\n',
        'x.toml:1: [[digest]] needs the key "sources"; '
        'e.g. sources = ["slack:C0123ABCD", "discord:112233445566778899", '
        '"matrix:!AbCdEfGhIjKlMnOp:example.org"]',
    ),
    (
        '[[digest]]\nname = "Weekly"\nsources = ["slack:C1"]\n',
        'x.toml:2: digest.name = "Weekly": must be lower-case letters, digits, - and _, '
        'starting with a letter or digit; e.g. name = "weekly"',
    ),
    (
        '[[digest]]\nname = "weekly"\nsources = [\n  "slack:C1",\n  "slack:general",\n]\n',
        'x.toml:3: digest.sources = "slack:general": not a channel id: write slack:C… or '
        "slack:G… (Slack: the channel's About tab -> Channel ID) or discord:<channel id> "
        "(Discord: Developer Mode, right-click -> Copy Channel ID) or matrix:!<room id> or "
        "matrix:#<alias>:<server> (Element: Room settings -> Advanced -> Internal room ID); "
        'e.g. sources = ["slack:C0123ABCD", "discord:112233445566778899", '
        '"matrix:!AbCdEfGhIjKlMnOp:example.org"]',
    ),
    (
        DIGEST + 'editors = ["slack:C0123ABCD"]\n',
        'x.toml:4: digest.editors = "slack:C0123ABCD": not an editor id: write slack:U… or '
        "slack:W… (Slack: the profile's ⋮ -> Copy member ID), discord:<user id> or "
        "discord:role:<role id>, matrix:@<user>:<server> or matrix:power:<level> "
        "(power:<level>: everyone with at least that power level in the room); "
        'e.g. editors = ["slack:U0123ABCD", "discord:role:123456789012345678", '
        '"matrix:@editor:example.org"]',
    ),
    (
        DIGEST + 'editors = ["discord:role:admins"]\n',
        'x.toml:4: digest.editors = "discord:role:admins": not an editor id',
    ),
    (
        DIGEST + 'publish_to = ["ghost:blog"]\n',
        "x.toml:4: digest.publish_to: ghost:blog: no [destinations.blog] table",
    ),
    (
        DIGEST + 'read_more = "pages"\n',
        "x.toml:4: digest.read_more = \"pages\": must be 'words' or 'minutes'; "
        'e.g. read_more = "words"',
    ),
    (
        DIGEST + "preview_hours = -1\n",
        "x.toml:4: digest.preview_hours = -1: must be at least 0",
    ),
    (
        DIGEST + '[digest.emoji.sections]\nrobot_face = "ML"\n',
        'x.toml:5: digest.emoji.sections.robot_face = "ML": no such section; known: "Links"',
    ),
    (  # the second digest's second section: arrays of tables are counted per parent
        DIGEST
        + '[[digest.sections]]\nname = "A"\n'
        + '[[digest]]\nname = "other"\nsources = ["discord:1"]\n'
        + '[[digest.sections]]\nname = "B"\n[[digest.sections]]\nname = "C"\nkeyword = ["x"]\n',
        'x.toml:13: unknown key "keyword" in [[digest.sections]]; did you mean "keywords"?',
    ),
    (
        DIGEST + '[[digest]]\nname = "weekly"\nsources = ["slack:C1"]\n',
        'x.toml:5: digest.name = "weekly": another digest has it',
    ),
    (
        DIGEST + '[destinations.blog]\nkind = "wordpress"\n',
        'x.toml:5: destinations.blog.kind = "wordpress": must be one of '
        "'webhook', 'buttondown', 'ghost', 'mailchimp', 'git'; e.g. kind = \"webhook\"",
    ),
    (
        DIGEST + '[destinations.blog]\nurl = "https://x"\n',
        'x.toml:4: [destinations.blog] needs the key "kind"; e.g. kind = "webhook"',
    ),
    (
        DIGEST + 'intro = """\nschedule = 1\n"""\nschedule = "mon 9"\n',
        'x.toml:7: digest.schedule = "mon 9": not a schedule',
    ),
    ("[[digest]\n", "x.toml:1: not valid TOML: Expected ']]' at the end of an array declaration"),
    (
        "[archive]\nconcurrency = 10\n" + DIGEST,
        "x.toml:2: archive.concurrency = 10: must be at most 6",
    ),
    (
        '[archive]\nsave_url = "web.archive.org/save/"\n' + DIGEST,
        'x.toml:2: archive.save_url = "web.archive.org/save/": must be an http(s) URL, '
        "like https://web.archive.org/save/",
    ),
    (
        "[archive]\ntimeout_seconds = 0\n" + DIGEST,
        "x.toml:2: archive.timeout_seconds = 0: must be more than 0",
    ),
    (
        "[archive]\nenable = true\n" + DIGEST,
        'x.toml:2: unknown key "enable" in [archive]; did you mean "enabled"?',
    ),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_each_broken_file_gets_its_exact_message(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "x.toml")
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("text", "message"), CASES)
def test_no_pydantic_jargon_reaches_the_reader(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "x.toml")
    for jargon in ("Value error", "Extra inputs", "Input should", "Field required", "pattern"):
        assert jargon not in str(caught.value)


def test_the_good_file_and_typed_numbers_load() -> None:
    config = parse_config(GOOD + "preview_hours = 6\ngrace_hours = 1.5\n")
    assert config.web.port == 8080
    assert config.digest().preview_hours == 6.0


@pytest.mark.parametrize(
    "value",
    ["mon 09:00", "mon,thu 09:00", "daily 18:30", "weekdays 08:00", "weekends 10:00", "0 9 * * 1"],
)
def test_documented_schedules_are_accepted(value: str) -> None:
    assert parse_config(DIGEST + f'schedule = "{value}"\n').digest().schedule == value


def test_key_lines_follow_nested_tables_and_arrays_of_tables() -> None:
    text = (
        "# top\n"  # 1
        "[web]\n"  # 2
        'host = "127.0.0.1"  # [not a table]\n'  # 3
        "[[digest]]\n"  # 4
        'name = "a"\n'  # 5
        "sources = [\n"  # 6
        '  "slack:C1", # ]\n'  # 7
        "]\n"  # 8
        "[digest.emoji.sections]\n"  # 9
        '"🤖" = "ML"\n'  # 10
        "[[digest.sections]]\n"  # 11
        'name = """two\n'  # 12
        'name = "still the string"\n'  # 13
        'lines"""\n'  # 14
        "[[digest]]\n"  # 15
        'emoji = { approve = "x" }\n'  # 16
        "[[digest.sections]]\n"  # 17
        'name = "b"\n'  # 18
        "[destinations.blog]\n"  # 19
        'a.b = "c"\n'  # 20
    )
    lines = key_lines(text)
    assert lines[("web", "host")] == 3
    assert lines[("digest", 0)] == 4
    assert lines[("digest", 0, "sources")] == 6
    assert lines[("digest", 0, "emoji", "sections", "🤖")] == 10
    assert lines[("digest", 0, "sections", 0, "name")] == 12
    assert lines[("digest", 1)] == 15
    assert lines[("digest", 1, "emoji")] == 16
    assert lines[("digest", 1, "sections", 0, "name")] == 18
    assert lines[("destinations", "blog", "a", "b")] == 20
    assert len([path for path in lines if path[-1] == "name"]) == 3


def _linkletter(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DISC"))
    }
    env["LINKLETTER_DATABASE_URL"] = f"sqlite:///{workdir / 'x.db'}"
    return subprocess.run(  # noqa: S603 - our interpreter, our CLI
        [sys.executable, "-m", "bot", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "text",
    [
        DIGEST + 'schedule = "every monday at 9"\n',
        '[web]\nhots = "x"\n[[digest]]\nname = "weekly"\n',  # brackets survive the terminal
    ],
)
def test_run_digest_list_and_doctor_give_the_same_message(tmp_path: Path, text: str) -> None:
    (tmp_path / "linkletter.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "linkletter.toml")
    results = [
        _linkletter(tmp_path, *command) for command in (["run"], ["digest", "list"], ["doctor"])
    ]
    assert [result.returncode for result in results] == [1, 1, 1]
    assert [result.stderr for result in results] == [f"error: {caught.value}\n"] * 3
    assert all("Traceback" not in result.stderr + result.stdout for result in results)
