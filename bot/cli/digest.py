"""``linkletter digest``: see, render and publish issues."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.cli.context import Context, console, fail, run_async, state
from bot.cli.terminal import markdown, print_table, table
from bot.platforms import names

if TYPE_CHECKING:  # the rest is imported by the commands that use it (fast `--help`)
    from bot.config import DigestConfig
    from bot.deliver.engine import PublishEngine, PublishReport
    from bot.digest.model import CompiledIssue
    from storage.issues import IssueRepo

app = typer.Typer(help="Digest issues: list, preview, render, show, publish.", no_args_is_help=True)
DIGEST = typer.Option(None, "--digest", "-d", help="Digest name (default: the first one).")
AS_JSON = typer.Option(False, "--json", help="JSON, for scripts.")


# ``digest render --format``: each platform's native payloads, then the neutral documents (what
# ``bot.digest.render.formats()`` gives, written out here so that ``--help`` stays quick:
# tests/cli/test_platform_commands.py keeps the two the same).
FORMATS = (*names(), "markdown", "html", "text", "json")
if TYPE_CHECKING:
    Format = StrEnum
else:  # the choices Typer offers: an enum made from the registry
    Format = StrEnum("Format", {name: name for name in FORMATS})


def _engine(context: Context) -> PublishEngine:
    from bot.app.wiring import build_engine  # the composition root, imported when needed

    return build_engine(context.config(), context.database())


def _digest(context: Context, name: str | None) -> DigestConfig:
    try:
        return context.config().digest(name)
    except KeyError as exc:
        fail(str(exc.args[0]))


@app.command("list")
def list_digests(ctx: typer.Context, as_json: bool = AS_JSON) -> None:
    """Each digest with its schedule, next run, last issue and what is waiting."""
    from bot.deliver.cadence import next_slot, parse_schedule

    context = state(ctx)
    config, db = context.config(), context.database()
    now = datetime.now(UTC)

    def load(repo: IssueRepo) -> list[dict[str, Any]]:
        rows = []
        for digest in config.digests:
            last = repo.last_published(digest.name)
            upcoming = next_slot(parse_schedule(digest.schedule, digest.timezone), now)
            rows.append(
                {
                    "name": digest.name,
                    "schedule": digest.schedule,
                    "timezone": digest.timezone,
                    "next_run": upcoming.isoformat(timespec="minutes") if upcoming else None,
                    "last_issue": last.number if last else None,
                    "approved_waiting": len(repo.ready_for_issue(digest.name)),
                    "publish_to": digest.publish_to,
                }
            )
        return rows

    with db.reading() as uow:
        rows = load(uow.issues)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    grid = table("digest", "schedule", "next run", "last issue", "approved, waiting", "publish to")
    for row in rows:
        grid.add_row(
            row["name"],
            f"{row['schedule']} ({row['timezone']})",
            row["next_run"] or "never",
            str(row["last_issue"] or "—"),
            str(row["approved_waiting"]),
            "\n".join(row["publish_to"]) or "—",
        )
    print_table(console, grid)


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
        console.print(
            f"Nothing approved for {chosen.name} yet. Approve items with ✅ in chat or "
            "`linkletter items approve ID` (`linkletter items list` shows the queue)."
        )
        return
    _print_issue(issue)
    if drafts:
        line = run_async(lambda: _preview_drafts(engine, chosen, issue))
        console.print(line or "No buttondown:, ghost: or mailchimp: entry in publish_to.")


async def _preview_drafts(engine: PublishEngine, digest: DigestConfig, issue: CompiledIssue) -> str:
    """The drafts of the next slot's period: the ones publishing that slot will update."""
    from bot.deliver.cadence import next_slot, parse_schedule, period_key
    from bot.deliver.drafts import drafts_line

    upcoming = next_slot(parse_schedule(digest.schedule, digest.timezone), datetime.now(UTC))
    if upcoming is None:
        fail(f"{digest.name} has no next scheduled run to make drafts for")
    period = period_key(upcoming, digest.timezone)
    return drafts_line(await engine.preview_drafts(digest, period, issue))


def _print_issue(issue: CompiledIssue) -> None:
    """The issue's Markdown rendering without its front matter, formatted for the terminal."""
    from bot.digest.render import render

    console.print(markdown(render(issue, "markdown").split("---\n", 2)[-1]))


def _stored_issue(context: Context, digest: DigestConfig, number: int) -> CompiledIssue:
    from bot.digest import store

    with context.database().reading() as uow:
        row = uow.issues.issue_by_number(digest.name, number)
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
def show(
    ctx: typer.Context, number: int, digest: str | None = DIGEST, as_json: bool = AS_JSON
) -> None:
    """A published issue and where each part went."""
    context = state(ctx)
    chosen = _digest(context, digest)
    issue = _stored_issue(context, chosen, number)
    with context.database().reading() as uow:
        repo = uow.issues
        row = repo.issue_by_number(chosen.name, number)
        deliveries = [
            {
                "destination": d.destination,
                "part": d.part,
                "state": d.state,
                "message_id": d.platform_message_id,
                "error": d.error,
            }
            for d in (repo.deliveries(row.id) if row and row.id else [])
        ]
    if as_json:
        from bot.digest.render import render

        compiled = json.loads(render(issue, "json"))  # the documented digest JSON
        shown = {"digest": chosen.name, "number": number, "issue": compiled}
        print(json.dumps(shown | {"deliveries": deliveries}, ensure_ascii=False, indent=2))
        return
    _print_issue(issue)
    grid = table("destination", "part", "state", "message", "error")
    for delivery in deliveries:
        grid.add_row(*(str(delivery[key] or "") for key in delivery))
    print_table(console, grid)


@app.command()
def publish(
    ctx: typer.Context,
    digest: str | None = DIGEST,
    now: bool = typer.Option(False, "--now", help="Publish a new issue now, off schedule."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would go out; post nothing."),
) -> None:
    """Publish the due (or missed) issue, exactly once; --now for an extra issue right away."""
    from bot.deliver.cadence import last_slot, parse_schedule, period_key

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
        _print_issue(report.issue)
    console.print(report.describe())
    if report.outcome.partial:
        raise typer.Exit(3)


async def _publish(context: Context, digest: str, period: str, dry_run: bool) -> PublishReport:
    from bot.app.wiring import build_engine, chat_from_env

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
    context = state(ctx)
    chosen = _digest(context, digest)
    with context.database().unit() as uow:
        digest_state = uow.issues.digest_state(chosen.name)
        digest_state.intro = None if text.strip().lower() == "clear" else text
    console.print("Intro cleared." if text.strip().lower() == "clear" else "Intro saved.")
