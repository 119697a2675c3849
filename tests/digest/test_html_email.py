"""The HTML e-mail: colour schemes and Apple's reformatting switch, Gmail's 102 KB clipping limit
for any issue, and only image formats e-mail clients display."""

from __future__ import annotations

from dataclasses import replace

import pytest
from selectolax.lexbor import LexborHTMLParser

from adapters.discord.render import render_discord
from adapters.slack.render import render_slack
from bot.digest.model import CompiledIssue, IssueItem, IssueSection
from bot.digest.render import render_html_email, render_html_page
from bot.digest.render._common import image_format, shown_image
from bot.digest.render.html_email import EMAIL_SIZE_LIMIT

from .issues import PERIOD_END, PERIOD_START, edge_case_issue

HUGE = "Ünïcödé words & <markup> run on, " * 400  # 13,200 characters, 2 bytes for some


def meta(html: str) -> dict[str, str | None]:
    tree = LexborHTMLParser(html)
    return {
        str(tag.attributes.get("name")): tag.attributes.get("content")
        for tag in tree.css("meta[name]")
    }


@pytest.mark.parametrize("render", [render_html_email, render_html_page])
def test_both_documents_declare_light_and_dark_schemes(render: object) -> None:
    assert callable(render)
    html = render(edge_case_issue())
    tags = meta(html)
    assert tags["x-apple-disable-message-reformatting"] == ""
    assert tags["color-scheme"] == "light dark"
    assert tags["supported-color-schemes"] == "light dark"
    assert "@media (prefers-color-scheme: dark)" in html
    # Each element with an inline (light) colour carries a class the dark rules override.
    tree = LexborHTMLParser(html)
    dark_classes = ("ll-text", "ll-muted", "ll-card", "ll-bg", "ll-accent")
    for tag in tree.css("[style*='color:#']"):
        classes = str(tag.attributes.get("class") or "").split()
        assert tag.tag == "a" or any(name in classes for name in dark_classes), tag.html


def issue_of(items: list[IssueItem], public_url: str | None) -> CompiledIssue:
    return CompiledIssue(
        digest="weekly",
        number=9,
        title="Weekly — Issue 9",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        sections=(IssueSection("Links", tuple(items)),),
        intro=HUGE,
        outro=HUGE,
        public_url=public_url,
    )


def huge_item(number: int) -> IssueItem:
    return IssueItem(
        number=number,
        item_id=number,
        url=f"https://example.com/{'long-path/' * 150}{number}",
        title=HUGE,
        summary=HUGE,
        why=HUGE,
        image_url=f"https://img.example.com/{'x' * 1_500}/{number}.jpg",
        site_name=HUGE,
        shared_by=HUGE,
    )


@pytest.mark.parametrize("count", [1, 5, 40, 120])
def test_any_issue_stays_under_gmails_clipping_limit(count: int) -> None:
    issue = issue_of([huge_item(n) for n in range(1, count + 1)], "https://news.example.com/w/9")
    html = render_html_email(issue)
    assert len(html.encode("utf-8")) <= EMAIL_SIZE_LIMIT
    shown = len(LexborHTMLParser(html).css("h3"))
    assert shown >= 1  # capped parts leave room for items, not only for the frame
    if shown < count:
        assert f"{count - shown} more links did not fit in this e-mail." in html
        assert (
            '<a href="https://news.example.com/w/9" style="color:#1d4ed8;">Read the whole issue'
            in html
        )
    else:
        assert "did not fit" not in html


def test_the_page_keeps_every_item_the_email_leaves_out() -> None:
    issue = issue_of([huge_item(n) for n in range(1, 41)], None)
    email = render_html_email(issue)
    assert "did not fit in this e-mail." in email
    assert "Read the whole issue" not in email  # no web address to send readers to
    assert len(LexborHTMLParser(render_html_page(issue)).css("h3")) == 40


def test_caps_are_the_slack_renderers() -> None:
    html = render_html_email(issue_of([huge_item(1)], None))
    tree = LexborHTMLParser(html)
    title = tree.css_first("h3 a")
    assert title is not None
    assert len(title.text()) <= 250
    paragraphs = [node.text() for node in tree.css("p.ll-text")]
    assert max(map(len, paragraphs)) <= 1_200 + 10


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://example.com/a/logo.svg", "svg"),
        ("https://example.com/a/logo.SVG?v=3", "svg"),
        ("https://example.com/photo.jpeg", "jpeg"),
        ("https://images.ctfassets.net/x/y.png?fm=webp&w=820", "webp"),
        ("https://cdn.example.com/img?format=avif", "avif"),
        ("https://example.com/favicon.ico", "ico"),
        ("https://example.com/image/12345", None),
        ("https://example.com/v1.2/photo", None),
    ],
)
def test_image_format_from_extension_or_cdn_parameter(url: str, found: str | None) -> None:
    assert image_format(url) == found


@pytest.mark.parametrize(
    ("image", "slack", "discord", "email"),
    [
        ("https://example.com/logo.svg", False, False, False),
        ("https://example.com/photo.webp", False, True, False),
        ("https://example.com/photo.avif", False, False, False),
        ("https://example.com/favicon.ico", False, False, False),
        ("https://example.com/photo.jpg", True, True, True),
        ("https://example.com/anim.gif", True, True, True),
        ("https://example.com/image/12345", True, True, True),
    ],
)
def test_each_destination_gets_only_images_it_displays(
    image: str, slack: bool, discord: bool, email: bool
) -> None:
    item = IssueItem(number=1, item_id=1, url="https://example.com/a", title="A", image_url=image)
    issue = replace(issue_of([item], None), intro=None, outro=None)
    slack_blocks = render_slack(issue)[0]["blocks"]
    assert any("accessory" in block for block in slack_blocks) is slack
    assert any("thumbnail" in embed for embed in render_discord(issue)[0]["embeds"]) is discord
    assert (LexborHTMLParser(render_html_email(issue)).css_first("img") is not None) is email
    assert LexborHTMLParser(render_html_page(issue)).css_first("img") is not None  # browsers
    assert shown_image(image, frozenset({"svg", "webp", "avif", "ico", "jpg", "gif"})) == image


def test_one_left_out_item_is_one_link() -> None:
    items = [huge_item(n) for n in range(1, 40)]
    whole = len(LexborHTMLParser(render_html_email(issue_of(items, None))).css("h3"))
    html = render_html_email(issue_of(items[: whole + 1], None))
    assert "1 more link did not fit in this e-mail." in html
    assert "Nothing this week." not in html
