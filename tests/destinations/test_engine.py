"""The platform destinations through the real ``PublishEngine``: configured from TOML, a failing
destination does not block the others, and nothing is created twice across a crash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, DigestConfig
from bot.deliver.destinations import Destination, build_destinations
from bot.deliver.engine import LEASE, PublishEngine
from bot.deliver.services.build import RetryPolicy, build_platform_destinations
from storage.db import Database
from storage.issues import IssueRepo
from tests.core.fakes import Crash
from tests.core.helpers import at, items, service
from tests.core.test_publish import Clock, seed
from tests.destinations.conftest import Running, Waits
from tests.destinations.fakes import FakeButtondown, FakeGhost, FakeMailchimp, WebhookReceiver

pytestmark = pytest.mark.usefixtures("secrets")


def config_text(publish_to: list[str], tables: str) -> str:
    quoted = ", ".join(f'"{name}"' for name in publish_to)
    return f"""
[[digest]]
name = "weekly"
sources = ["slack:C1"]
publish_to = [{quoted}]
editors = ["slack:UED"]
{tables}
"""


def engine(
    db: Database, text: str, clock: Clock, policy: RetryPolicy, wrap: Any = None
) -> PublishEngine:
    """The composition the owner wires: chat/file/SMTP destinations plus the platform ones."""
    config: Config = service(db, text).config

    def destinations(digest: DigestConfig) -> dict[str, Destination]:
        found = {
            **build_destinations(digest.publish_to, {}),
            **build_platform_destinations(digest.publish_to, config.destinations, policy),
        }
        return {name: wrap(d) if wrap else d for name, d in found.items()}

    return PublishEngine(config, db, destinations, now=clock)


def deliveries(db: Database) -> dict[str, tuple[str, str | None, str | None]]:
    with db.session() as session:
        repo = IssueRepo(session)
        [issue] = repo.issues(published_only=False)
        assert issue.id is not None
        return {
            d.destination: (d.state, d.platform_message_id, d.error)
            for d in repo.deliveries(issue.id)
        }


async def test_failing_webhook_does_not_block_the_file_and_is_reported(
    db: Database, tmp_path: Path, receiver: Running[WebhookReceiver], waits: Waits
) -> None:
    text = config_text(
        ["webhook:a", f"file:{tmp_path}"],
        f"""
[destinations.a]
kind = "webhook"
url = "{receiver.url}"
secret_env = "HOOK_SECRET"
""",
    )
    seed(db, 3, text)
    receiver.fake.outages.script(100, 500)  # down for this whole run
    clock = Clock(at(100))
    report = await engine(db, text, clock, waits.policy()).publish("weekly", "p1")
    assert report.outcome == "incomplete"
    assert report.failures == ["webhook:a: delivery: HTTP 500: temporarily unavailable"]
    assert (tmp_path / "weekly-001.md").exists()
    state = deliveries(db)
    assert state[f"file:{tmp_path}"][0] == "posted"
    assert state["webhook:a"][0] == "pending"
    assert "HTTP 500" in (state["webhook:a"][2] or "")
    assert {i.status for i in items(db)} == {"approved"}

    receiver.fake.outages.script(0)  # back up: the next run delivers only what is missing
    clock.value += LEASE * 2
    report = await engine(db, text, clock, waits.policy()).publish("weekly", "p1")
    assert (report.outcome, report.posted) == ("published", 1)
    assert list(receiver.fake.deliveries) == ["weekly:1:webhook:a:0"]
    assert {i.status for i in items(db)} == {"published"}


@dataclass
class CrashAfterPost:
    """The process dies right after the platform accepted the post, before it is recorded."""

    inner: Destination

    @property
    def name(self) -> str:
        return self.inner.name

    def parts(self, issue: Any) -> list[Any]:
        return self.inner.parts(issue)

    async def post(self, part: Any, key: str) -> str:
        await self.inner.post(part, key)
        raise Crash(f"killed after posting {key}")

    async def find(self, key: str) -> str | None:
        return await self.inner.find(key)


def tables(buttondown: str, ghost: str, mailchimp: str, hook: str, site: Path) -> str:
    return f"""
[destinations.news]
kind = "buttondown"
base_url = "{buttondown}"
api_key_env = "BUTTONDOWN_API_KEY"

[destinations.blog]
kind = "ghost"
base_url = "{ghost}"
api_key_env = "GHOST_ADMIN_KEY"

[destinations.campaign]
kind = "mailchimp"
base_url = "{mailchimp}"
api_key_env = "MAILCHIMP_API_KEY"
list_id = "a1b2c3d4e5"
from_name = "Linkletter"
reply_to = "editors@example.com"

[destinations.partners]
kind = "webhook"
url = "{hook}"
secret_env = "HOOK_SECRET"

[destinations.site]
kind = "git"
path = "{site}"
folder = "newsletter"
"""


ALL = ["buttondown:news", "ghost:blog", "mailchimp:campaign", "webhook:partners", "git:site"]


@pytest.mark.parametrize("destination", ALL)
async def test_crash_after_creating_resumes_without_a_second_draft(
    db: Database,
    tmp_path: Path,
    destination: str,
    buttondown: Running[FakeButtondown],
    ghost: Running[FakeGhost],
    mailchimp: Running[FakeMailchimp],
    receiver: Running[WebhookReceiver],
    waits: Waits,
) -> None:
    """Reliability row 19: killed after posting, before recording -> no duplicate on restart
    (found again with ``find``, or for the webhook deduped by the receiver on the key)."""
    text = config_text(
        [destination],
        tables(buttondown.url, ghost.url, mailchimp.url, receiver.url, tmp_path / "site"),
    )
    (tmp_path / "site").mkdir()
    seed(db, 2, text)
    clock = Clock(at(100))
    with pytest.raises(Crash):
        await engine(db, text, clock, waits.policy(), wrap=CrashAfterPost).publish("weekly", "p")
    clock.value += LEASE + timedelta(seconds=1)
    report = await engine(db, text, clock, waits.policy()).publish("weekly", "p")
    assert report.outcome == "published"
    created = {
        "buttondown:news": len(buttondown.fake.emails),
        "ghost:blog": len(ghost.fake.posts),
        "mailchimp:campaign": len(mailchimp.fake.campaigns),
        "webhook:partners": len(receiver.fake.deliveries),
        "git:site": len(list((tmp_path / "site" / "newsletter").glob("*.md"))),
    }
    assert created == {name: int(name == destination) for name in ALL}
    state, link, _ = deliveries(db)[destination]
    assert state == "posted"
    assert link is not None
    assert mailchimp.fake.sent == []


async def test_every_platform_from_one_config_gets_its_draft_link_recorded(
    db: Database,
    tmp_path: Path,
    buttondown: Running[FakeButtondown],
    ghost: Running[FakeGhost],
    mailchimp: Running[FakeMailchimp],
    receiver: Running[WebhookReceiver],
    waits: Waits,
) -> None:
    text = config_text(
        ALL, tables(buttondown.url, ghost.url, mailchimp.url, receiver.url, tmp_path / "site")
    )
    (tmp_path / "site").mkdir()
    seed(db, 2, text)
    report = await engine(db, text, Clock(at(100)), waits.policy()).publish("weekly", "p")
    assert (report.outcome, report.posted, report.failures) == ("published", 5, [])
    links = {name: link for name, (_, link, _) in deliveries(db).items()}
    assert (
        links["buttondown:news"]
        == f"https://buttondown.com/emails/{buttondown.fake.emails[0]['id']}"
    )
    assert links["ghost:blog"] == f"{ghost.url}/ghost/#/editor/post/{ghost.fake.posts[0]['id']}"
    [campaign] = mailchimp.fake.campaigns.values()
    assert links["mailchimp:campaign"] == (
        f"https://us6.admin.mailchimp.com/campaigns/edit?id={campaign['web_id']}"
    )
    assert links["webhook:partners"] == "weekly:1:webhook:partners:0"
    assert links["git:site"] == str(tmp_path / "site" / "newsletter" / "2026-11-16-weekly-1.md")
