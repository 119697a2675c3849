"""``linkletter items``: look at the queue and curate it from a terminal."""

from __future__ import annotations

import asyncio
import json
from enum import StrEnum
from typing import Any

import typer
from rich.table import Table

from bot.cli.context import console, fail, run_async, state
from bot.commands import decide
from bot.config import DigestConfig
from bot.enrich.worker import EnrichmentWorker
from bot.service import CurationService
from storage.models import Item, Share
from storage.repo import Repo

app = typer.Typer(help="Captured items: list, refresh and curate them.", no_args_is_help=True)


class Status(StrEnum):
    draft = "draft"
    approved = "approved"
    rejected = "rejected"
    published = "published"
    withdrawn = "withdrawn"


def item_record(item: Item, shares: list[Share]) -> dict[str, Any]:
    """The documented ``items list --json`` shape (docs/cli.md)."""
    return {
        "id": item.id,
        "digest": item.digest,
        "url": item.url,
        "canonical_url": item.canonical_url,
        "title": item.title_override or item.title or item.unfurl_title,
        "summary": item.summary_override or item.summary,
        "summary_source": "editor" if item.summary_override else item.summary_source,
        "section": item.section,
        "section_source": item.section_source,
        "status": item.status,
        "why": item.why,
        "note": item.note,
        "votes": item.votes,
        "featured": item.featured,
        "shares": [
            {
                "platform": share.channel.split(":", 1)[0],
                "channel": share.channel,
                "user": share.user,
                "user_name": share.user_name,
                "message_id": share.message_id,
                "time": share.shared_at.isoformat() if share.shared_at else None,
                "active": share.active,
            }
            for share in shares
        ],
        "word_count": item.word_count,
        "site_name": item.site_name,
        "enrichment": {
            "status": item.enrich_status,
            "error": item.enrich_error,
            "attempts": item.enrich_attempts,
        },
        "assist_error": item.assist_error,
        "suggested_section": item.suggested_section,
        "suggested_why": item.suggested_why,
    }


@app.command("list")
def list_items(
    ctx: typer.Context,
    digest: str | None = typer.Option(None, help="Only this digest."),
    status: Status | None = typer.Option(None, help="Only items in this state."),
    as_json: bool = typer.Option(False, "--json", help="One JSON array, for scripts."),
) -> None:
    """Every captured item with its shares, votes, why and enrichment state."""
    service = state(ctx).service()
    if digest:
        _digest(service, digest)

    def load(repo: Repo) -> list[dict[str, Any]]:
        rows = repo.items(digest, [status.value] if status else None)
        shares = repo.shares_of_items([row.id for row in rows if row.id is not None])
        return [item_record(row, [s for s in shares if s.item_id == row.id]) for row in rows]

    records = run_async(lambda: service.run(load))
    if as_json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return
    table = Table("id", "status", "section", "votes", "title / url", "why", "enrichment")
    for record in records:
        flag = "⭐ " if record["featured"] else ""
        enrichment = record["enrichment"]["status"]
        if record["enrichment"]["error"]:
            enrichment += f": {record['enrichment']['error']}"
        table.add_row(
            str(record["id"]),
            record["status"],
            record["section"] or "",
            str(record["votes"]),
            f"{flag}{record['title'] or ''}\n[dim]{record['url']}[/]",
            record["why"] or "",
            enrichment,
        )
    console.print(table)


def _digest(service: CurationService, name: str) -> DigestConfig:
    try:
        return service.config.digest(name)
    except KeyError as exc:
        fail(str(exc.args[0]))


def _curate(ctx: typer.Context, item_id: int, action: str, value: str | None, actor: str) -> None:
    service = state(ctx).service()

    def record(repo: Repo) -> str:
        item = repo.item(item_id)
        return decide(service, repo, item, actor, action, value) if item else ""

    message = run_async(lambda: service.run(record))
    if not message:
        fail(f"no item {item_id} (see `linkletter items list`)")
    console.print(message)


ACTOR = typer.Option("cli", help="Who decided, for the record (e.g. slack:U0123).")


@app.command()
def approve(ctx: typer.Context, item_id: int, actor: str = ACTOR) -> None:
    """Approve an item for the next issue."""
    _curate(ctx, item_id, "approve", None, actor)


@app.command()
def reject(ctx: typer.Context, item_id: int, actor: str = ACTOR) -> None:
    """Keep an item out of the digest."""
    _curate(ctx, item_id, "reject", None, actor)


@app.command()
def feature(ctx: typer.Context, item_id: int, actor: str = ACTOR) -> None:
    """Make an item a lead story (and approve it)."""
    _curate(ctx, item_id, "feature", None, actor)


@app.command("set")
def set_fields(
    ctx: typer.Context,
    item_id: int,
    title: str | None = typer.Option(None, help="Replace the page's title."),
    summary: str | None = typer.Option(None, help="Replace the summary."),
    image: str | None = typer.Option(None, help="Replace the image URL."),
    why: str | None = typer.Option(None, help="Set why this matters."),
    section: str | None = typer.Option(None, help="Put the item in this section."),
    actor: str = ACTOR,
) -> None:
    """Editor overrides; the latest one wins over the page and over chat replies."""
    changes = {"title": title, "summary": summary, "image": image, "why": why, "section": section}
    chosen = {action: value for action, value in changes.items() if value is not None}
    if not chosen:
        fail("nothing to set: give --title, --summary, --image, --why or --section")
    for action, value in chosen.items():
        _curate(ctx, item_id, action, value, actor)


@app.command()
def refresh(ctx: typer.Context, item_id: int) -> None:
    """Fetch the item's page again (the running bot's enrichment worker picks it up)."""
    service = state(ctx).service()

    def requeue(repo: Repo) -> bool:
        item = repo.item(item_id)
        if item is None:
            return False
        item.enrich_status, item.enrich_error, item.enrich_attempts = "pending", None, 0
        item.enrich_next_at = item.enrich_lease_until = item.enrich_lease_owner = None
        return True

    if not run_async(lambda: service.run(requeue)):
        fail(f"no item {item_id} (see `linkletter items list`)")
    console.print(f"Item {item_id} queued for enrichment.")


@app.command()
def enrich(ctx: typer.Context) -> None:
    """Fetch every waiting page now (the running bot does this by itself), with progress."""
    from rich.progress import Progress

    from bot.enrich.enricher import Enricher
    from bot.runner import fetch_settings

    service = state(ctx).service()
    total = run_async(lambda: service.run(lambda repo: repo.pending_enrichment()))

    async def work() -> EnrichmentWorker:
        enricher = Enricher(fetch_settings(service.config))
        worker = EnrichmentWorker(service.config, service.db, enricher)
        try:
            with Progress(console=console) as progress:
                task = progress.add_task("Enriching", total=total)
                # The worker's refilling slots: one slow page never holds up the others.
                slots = asyncio.ensure_future(worker.run_forever(asyncio.Event(), until_idle=True))
                while not slots.done():
                    await asyncio.wait({slots}, timeout=0.2)
                    progress.update(task, completed=_finished(worker))
                await slots
        finally:
            await enricher.aclose()
        return worker

    worker = run_async(work)
    console.print(
        f"{worker.enriched} pages enriched, {worker.failures} failed, {worker.retries} to "
        "retry later (see `linkletter items list`)."
    )


def _finished(worker: EnrichmentWorker) -> int:
    return worker.enriched + worker.failures + worker.retries
