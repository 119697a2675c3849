"""Discord payload translation, driven by real gateway captures and the official examples."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.translate import (
    MalformedEvent,
    message_created,
    message_deleted,
    message_updated,
    reaction_added,
    reaction_removed,
)
from bot.events import MessageEdited, UnfurlsAdded

FIXTURES = Path(__file__).parents[1] / "fixtures" / "discord"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def dispatch(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "discord4j" / f"{name}.json").read_text())["d"]
    return data


def rest(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return data


@pytest.mark.parametrize(
    ("payload", "channel", "author", "roles", "text"),
    [
        (
            dispatch("MessageCreate.Type0"),
            "discord:727947198481956945",
            "discord:562268917771413264",
            4,
            ".ping",
        ),
        (
            dispatch("MessageCreate.Type19"),
            "discord:563557393640849437",
            "discord:134127815531560960",
            3,
            "cool.",
        ),
        (
            rest("discord4j/Message.json"),
            "discord:278314058422157320",
            "discord:129498893795721216",
            0,
            "",
        ),
        (
            rest("discord-api-docs/example_message.json"),
            "discord:290926798999357250",
            "discord:53908099506183680",
            0,
            "Supa Hot",
        ),
    ],
)
def test_message_create_fields(
    payload: dict[str, Any], channel: str, author: str, roles: int, text: str
) -> None:
    event = message_created(payload)
    assert event is not None
    assert event.event_id == f"discord:create:{payload['id']}"
    assert (event.channel, event.author.id, event.text) == (channel, author, text)
    assert len(event.author.roles) == roles
    assert all(r.startswith("discord:role:") for r in event.author.roles)
    assert event.at == datetime.fromisoformat(payload["timestamp"])


def test_reply_references_parent_and_guild_permalink() -> None:
    event = message_created(dispatch("MessageCreate.Type19"))
    assert event is not None
    assert event.thread_parent == "775214933398782002"
    assert event.permalink == (
        "https://discord.com/channels/185949590652977152/563557393640849437/779520963116400721"
    )


def test_crosspost_reference_to_another_channel_is_not_a_reply() -> None:
    event = message_created(rest("discord-api-docs/example_crossposted_message.json"))
    assert event is not None
    assert event.thread_parent is None


def test_thread_message_is_watched_under_parent_and_replies_to_starter() -> None:
    thread = rest("discord-api-docs/example_thread_channel.json")
    payload = dispatch("MessageCreate.Type0") | {"channel_id": thread["id"]}
    event = message_created(payload, parent_id="290926798999357250")
    assert event is not None
    assert event.channel == "discord:290926798999357250"
    assert event.thread_parent == thread["id"]
    assert event.message_id == payload["id"]


def test_bot_author_and_system_messages() -> None:
    reply = dispatch("MessageCreate.Type19")
    bot_message = reply["referenced_message"] | {"guild_id": reply["guild_id"]}
    event = message_created(bot_message)
    assert event is not None
    assert event.author.is_bot
    assert message_created(dispatch("MessageCreate.Type0") | {"type": 6}) is None


def test_embed_only_update_becomes_unfurls() -> None:
    event = message_updated(dispatch("MessageUpdate.Embeds"))
    assert isinstance(event, UnfurlsAdded)
    (unfurl,) = event.unfurls
    assert unfurl.url == "https://www.youtube.com/watch?v=TN25ghkfgQA"
    assert unfurl.title == "Jake Chudnow - Moon Men (Instrumental)"
    assert unfurl.site_name == "YouTube"
    assert unfurl.image_url == "https://i.ytimg.com/vi/TN25ghkfgQA/maxresdefault.jpg"
    assert message_updated(dispatch("MessageUpdate.Embeds")) == event


def test_update_without_edit_or_embeds_is_ignored() -> None:
    assert message_updated(dispatch("MessageUpdate.NoEmbeds")) is None


def test_text_edit_has_ordered_id_and_unchanged_text_is_embed_only() -> None:
    edited_at = "2020-02-22T18:20:00.000000+00:00"
    payload = dispatch("MessageUpdate.NoEmbeds") | {
        "edited_timestamp": edited_at,
        "content": "see https://example.org",
    }
    event = message_updated(payload)
    assert isinstance(event, MessageEdited)
    assert event.event_id == f"discord:edit:680840044138987656:{edited_at}"
    assert event.edited_at == datetime.fromisoformat(edited_at)
    with_embed = payload | {"embeds": dispatch("MessageUpdate.Embeds")["embeds"]}
    late_unfurl = message_updated(with_embed, previous_content=payload["content"])
    assert isinstance(late_unfurl, UnfurlsAdded)


def test_delete() -> None:
    event = message_deleted(dispatch("MessageDelete"), at=NOW)
    assert (event.event_id, event.channel) == (
        "discord:delete:680840044138987656",
        "discord:680839020124700740",
    )


def test_reactions_carry_roles_and_distinct_ids_per_delivery() -> None:
    add = reaction_added(dispatch("MessageReactionAdd"), at=NOW, delivery="s1:5")
    assert add.user.id == "discord:123456789012345678"
    assert add.user.roles == ("discord:role:186563072540934144", "discord:role:186605392971694081")
    assert add.emoji == "😊"
    readd = reaction_added(dispatch("MessageReactionAdd"), at=NOW, delivery="s1:9")
    assert readd.event_id != add.event_id
    removed = reaction_removed(dispatch("MessageReactionRemove"), at=NOW, delivery="s1:7")
    assert (removed.emoji, removed.user.roles) == ("🤔", ())


def test_custom_emoji_is_name_and_id() -> None:
    payload = dispatch("MessageReactionAdd") | {"emoji": {"name": "party", "id": "41771983"}}
    assert reaction_added(payload, at=NOW, delivery="h").emoji == "party:41771983"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("id"),
        lambda d: d.update(id="12ab"),
        lambda d: d.update(timestamp="yesterday"),
        lambda d: d.update(author="someone"),
        lambda d: d.update(embeds={"url": "x"}),
        lambda d: d["member"].update(roles="admin"),
        lambda d: d.update(type="0"),
    ],
)
def test_malformed_message_create(mutate: Any) -> None:
    payload = copy.deepcopy(dispatch("MessageCreate.Type0"))
    mutate(payload)
    with pytest.raises(MalformedEvent):
        message_created(payload)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
# Real payloads with arbitrary values swapped in for some keys: reaches deep code paths.
FUZZ_BASES = [
    dispatch(n)
    for n in (
        "MessageCreate.Type0",
        "MessageCreate.Type19",
        "MessageUpdate.Embeds",
        "MessageReactionAdd",
    )
]


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(FUZZ_BASES) | st.just({}),
    overrides=st.dictionaries(
        st.sampled_from(
            [
                "id",
                "channel_id",
                "content",
                "timestamp",
                "edited_timestamp",
                "author",
                "member",
                "embeds",
                "message_reference",
                "emoji",
                "user_id",
                "type",
                "guild_id",
                "message_id",
                "webhook_id",
            ]
        ),
        json_values,
        max_size=4,
    ),
    whole=json_values,
    use_whole=st.booleans(),
)
def test_arbitrary_json_raises_only_malformed_event(
    base: dict[str, Any], overrides: dict[str, Any], whole: Any, use_whole: bool
) -> None:
    payload = whole if use_whole else base | overrides
    translators: list[Callable[[], object]] = [
        lambda: message_created(payload),
        lambda: message_updated(payload, previous_content="x"),
        lambda: message_deleted(payload, at=NOW),
        lambda: reaction_added(payload, at=NOW, delivery="d"),
        lambda: reaction_removed(payload, at=NOW, delivery="d"),
    ]
    for translate in translators:
        with contextlib.suppress(MalformedEvent):
            translate()


def test_display_name_is_member_nick_then_global_name_then_username() -> None:
    """The real MESSAGE_CREATE capture has ``member.nick: null`` and no ``global_name``."""
    data = dispatch("MessageCreate.Type0")
    data["content"] = "https://example.com/a"

    def name(payload: dict[str, Any]) -> str | None:
        posted = message_created(payload)
        assert posted is not None
        return posted.author.name

    assert name(data) == "Username"
    data["author"]["global_name"] = "Global Name"
    assert name(data) == "Global Name"
    data["member"]["nick"] = "Server Nick"
    assert name(data) == "Server Nick"
