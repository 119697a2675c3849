"""Buttondown, Ghost and Mailchimp drafts end to end against the local fakes of their APIs."""

from __future__ import annotations

import time

import pytest

from bot.deliver.services.build import PlatformError
from bot.deliver.services.buttondown import ButtondownDestination
from bot.deliver.services.ghost import GhostDestination, admin_token
from bot.deliver.services.mailchimp import MailchimpDestination
from bot.deliver.services.settings import ButtondownSettings, GhostSettings, MailchimpSettings
from bot.digest.render.markdown import front_matter
from tests.destinations.conftest import GHOST_ID, GHOST_SECRET, Running, Waits
from tests.destinations.fakes import FakeButtondown, FakeGhost, FakeMailchimp
from tests.digest.issues import realistic_issue

KEY = "weekly:12:{kind}:news:0"

pytestmark = pytest.mark.usefixtures("secrets")


def buttondown_destination(url: str, waits: Waits) -> ButtondownDestination:
    settings = ButtondownSettings(kind="buttondown", api_key_env="BUTTONDOWN_API_KEY", base_url=url)
    return ButtondownDestination("buttondown:news", settings, waits.policy())


def ghost_destination(url: str, waits: Waits) -> GhostDestination:
    settings = GhostSettings(
        kind="ghost", base_url=url, api_key_env="GHOST_ADMIN_KEY", tags=["Newsletter"]
    )
    return GhostDestination("ghost:news", settings, waits.policy())


def mailchimp_destination(
    url: str, waits: Waits, list_id: str = "a1b2c3d4e5"
) -> MailchimpDestination:
    settings = MailchimpSettings(
        kind="mailchimp",
        api_key_env="MAILCHIMP_API_KEY",
        base_url=url,
        list_id=list_id,
        from_name="Linkletter",
        reply_to="editors@example.com",
    )
    return MailchimpDestination("mailchimp:news", settings, waits.policy())


# --- Buttondown ---------------------------------------------------------------------------


async def test_buttondown_creates_a_markdown_draft_never_a_send(
    buttondown: Running[FakeButtondown], waits: Waits
) -> None:
    issue = realistic_issue()
    destination = buttondown_destination(buttondown.url, waits)
    key = KEY.format(kind="buttondown")
    [part] = destination.parts(issue)
    link = await destination.post(part, key)
    [email] = buttondown.fake.emails
    assert email["status"] == "draft"
    assert link == f"https://buttondown.com/emails/{email['id']}"
    assert email["subject"] == issue.title
    assert email["body"].startswith("# ")  # the Markdown, front matter left out
    assert front_matter(issue) not in email["body"]
    assert issue.items[0].url in email["body"]
    assert email["metadata"] == {"linkletter_key": key}


async def test_buttondown_finds_its_draft_across_pages(
    buttondown: Running[FakeButtondown], waits: Waits
) -> None:
    destination = buttondown_destination(buttondown.url, waits)
    [part] = destination.parts(realistic_issue())
    links = [await destination.post(part, f"weekly:{n}:buttondown:news:0") for n in range(5)]
    assert buttondown.fake.page_size < 5  # the last draft is on a later page
    assert await destination.find("weekly:4:buttondown:news:0") == links[4]
    assert await destination.find("weekly:9:buttondown:news:0") is None


async def test_buttondown_bad_key_is_reported_with_the_platforms_reason(
    buttondown: Running[FakeButtondown], waits: Waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUTTONDOWN_API_KEY", "wrong")
    destination = buttondown_destination(buttondown.url, waits)
    with pytest.raises(PlatformError, match="create draft: HTTP 401: Invalid token"):
        await destination.post(destination.parts(realistic_issue())[0], "k")
    assert buttondown.fake.emails == []


async def test_buttondown_create_is_not_blindly_retried_after_a_5xx(
    buttondown: Running[FakeButtondown], waits: Waits
) -> None:
    """A 5xx after a POST may hide a created draft: fail now, the engine's next run finds it."""
    buttondown.fake.outages.script(1)
    destination = buttondown_destination(buttondown.url, waits)
    with pytest.raises(PlatformError, match="HTTP 503"):
        await destination.post(destination.parts(realistic_issue())[0], "k")
    assert waits.delays == []


async def test_buttondown_rate_limit_is_retried(
    buttondown: Running[FakeButtondown], waits: Waits
) -> None:
    buttondown.fake.outages.script(1, 429, {"Retry-After": "2"})
    destination = buttondown_destination(buttondown.url, waits)
    await destination.post(destination.parts(realistic_issue())[0], "k")
    assert waits.delays == [2.0]
    assert len(buttondown.fake.drafts()) == 1


# --- Ghost --------------------------------------------------------------------------------


async def test_ghost_creates_an_html_draft_with_a_valid_admin_jwt(
    ghost: Running[FakeGhost], waits: Waits
) -> None:
    issue = realistic_issue()
    destination = ghost_destination(ghost.url, waits)
    key = KEY.format(kind="ghost")
    link = await destination.post(destination.parts(issue)[0], key)
    [post] = ghost.fake.posts
    assert link == f"{ghost.url}/ghost/#/editor/post/{post['id']}"
    assert post["status"] == "draft"
    assert post["title"] == issue.title
    assert issue.items[0].url in post["html"]  # taken as HTML (?source=html)
    assert post["tags"] == [{"name": "Newsletter"}]
    [token] = ghost.fake.tokens
    assert token["kid"] == GHOST_ID
    assert token["exp"] - token["iat"] == 300
    assert await destination.find(key) == link
    assert await destination.find("weekly:13:ghost:news:0") is None


async def test_ghost_rejects_a_forged_or_expired_token(ghost: Running[FakeGhost]) -> None:
    """The fake really checks the JWT: a token signed with another secret or 6 minutes old
    is refused, so the passing tests above prove the real token is right."""
    assert ghost.fake.token_problem(admin_token(f"{GHOST_ID}:{'00' * 32}", 1e9)) is not None
    stale = admin_token(f"{GHOST_ID}:{GHOST_SECRET}", time.time() - 360)
    assert ghost.fake.token_problem(stale) == "Invalid token: jwt expired or too long-lived"


async def test_ghost_wrong_key_and_malformed_key_are_reported(
    ghost: Running[FakeGhost], waits: Waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    destination = ghost_destination(ghost.url, waits)
    [part] = destination.parts(realistic_issue())
    monkeypatch.setenv("GHOST_ADMIN_KEY", f"{GHOST_ID}:{'ab' * 32}")
    with pytest.raises(PlatformError, match="HTTP 401: Invalid token: invalid signature"):
        await destination.post(part, "k")
    monkeypatch.setenv("GHOST_ADMIN_KEY", "not-a-ghost-key")
    with pytest.raises(PlatformError, match="<id>:<hex secret>"):
        await destination.post(part, "k")
    assert ghost.fake.posts == []


async def test_ghost_validation_error_is_reported(ghost: Running[FakeGhost], waits: Waits) -> None:
    destination = ghost_destination(ghost.url, waits)
    [part] = destination.parts(realistic_issue())
    blank = type(part)(title=" ", html=part.html)
    with pytest.raises(PlatformError, match="HTTP 422: Validation error, cannot save post"):
        await destination.post(blank, "k")


# --- Mailchimp ----------------------------------------------------------------------------


async def test_mailchimp_saves_a_regular_campaign_with_html_and_never_sends(
    mailchimp: Running[FakeMailchimp], waits: Waits
) -> None:
    issue = realistic_issue()
    destination = mailchimp_destination(mailchimp.url, waits)
    key = KEY.format(kind="mailchimp")
    link = await destination.post(destination.parts(issue)[0], key)
    [campaign] = mailchimp.fake.campaigns.values()
    assert link == f"https://us6.admin.mailchimp.com/campaigns/edit?id={campaign['web_id']}"
    assert campaign["type"] == "regular"
    assert campaign["status"] == "save"
    assert campaign["recipients"] == {"list_id": "a1b2c3d4e5"}
    assert campaign["settings"]["subject_line"] == issue.title
    assert campaign["settings"]["from_name"] == "Linkletter"
    assert campaign["settings"]["reply_to"] == "editors@example.com"
    assert campaign["html"].lstrip().lower().startswith("<!doctype html")
    assert mailchimp.fake.sent == []
    assert await destination.find(key) == link
    assert await destination.find("weekly:13:mailchimp:news:0") is None


async def test_mailchimp_crash_between_create_and_content_reuses_the_campaign(
    mailchimp: Running[FakeMailchimp], waits: Waits
) -> None:
    destination = mailchimp_destination(mailchimp.url, waits)
    [part] = destination.parts(realistic_issue())
    mailchimp.fake.content_failures = 4  # every attempt of this post's content PUT fails
    with pytest.raises(PlatformError, match="set content: HTTP 500"):
        await destination.post(part, "weekly:12:mailchimp:news:0")
    assert await destination.find("weekly:12:mailchimp:news:0") is None  # no content yet
    link = await destination.post(part, "weekly:12:mailchimp:news:0")
    assert len(mailchimp.fake.campaigns) == 1
    assert await destination.find("weekly:12:mailchimp:news:0") == link


async def test_mailchimp_errors_carry_the_problem_detail(
    mailchimp: Running[FakeMailchimp], waits: Waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    [part] = mailchimp_destination(mailchimp.url, waits).parts(realistic_issue())
    unknown_list = mailchimp_destination(mailchimp.url, waits, list_id="nope")
    with pytest.raises(PlatformError, match=r"HTTP 400: recipients\.list_id: Invalid list id"):
        await unknown_list.post(part, "k")
    monkeypatch.setenv("MAILCHIMP_API_KEY", "fffffffffffffffffffffffffffffff0-us6")
    with pytest.raises(PlatformError, match="HTTP 401: Your API key may be invalid"):
        await mailchimp_destination(mailchimp.url, waits).post(part, "k")
    monkeypatch.setenv("MAILCHIMP_API_KEY", "no-datacenter-")
    with pytest.raises(PlatformError, match="must end in -<datacenter>"):
        await mailchimp_destination(mailchimp.url, waits).post(part, "k")
    assert mailchimp.fake.campaigns == {}
