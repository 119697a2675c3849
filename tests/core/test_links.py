"""Link extraction: every platform form, and properties that must hold for any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.capture.links import extract_links, members_only, plain_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<https://a.com/x|label>", ["https://a.com/x"]),
        ("<https://a.com/x>", ["https://a.com/x"]),
        ("<https://a.com/?a=1&amp;b=2|q>", ["https://a.com/?a=1&b=2"]),  # Slack escapes &
        ("see <https://discord-suppressed.com/p> there", ["https://discord-suppressed.com/p"]),
        ("[label](https://md.com/p)", ["https://md.com/p"]),
        ("bare https://bare.com/p.", ["https://bare.com/p"]),
        ("(https://paren.com/x)", ["https://paren.com/x"]),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar), yes",
            ["https://en.wikipedia.org/wiki/Foo_(bar)"],
        ),
        ("two: https://a.com and https://b.com!", ["https://a.com", "https://b.com"]),
        ("dup https://a.com https://a.com", ["https://a.com"]),
        ("<mailto:x@y.com|x@y.com> <@U123> <#C1|general> <!here> <@&55>", []),
        ("```\nhttps://in-code-block.com\n``` and `https://inline.com`", []),
        ("ftp://files.example.com and javascript:alert(1)", []),
        ("HTTPS://UPPER.example.com/X", ["HTTPS://UPPER.example.com/X"]),
    ],
)
def test_extracts_platform_link_forms(text: str, expected: list[str]) -> None:
    assert extract_links(text) == expected


def test_plain_text_keeps_labels_and_drops_mentions() -> None:
    assert plain_text("<@U1> read <https://a.com|this> &amp; <#C1|x>") == "read this & #x"


@given(st.text())
def test_never_crashes_and_yields_only_http(text: str) -> None:
    for url in extract_links(text):
        assert url.lower().startswith(("http://", "https://"))
        assert not any(ch.isspace() for ch in url)


@given(st.lists(st.sampled_from(["https://a.com/x", "https://b.org/y?z=1"]), min_size=1))
def test_links_joined_by_prose_are_all_found(urls: list[str]) -> None:
    text = " and ".join(urls)
    assert extract_links(text) == list(dict.fromkeys(urls))


@given(st.text())
def test_extraction_is_idempotent_on_its_output(text: str) -> None:
    links = extract_links(text)
    assert extract_links(" ".join(links)) == links


@pytest.mark.parametrize(
    "url",
    [
        # a real file permalink (tests/fixtures/slack/events_message_file_share.json)
        "https://jadeapptesting.slack.com/files/U043H11ES4V/F04EEHX1EES/namenamename.txt",
        "https://files.slack.com/files-pri/T043DB835ML-F04EEHX1EES/namenamename.txt",
        "https://acme.slack.com/archives/C0123ABCD/p1663969334001500",
        "https://acme.enterprise.slack.com/docs/T01/F02",
        "https://app.slack.com/client/T01/C02",
        "https://discord.com/channels/1/2/3",
        "https://canary.discord.com/channels/1/2",
        "https://cdn.discordapp.com/attachments/1/2/image.png?ex=1&is=2&hm=3",
        "https://media.discordapp.net/attachments/1/2/x.jpg",
    ],
)
def test_members_only_links(url: str) -> None:
    assert members_only(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.slack.com/methods/users.info",
        "https://slack.com/blog/news/x",
        "https://slack-files.com/T043DB835ML-F04EEHX1EES-0ce8936320",  # a public file link
        "https://discord.com/developers/docs/intro",
        "https://discord.gg/invite",
        "https://example.com/archives/2024",
    ],
)
def test_public_links_are_not_members_only(url: str) -> None:
    assert not members_only(url)
