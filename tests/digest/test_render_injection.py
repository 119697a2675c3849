"""Hostile titles, summaries, names and intros come out inert in every format (reliability row 10).

Each test looks for the exact escaped form, then parses the output the way its client would and
checks that the only live links and mentions are the ones the renderer made itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser

from adapters.discord.render import render_discord
from adapters.slack.render import render_slack
from bot.digest.model import CompiledIssue
from bot.digest.render import (
    render_html_email,
    render_html_page,
    render_json,
    render_markdown,
)
from bot.digest.render._common import safe_url

from .issues import HOSTILE, edge_case_issue

ISSUE = edge_case_issue()
ZWSP = "\u200b"


def our_urls(issue: CompiledIssue) -> set[str]:
    """The only URLs a renderer may link: the items', their images' and the issue's own."""
    urls = {issue.public_url} | {i.url for i in issue.items} | {i.image_url for i in issue.items}
    return {safe for url in urls if (safe := safe_url(url))}


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for inner in value.values() for s in strings(inner)]
    if isinstance(value, list):
        return [s for inner in value for s in strings(inner)]
    return []


def test_slack_every_hostile_string_is_entity_escaped() -> None:
    text = "\n".join(strings(render_slack(ISSUE)))
    for hostile in ("<!channel>", "<!here>", "<!everyone>", "<@U1>", "<@&123>", "<script>"):
        assert hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in text
    assert "&lt;!subteam^S123|team&gt;" in text  # outside a link a '|' is harmless
    assert "&lt;https://evil¦ok&gt;" in text  # inside our link label it is neutralised


def test_slack_only_links_we_made_are_live() -> None:
    allowed = {url.replace("&", "&amp;") for url in our_urls(ISSUE)}
    for text in strings(render_slack(ISSUE)):
        for control in re.findall(r"<([^>]*)>", text):
            url, _, label = control.partition("|")
            assert url in allowed, control
            assert "<" not in label
        assert not re.search(r"<[!@#]", text)


def test_slack_mrkdwn_is_verbatim_so_bare_names_are_not_parsed() -> None:
    """Bare '@channel' or '#general' in text stays text (no auto-parsing)."""
    for message in render_slack(ISSUE):
        for block in message["blocks"]:
            text = block.get("text", {})
            if text.get("type") == "mrkdwn":
                assert text["verbatim"] is True


def test_discord_mentions_are_broken_and_brackets_escaped() -> None:
    messages = render_discord(ISSUE)
    text = "\n".join(strings(messages))
    assert f"@{ZWSP}everyone" in text
    assert f"@{ZWSP}here" in text
    assert f"\\<@{ZWSP}U1\\>" in text
    assert f"\\<@{ZWSP}&123\\>" in text
    assert "\\<#123456789012345678\\>" in text
    assert "\\[x\\](http://evil)" in text
    assert "\\<script\\>" in text
    assert re.search(r"@(?!\u200b)", text) is None
    assert all(message["allowed_mentions"] == {"parse": []} for message in messages)


def test_discord_only_links_we_made_are_live() -> None:
    allowed = {url.replace("(", "%28").replace(")", "%29") for url in our_urls(ISSUE)}
    for text in strings(render_discord(ISSUE)):
        for target in re.findall(r"(?<!\\)\]\(([^)]*)\)", text):
            assert target in allowed
        for angle in re.findall(r"(?<!\\)<([^>]*)>", text):
            assert angle in allowed  # <url> suppresses an embed; nothing else may be in brackets


def test_markdown_has_no_foreign_links_and_no_raw_html() -> None:
    """The body as a CommonMark renderer sees it (front matter is YAML metadata, HTML-escaped)."""
    out = render_markdown(ISSUE)
    assert "\\[x\\](http://evil)" in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    front_matter, body = out.split("\n---\n", 1)
    assert "<" not in front_matter
    tokens = MarkdownIt("commonmark").parse(body)
    inline = [child for token in tokens for child in (token.children or [])]
    assert not [t for t in tokens + inline if t.type in ("html_block", "html_inline")]
    targets = {str(t.attrs.get("href") or t.attrs.get("src")) for t in inline if t.attrs}
    assert targets <= our_urls(ISSUE)
    assert 'href="http://evil"' not in MarkdownIt("commonmark").render(body)


def test_html_shows_scripts_as_text_and_links_only_http() -> None:
    for out in (render_html_email(ISSUE), render_html_page(ISSUE)):
        tree = LexborHTMLParser(out)
        assert tree.css("script") == []
        assert tree.css("[onerror]") == []
        assert "Look: <script>alert(1)</script> here" in tree.body.text()  # type: ignore[union-attr]
        hrefs = {node.attributes["href"] for node in tree.css("a[href]")}
        sources = {node.attributes["src"] for node in tree.css("img[src]")}
        assert hrefs | sources <= our_urls(ISSUE)


def test_json_keeps_text_raw_for_consumers_to_escape() -> None:
    data = json.loads(render_json(ISSUE))
    titles = [item["title"] for section in data["sections"] for item in section["items"]]
    assert all(f"Look: {hostile} here" in titles for hostile in HOSTILE)


def test_configured_empty_note_is_escaped_everywhere() -> None:
    """``empty_text`` comes from the config now: it is text, never markup or a mention."""
    from dataclasses import replace

    issue = replace(
        edge_case_issue(),
        sections=(),
        intro=None,
        outro=None,
        empty_note="<!channel> @everyone <b>quiet</b> [x](http://evil)",
    )
    assert "<!channel>" not in str(render_slack(issue))
    assert "@everyone" not in str(render_discord(issue))
    assert "<b>quiet</b>" not in render_html_email(issue)
    assert "[x](http://evil)" not in render_markdown(issue)
