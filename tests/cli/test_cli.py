"""The ``linkletter`` command line: verbs, JSON fields and exit codes scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.db import Database
from tests.core.helpers import ANN, EDITOR, post, react, service

CONFIG = """
[[digest]]
name = "weekly"
title = "Team Links — Issue {number}"
sources = ["slack:C1"]
editors = ["slack:UED"]
publish_to = ["file:{out}"]
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LINKLETTER_CONFIG", raising=False)
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    (tmp_path / "linkletter.toml").write_text(CONFIG.replace("{out}", str(tmp_path / "out")))
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def seed(workdir: Path) -> None:
    text = (workdir / "linkletter.toml").read_text()
    core = service(Database.connect(f"sqlite:///{workdir / 'cli.db'}"), text)
    core.handle_sync(post("slack:C1", "1", ANN, "https://example.com/a why: it matters"))
    core.handle_sync(post("slack:C1", "2", ANN, "https://example.com/b", 1))
    core.handle_sync(react("slack:C1", "1", EDITOR, "white_check_mark", 2))


def test_old_schema_is_refused_until_upgrade(workdir: Path) -> None:
    code, output = cli("items", "list")
    assert code == 1
    assert "linkletter db upgrade" in output
    assert cli("db", "upgrade")[0] == 0
    assert cli("items", "list", "--json") == (0, "[]\n")


def test_items_list_json_has_the_documented_fields(workdir: Path) -> None:
    cli("db", "upgrade")
    seed(workdir)
    code, output = cli("items", "list", "--json", "--status", "approved")
    assert code == 0
    [item] = json.loads(output)
    assert {
        "id",
        "url",
        "canonical_url",
        "title",
        "section",
        "status",
        "why",
        "note",
        "votes",
        "featured",
        "shares",
        "word_count",
        "enrichment",
        "archived_url",
        "archive",
    } <= item.keys()
    assert (item["status"], item["why"]) == ("approved", "it matters")
    assert (item["archived_url"], item["archive"]) == (
        None,
        {"status": None, "error": None, "attempts": 0},
    )
    assert item["shares"][0] | {"time": None} == {
        "platform": "slack",
        "channel": "slack:C1",
        "user": "slack:UANN",
        "user_name": "Ann",
        "message_id": "1",
        "time": None,
        "active": True,
    }


def test_curate_render_and_publish_from_the_terminal(workdir: Path) -> None:
    cli("db", "upgrade")
    seed(workdir)
    items = json.loads(cli("items", "list", "--json", "--status", "draft")[1])
    assert cli("items", "feature", str(items[0]["id"]))[0] == 0
    code, output = cli("digest", "render", "--format", "json")
    assert code == 0
    issue = json.loads(output)
    assert next(i["url"] for s in issue["sections"] for i in s["items"]) == "https://example.com/b"
    assert cli("digest", "publish", "--dry-run")[0] == 0
    assert not (workdir / "out").exists()
    code, output = cli("digest", "publish", "--now")
    assert code == 0, output
    assert "issue 1 published" in output
    assert (workdir / "out" / "weekly-001.md").exists()
    assert cli("digest", "show", "1")[0] == 0
    code, listing = cli("digest", "list")
    assert code == 0
    assert "weekly" in listing
    assert "mon 09:00" in listing
    assert cli("digest", "render", "--format", "slack", "--issue", "1", "--out", "s.json")[0] == 0
    assert json.loads((workdir / "s.json").read_text())[0]["blocks"]
    assert cli("digest", "show", "7")[0] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("items", "list", "--digest", "nope"), "no digest named 'nope'"),
        (("items", "approve", "999"), "no item 999"),
        (("import", "slack-export", "missing.zip"), "not a Slack export"),
        (("digest", "preview", "--digest", "nope"), "no digest named 'nope'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_1(
    workdir: Path, args: tuple[str, ...], message: str
) -> None:
    cli("db", "upgrade")
    code, output = cli(*args)
    assert code == 1
    assert message in output


def test_broken_config_names_file_line_and_key(workdir: Path) -> None:
    (workdir / "linkletter.toml").write_text(
        '[[digest]]\nname = "x"\nsources = ["slack:C1"]\ntimezone = "Mars/Base"\n'
    )
    code, output = cli("items", "list")
    assert code == 1
    assert 'linkletter.toml:4: digest.timezone = "Mars/Base"' in output


def test_unreachable_database(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    code, output = cli("items", "list")
    assert code == 1
    assert "cannot reach the database" in output


def test_init_writes_a_valid_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _ = cli(
        "init",
        "--name",
        "team",
        "--source",
        "discord:123",
        "--publish-to",
        "file:./issues",
        "--editor",
        "discord:role:456",
        "--schedule",
        "fri 16:00",
        "--timezone",
        "America/New_York",
    )
    assert code == 0
    from bot.config import load_config

    assert load_config(str(tmp_path / "linkletter.toml")).digest().schedule == "fri 16:00"
    assert (
        cli(
            "init",
            "--name",
            "team",
            "--source",
            "discord:123",
            "--schedule",
            "x",
            "--timezone",
            "UTC",
        )[0]
        == 1
    )  # exists: not overwritten


def test_help_everywhere() -> None:
    for args in ([], ["items"], ["digest"], ["db"], ["import"], ["assist"], ["discord"]):
        code, output = cli(*args, "--help")
        assert code == 0
        assert "Usage" in output


def test_bulk_enrichment_reports_failures(workdir: Path) -> None:
    config = workdir / "linkletter.toml"
    config.write_text("[fetch]\nallow_private_networks = true\n" + config.read_text())
    cli("db", "upgrade")
    core = service(Database.connect(f"sqlite:///{workdir / 'cli.db'}"), config.read_text())
    for n in range(2):  # a closed local port: every fetch fails, and is kept to retry
        core.handle_sync(post("slack:C1", str(n), ANN, f"http://127.0.0.1:9/page-{n}", n))
    code, output = cli("items", "enrich")
    assert code == 0
    assert "0 pages enriched, 0 failed, 2 to retry later" in output
    records = json.loads(cli("items", "list", "--json")[1])
    assert all(r["enrichment"]["status"] == "pending" for r in records)
    assert all(r["enrichment"]["error"].startswith("will retry") for r in records)


def test_imports_are_idempotent(workdir: Path) -> None:
    fixtures = Path(__file__).parents[1] / "fixtures" / "console"
    config = workdir / "linkletter.toml"
    config.write_text(
        config.read_text().replace('"slack:C1"', '"slack:C1", "discord:1100000000000000001"')
    )
    cli("db", "upgrade")
    code, output = cli("import", "discord-export", str(fixtures / "discord-export.json"))
    assert code == 0, output
    assert "5 new, 0 already known; 2 items touched" in output
    code, output = cli("import", "discord-export", str(fixtures / "discord-export.json"))
    assert "0 new, 5 already known" in output


def test_shipped_env_example_is_what_init_writes() -> None:
    """One template: the repository's .env.example and `linkletter init` never drift apart."""
    from bot.cli.init import env_template

    assert (Path(__file__).parents[2] / ".env.example").read_text() == env_template()


def test_digest_preview_drafts_shows_each_platforms_link_or_reason(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--drafts`` goes through the same draft bookkeeping as the scheduled preview; here
    the platform cannot be reached, so its reason is what the editor sees."""
    config = workdir / "linkletter.toml"
    config.write_text(
        config.read_text().replace(
            'publish_to = ["file:', 'publish_to = ["buttondown:news", "file:'
        )
        + '\n[destinations.news]\nkind = "buttondown"\napi_key_env = "BUTTONDOWN_API_KEY"\n'
    )
    monkeypatch.delenv("BUTTONDOWN_API_KEY", raising=False)
    cli("db", "upgrade")
    seed(workdir)
    code, output = cli("digest", "preview", "--drafts")
    assert code == 0
    assert (
        "Drafts: Buttondown not saved (environment variable BUTTONDOWN_API_KEY is not set)"
        in " ".join(output.split())
    )
    assert "Drafts:" not in cli("digest", "preview")[1]


def test_confirmations_say_what_was_saved_or_refused(workdir: Path) -> None:
    cli("db", "upgrade")
    seed(workdir)
    item = json.loads(cli("items", "list", "--json", "--status", "draft")[1])[0]["id"]
    assert cli("items", "set", str(item), "--why", "it is [/x] good") == (
        0,
        f"Item {item}: why this matters saved; it is draft.\n",
    )
    code, output = cli("items", "set", str(item), "--section", "Gossip", "--why", "lost?")
    assert code == 1
    assert "weekly has no section 'Gossip'. Known sections: Links" in output
    record = json.loads(cli("items", "list", "--json", "--status", "draft")[1])[0]
    assert (record["why"], record["section"]) == ("it is [/x] good", "Links")


def test_empty_listings_say_what_to_do_next(workdir: Path) -> None:
    cli("db", "upgrade")
    code, output = cli("items", "list")
    assert code == 0
    assert "No items yet. Share a link in a watched channel (slack:C1)" in output
    assert "linkletter import slack-export" in output
    assert "No approved items" in cli("items", "list", "--status", "approved")[1]
    code, output = cli("digest", "preview")
    assert code == 0
    assert "Nothing approved for weekly yet" in output
    assert "linkletter items approve ID" in output


def test_digest_list_and_show_as_json(workdir: Path) -> None:
    cli("db", "upgrade")
    seed(workdir)
    [digest] = json.loads(cli("digest", "list", "--json")[1])
    assert digest == digest | {"name": "weekly", "last_issue": None, "approved_waiting": 1}
    assert digest["publish_to"] == [f"file:{workdir / 'out'}"]
    assert cli("digest", "publish", "--now")[0] == 0
    code, output = cli("digest", "show", "1", "--json")
    assert code == 0
    shown = json.loads(output)
    assert (shown["digest"], shown["number"]) == ("weekly", 1)
    assert shown["issue"]["number"] == 1
    assert {d["state"] for d in shown["deliveries"]} == {"posted"}


def test_help_keeps_square_brackets() -> None:
    code, output = cli("run", "--help")
    assert code == 0
    assert "[web] host" in output
    assert "--log-format" in output


def test_config_errors_keep_their_brackets(workdir: Path) -> None:
    (workdir / "linkletter.toml").write_text("[web]\nprt = 1\n")
    code, output = cli("items", "list")
    assert code == 1
    assert "needs at least one [[digest]] table" in output
    assert 'unknown key "prt" in [web]' in output


def test_items_search_finds_by_words_with_json_and_clear_misses(
    workdir: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21, on SQLite and PostgreSQL: `items search WORDS` (and --json)."""
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", db.engine.url.render_as_string(False))
    core = service(db, (workdir / "linkletter.toml").read_text())
    core.handle_sync(post("slack:C1", "1", ANN, "https://example.com/a why: columnar storage wins"))
    core.handle_sync(post("slack:C1", "2", ANN, "https://example.com/b why: gardening", 1))
    code, output = cli("items", "search", "columnar", "STORAGE", "--json")
    assert code == 0, output
    [hit] = json.loads(output)
    assert hit | {"id": 0} == {
        "id": 0,
        "digest": "weekly",
        "title": "https://example.com/a",
        "url": "https://example.com/a",
        "status": "draft",
        "why": "columnar storage wins",
        "site_name": None,
        "published_in": None,
    }
    code, output = cli("items", "search", "gardening")
    assert code == 0
    assert "[draft] https://example.com/b" in output
    assert cli("items", "search", "tulips") == (0, "Nothing matches 'tulips'.\n")
    code, output = cli("items", "search", '"*(')
    assert code == 2
    assert "Search for some words" in output


def test_desk_link_is_minted_for_a_person_not_for_a_role(workdir: Path) -> None:
    config = workdir / "linkletter.toml"
    config.write_text(config.read_text().replace('"slack:UED"', '"slack:UED", "discord:role:42"'))
    cli("db", "upgrade")
    code, output = cli("desk", "link", "--editor", "discord:role:42")
    assert code == 1
    assert "names a role, not a person" in output
    code, output = cli("desk", "link", "--editor", "slack:UED")
    assert code == 0
    assert "/desk/signin?token=" in output
    for nobody in ("slack:UNOBODY", "discord"):
        code, output = cli("desk", "link", "--editor", nobody)
        assert code == 1
        assert "not an editor" in output
