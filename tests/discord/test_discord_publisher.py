"""The crash-recovery marker never pushes a rendered Discord message over its limits."""

from __future__ import annotations

from typing import Any

from adapters.discord.publisher import marker_for, with_marker
from adapters.discord.render import render_discord
from bot.digest.render._common import measure
from tests.digest.issues import edge_case_issue

EMBEDS_TOTAL, FOOTER = 6000, 2048


def embed_total(payload: dict[str, Any]) -> int:
    texts: list[str] = []
    for embed in payload["embeds"]:
        texts += [
            embed.get("title", ""),
            embed.get("description", ""),
            embed.get("footer", {}).get("text", ""),
            embed.get("author", {}).get("name", ""),
        ]
        texts += [t for f in embed.get("fields", []) for t in (f["name"], f["value"])]
    return sum(map(measure, texts))


def test_marked_digest_parts_stay_within_discord_limits() -> None:
    """reliability row 11: the renderer fills messages up to the limits; marking them must not
    cause a 400."""
    parts = render_discord(edge_case_issue())
    assert len(parts) > 1
    for n, part in enumerate(parts):
        marked = with_marker(part, f"weekly:1:discord:{n}")
        assert embed_total(marked) <= EMBEDS_TOTAL
        if marked["embeds"]:
            footer = marked["embeds"][-1]["footer"]["text"]
            assert measure(footer) <= FOOTER
            assert footer.endswith(marker_for(f"weekly:1:discord:{n}"))
        assert marked["content"] == part["content"]


def test_nearly_full_message_shortens_the_footer_for_the_marker() -> None:
    embed = {"title": "t", "description": "x" * 5975, "footer": {"text": "by someone"}}
    full: dict[str, Any] = {"content": "", "embeds": [embed]}
    marked = with_marker(full, "k")
    assert embed_total(marked) == EMBEDS_TOTAL
    assert marked["embeds"][0]["footer"]["text"] == f"by someo · {marker_for('k')}"
    assert full["embeds"][0]["footer"]["text"] == "by someone"  # the input is not modified


def test_no_room_at_all_leaves_the_payload_unmarked() -> None:
    packed = {"content": "", "embeds": [{"title": "t" * 256, "description": "d" * 5744}]}
    assert with_marker(packed, "k") == packed
