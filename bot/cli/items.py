"""``linkletter items``: look at the queue and curate it from a terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import typer
from rich.text import Text

from bot.cli.context import console, fail, friendly_errors, run_async, state
from bot.cli.terminal import plain
from bot.platforms import every
from storage.states import EnrichStatus, ItemStatus, SummarySource

if TYPE_CHECKING:  # the rest is imported by the commands that use it (fast `--help`)
    from bot.config import Config, DigestConfig, ScoreWeights
    from bot.curate.service import CurationService
    from bot.enrich.worker import EnrichmentWorker
    from storage.repo import Repo, Row

app = typer.Typer(help="Captured items: list, refresh and curate them.", no_args_is_help=True)


Status = ItemStatus  # --status takes the item statuses the database holds


def item_record(item: Row, shares: Sequence[Row], weights: ScoreWeights) -> dict[str, Any]:
    """The documented ``items list --json`` shape (docs/cli.md), from the rows of
    ``Repo.item_listing`` (share columns prefixed ``share_``); ``weights`` are the item's
    digest's ``[digest.score]``."""
    from bot.capture.engagement import COUNT_COLUMNS, stored_score

    return {
        "id": item["id"],
        "digest": item["digest"],
        "url": item["url"],
        "canonical_url": item["canonical_url"],
        "title": item["title_override"] or item["title"] or item["unfurl_title"],
        "summary": item["summary_override"] or item["summary"],
        "summary_source": SummarySource.editor
        if item["summary_override"]
        else item["summary_source"],
        "section": item["section"],
        "section_source": item["section_source"],
        "status": item["status"],
        "why": item["why"],
        "note": item["note"],
        "votes": item["votes"],
        "featured": item["featured"],
        "score": stored_score(item, weights),
        "engagement": {name.removesuffix("_count"): item[name] for name in COUNT_COLUMNS},
        "shares": [share_record(share) for share in shares],
        "word_count": item["word_count"],
        "site_name": item["site_name"],
        "enrichment": {
            "status": item["enrich_status"],
            "error": item["enrich_error"],
            "attempts": item["enrich_attempts"],
        },
        "archived_url": item["archived_url"],
        "archive": {
            "status": item["archive_status"],
            "error": item["archive_error"],
            "attempts": item["archive_attempts"],
        },
        "assist_error": item["assist_error"],
        "suggested_section": item["suggested_section"],
        "suggested_why": item["suggested_why"],
        "published_in": _published_in(item),
        "revisited": item["issue_number"] is not None and item["status"] == ItemStatus.approved,
    }


def _published_in(item: Row) -> dict[str, Any] | None:
    """The issue that carried the item (the latest, for one an editor brought back)."""
    if item["issue_number"] is None:
        return None
    date = item["issue_date"]
    return {"issue": item["issue_number"], "date": date.date().isoformat() if date else None}


def score_weights(config: Config) -> Callable[[str], ScoreWeights]:
    """Each digest's score weights by name; the defaults for a digest no longer configured."""
    from bot.config import ScoreWeights

    known = {digest.name: digest.score for digest in config.digests}
    default = ScoreWeights()
    return lambda name: known.get(name, default)


def share_record(share: Row) -> dict[str, Any]:
    shared_at = share["share_shared_at"]
    return {
        "platform": share["share_channel"].split(":", 1)[0],
        "channel": share["share_channel"],
        "user": share["share_user"],
        "user_name": share["share_user_name"],
        "message_id": share["share_message_id"],
        "time": shared_at.isoformat() if shared_at else None,
        "active": share["share_active"],
    }


def write_json_array(records: Iterable[dict[str, Any]], out: TextIO) -> None:
    """Print what ``json.dumps(list(records), indent=2)`` would, one record at a time.

    Indenting by replacing newlines is safe: JSON escapes the newlines inside strings.
    """
    opening = "[\n"
    for record in records:
        text = json.dumps(record, ensure_ascii=False, indent=2)
        out.write(opening + "  " + text.replace("\n", "\n  "))
        opening = ",\n"
    out.write("[]\n" if opening == "[\n" else "\n]\n")


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
    # Read and printed as a stream (one item's rows at a time): no event loop is running here,
    # so the blocking read does not need a worker thread.
    with friendly_errors(), service.db.reading() as uow:
        listing = uow.items.item_listing(digest, [status.value] if status else None)
        weights = score_weights(service.config)
        records = (item_record(i, shares, weights(i["digest"])) for i, shares in listing)
        if as_json:
            write_json_array(records, sys.stdout)
            return
        listed = 0
        for record in records:
            _print_item(record)
            listed += 1
    if not listed:
        console.print(_nothing_listed(service, digest, status))


@app.command("search")
def search(
    ctx: typer.Context,
    words: list[str] = typer.Argument(..., help="Words to find (every one must match)."),
    digest: str | None = typer.Option(None, help="Only this digest."),
    status: Status | None = typer.Option(None, help="Only items in this state."),
    limit: int = typer.Option(20, min=1, max=500, help="At most this many, best first."),
    as_json: bool = typer.Option(False, "--json", help="One JSON array, for scripts."),
) -> None:
    """Full-text search over titles, summaries, whys, sites and sharers, best match first."""
    from bot.curate.search import NO_WORDS, hit_line, hit_record, nothing_found, usable

    text = " ".join(words)
    if not usable(text):
        fail(NO_WORDS, code=2)
    service = state(ctx).service()
    if digest:
        _digest(service, digest)
    statuses = [status.value] if status else None
    with friendly_errors(), service.db.reading() as uow:
        hits = uow.items.search_items(text, digest, statuses, limit)
    if as_json:
        write_json_array((hit_record(hit) for hit in hits), sys.stdout)
        return
    if not hits:
        console.print(plain(nothing_found(text)))
    for hit in hits:
        console.print(plain(hit_line(hit)), soft_wrap=True)
        console.print(Text("      "), plain(hit.url, "cyan"), sep="", soft_wrap=True)


def _print_item(record: dict[str, Any]) -> None:
    """One item as a few lines: nothing is cut off, and the URL has a line of its own (no
    wrapping, so a terminal or a pipe keeps it whole and clickable)."""
    enrichment = record["enrichment"]["status"]
    if record["enrichment"]["error"]:
        enrichment += f": {record['enrichment']['error']}"
    head = Text.assemble(
        (f"{record['id']:>4}", "bold"),
        "  ",
        (record["status"], STATUS_STYLES.get(record["status"], "")),
        "  ⭐ featured" if record["featured"] else "",
        f"  section: {record['section'] or '—'}  votes: {record['votes']}",
    )
    console.print(head, soft_wrap=True)
    console.print(Text("      "), plain(record["title"] or "(no title yet)", "bold"), sep="")
    console.print(Text("      "), plain(record["url"], "cyan"), sep="", soft_wrap=True)
    if record["why"]:
        console.print(Text("      why: "), plain(record["why"]), sep="", soft_wrap=True)
    console.print(Text("      "), plain(f"enrichment: {enrichment}", "dim"), sep="", soft_wrap=True)


STATUS_STYLES = {"approved": "green", "rejected": "red", "published": "blue", "withdrawn": "dim"}


def _nothing_listed(service: CurationService, digest: str | None, status: Status | None) -> str:
    """An empty listing says why it is empty and what to do next."""
    if digest or status:
        which = " ".join(part for part in (status and status.value, digest) if part)
        return f"No {which} items. `linkletter items list` shows every item."
    channels = ", ".join(sorted({c for d in service.config.digests for c in d.sources}))
    return (
        f"No items yet. Share a link in a watched channel ({channels or 'none configured'}), "
        f"or bring in past links with `linkletter import {_an_importer()} EXPORT.zip`."
    )


def _an_importer() -> str:
    """The first platform's history import command, for the empty listing's hint."""
    return next(importer.command for chat in every() for importer in chat.importers())


def _digest(service: CurationService, name: str) -> DigestConfig:
    try:
        return service.config.digest(name)
    except KeyError as exc:
        fail(str(exc.args[0]))


def _curate(ctx: typer.Context, item_id: int, action: str, value: str | None, actor: str) -> None:
    from bot.curate.commands import decide

    service = state(ctx).service()

    def record(repo: Repo) -> str:
        item = repo.item(item_id)
        return decide(service, repo, item, actor, action, value) if item else ""

    message = run_async(lambda: service.run(record))
    if not message:
        fail(f"no item {item_id} (see `linkletter items list`)")
    console.print(message)


_FIRST = every()[0]
ACTOR = typer.Option(
    "cli", help=f"Who decided, for the record (e.g. {_FIRST.name}:{_FIRST.ids.editor_example})."
)


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
    # the section first: an unknown one is refused before anything else is saved
    changes = {"section": section, "title": title, "summary": summary, "image": image, "why": why}
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
        item.enrich_status, item.enrich_error, item.enrich_attempts = EnrichStatus.pending, None, 0
        item.enrich_next_at = item.enrich_lease_until = item.enrich_lease_owner = None
        return True

    if not run_async(lambda: service.run(requeue)):
        fail(f"no item {item_id} (see `linkletter items list`)")
    console.print(f"Item {item_id} queued for enrichment.")


@app.command()
def enrich(ctx: typer.Context) -> None:
    """Fetch every waiting page now (the running bot does this by itself), with progress."""
    import asyncio

    from rich.progress import Progress

    from bot.app.wiring import fetch_settings
    from bot.enrich.enricher import Enricher
    from bot.enrich.worker import EnrichmentWorker

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
