"""``linkletter digest``: see, render and publish issues."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from bot.cli.context import Context, console, fail, run_async, state

if TYPE_CHECKING:  # the rest is imported by the commands that use it (fast `--help`)
    from bot.config import DigestConfig
    from bot.digest.model import CompiledIssue
    from bot.publish.engine import PublishEngine, PublishReport
    from storage.issues import IssueRepo

app = typer.Typer(help="Digest issues: list, preview, render, show, publish.", no_args_is_help=True)
DIGEST = typer.Option(None, "--digest", "-d", help="Digest name (default: the first one).")


class Format(StrEnum):
    slack = "slack"
    discord = "discord"
    markdown = "markdown"
    html = "html"
    text = "text"
    json = "json"


def print_issue(issue: CompiledIssue) -> None:
    """The issue's Markdown rendering without its front matter, formatted for the terminal."""
    from rich.markdown import Markdown

    from bot.digest.render import render

    console.print(Markdown(render(issue, "markdown").split("---\n", 2)[-1]))


def _engine(context: Context) -> PublishEngine:
    from bot.app import build_engine  # the composition root, imported when needed

    return build_engine(context.config(), context.database())


def _digest(context: Context, name: str | None) -> DigestConfig:
    try:
        return context.config().digest(name)
    except KeyError as exc:
        fail(str(exc.args[0]))


@app.command("list")
def list_digests(ctx: typer.Context) -> None:
    """Each digest with its schedule, next run, last issue and what is waiting."""
    from bot.schedule import next_slot, parse_schedule
    from storage.issues import IssueRepo

    context = state(ctx)
    config, db = context.config(), context.database()
    now = datetime.now(UTC)

    def load(repo: IssueRepo) -> list[tuple[DigestConfig, int | None, int]]:
        rows = []
        for digest in config.digests:
            last = repo.last_published(digest.name)
            waiting = len(repo.ready_for_issue(digest.name))
            rows.append((digest, last.number if last else None, waiting))
        return rows

    with db.reading() as session:
        rows = load(IssueRepo(session))
    table = Table("digest", "schedule", "next run", "last issue", "approved, waiting", "publish to")
    for digest, last, waiting in rows:
        upcoming = next_slot(parse_schedule(digest.schedule, digest.timezone), now)
        table.add_row(
            digest.name,
            f"{digest.schedule} ({digest.timezone})",
            upcoming.isoformat(timespec="minutes") if upcoming else "never",
            str(last or "—"),
            str(waiting),
            ", ".join(digest.publish_to) or "—",
        )
    console.print(table)


@app.command()
def preview(
    ctx: typer.Context,
    digest: str | None = DIGEST,
    drafts: bool = typer.Option(
        False,
        "--drafts",
        help="Also make (or update) the Buttondown/Ghost/Mailchimp drafts of the next scheduled "
        "issue from this preview, as the scheduled preview does, and print their links.",
    ),
) -> None:
    """What would be published now, in the terminal."""

    context = state(ctx)
    chosen = _digest(context, digest)
    engine = _engine(context)
    issue: CompiledIssue = run_async(lambda: engine.preview(chosen))
    if issue.is_empty:
        console.print(f"Nothing approved for [bold]{chosen.name}[/] yet.")
        return
    print_issue(issue)
    if drafts:
        line = run_async(lambda: _preview_drafts(engine, chosen, issue))
        console.print(line or "No buttondown:, ghost: or mailchimp: entry in publish_to.")


async def _preview_drafts(engine: PublishEngine, digest: DigestConfig, issue: CompiledIssue) -> str:
    """The drafts of the next slot's period: the ones publishing that slot will update."""
    from bot.publish.drafts import drafts_line
    from bot.schedule import next_slot, parse_schedule, period_key

    upcoming = next_slot(parse_schedule(digest.schedule, digest.timezone), datetime.now(UTC))
    if upcoming is None:
        fail(f"{digest.name} has no next scheduled run to make drafts for")
    period = period_key(upcoming, digest.timezone)
    return drafts_line(await engine.preview_drafts(digest, period, issue))


def _stored_issue(context: Context, digest: DigestConfig, number: int) -> CompiledIssue:
    from bot.digest import store
    from storage.issues import IssueRepo

    with context.database().reading() as session:
        row = IssueRepo(session).issue_by_number(digest.name, number)
        if row is None:
            fail(f"{digest.name} has no issue {number} (see `linkletter digest list`)")
        return store.loads(row.compiled)


@app.command("render")
def render_issue(
    ctx: typer.Context,
    fmt: Format = typer.Option(..., "--format", "-f", help="Output format."),
    issue: int | None = typer.Option(None, help="A published issue (default: the next one)."),
    out: Path | None = typer.Option(None, help="Write here instead of standard output."),
    digest: str | None = DIGEST,
) -> None:
    """Render an issue for one destination."""
    from bot.digest.render import render

    context = state(ctx)
    chosen = _digest(context, digest)
    compiled = (
        _stored_issue(context, chosen, issue)
        if issue is not None
        else run_async(lambda: _engine(context).preview(chosen))
    )
    output = render(compiled, fmt.value)
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, indent=2)
    if out is None:
        print(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}")


@app.command()
def show(ctx: typer.Context, number: int, digest: str | None = DIGEST) -> None:
    """A published issue and where each part went."""
    from storage.issues import IssueRepo

    context = state(ctx)
    chosen = _digest(context, digest)
    issue = _stored_issue(context, chosen, number)
    print_issue(issue)
    with context.database().reading() as session:
        repo = IssueRepo(session)
        row = repo.issue_by_number(chosen.name, number)
        deliveries = repo.deliveries(row.id) if row and row.id else []
    table = Table("destination", "part", "state", "message", "error")
    for delivery in deliveries:
        table.add_row(
            delivery.destination,
            str(delivery.part),
            delivery.state,
            delivery.platform_message_id or "",
            delivery.error or "",
        )
    console.print(table)


@app.command()
def publish(
    ctx: typer.Context,
    digest: str | None = DIGEST,
    now: bool = typer.Option(False, "--now", help="Publish a new issue now, off schedule."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would go out; post nothing."),
) -> None:
    """Publish the due (or missed) issue, exactly once; --now for an extra issue right away."""
    from bot.schedule import last_slot, parse_schedule, period_key

    context = state(ctx)
    chosen = _digest(context, digest)
    moment = datetime.now(UTC)
    slot = last_slot(parse_schedule(chosen.schedule, chosen.timezone), moment)
    if now or slot is None:
        period = f"manual:{moment.isoformat(timespec='seconds')}"
    else:
        period = period_key(slot, chosen.timezone)
    report = run_async(lambda: _publish(context, chosen.name, period, dry_run))
    if dry_run and report.issue is not None:
        print_issue(report.issue)
    console.print(report.describe())
    if report.outcome in ("incomplete", "busy"):
        raise typer.Exit(3)


async def _publish(context: Context, digest: str, period: str, dry_run: bool) -> PublishReport:
    from bot.app import build_engine, chat_from_env

    config, db = context.config(), context.database()
    if dry_run:
        return await build_engine(config, db).publish(digest, period, dry_run=True)
    async with chat_from_env() as chat:
        return await build_engine(config, db, chat).publish(digest, period)


@app.command()
def intro(
    ctx: typer.Context,
    text: str = typer.Argument(..., help='The intro for the next issue ("clear" removes it).'),
    digest: str | None = DIGEST,
) -> None:
    """Set the intro paragraph of the next issue."""
    from storage.issues import IssueRepo

    context = state(ctx)
    chosen = _digest(context, digest)
    with context.database().session() as session:
        digest_state = IssueRepo(session).digest_state(chosen.name)
        digest_state.intro = None if text.strip().lower() == "clear" else text
    console.print("Intro cleared." if text.strip().lower() == "clear" else "Intro saved.")
