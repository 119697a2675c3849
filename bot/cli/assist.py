"""``linkletter assist``: the optional language-model helper (docs/assist.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from bot.cli.context import console, fail, run_async, state

app = typer.Typer(
    help="Optional AI assist: summaries, sections, why suggestions.", no_args_is_help=True
)
T = TypeVar("T")


def _with_assist(ctx: typer.Context, work: Callable[..., Awaitable[T]]) -> T:
    from bot.assist.service import AssistService

    context = state(ctx)
    config = context.config()
    if not config.assist.enabled:
        fail("assist is off: set enabled = true under [assist] (see docs/assist.md)")
    service = AssistService(config, context.database())

    async def go() -> T:
        try:
            return await work(service)
        finally:
            await service.aclose()

    return run_async(go)


@app.command()
def status(ctx: typer.Context) -> None:
    """This month's token use against the budget."""
    budget = _with_assist(ctx, lambda service: service.usage())
    console.print(
        f"{budget.used} of {budget.limit} tokens used since {budget.since:%Y-%m-%d}"
        + (" — budget exhausted" if budget.exhausted else "")
    )


@app.command("run")
def run_once(
    ctx: typer.Context,
    item: int | None = typer.Option(None, help="Only this item."),
) -> None:
    """Assist waiting items now (or one item)."""
    outcomes = _with_assist(
        ctx, lambda service: service.assist_item(item) if item else service.sweep()
    )
    for outcome in outcomes if isinstance(outcomes, list) else [outcomes]:
        done = ", ".join(outcome.done) or "nothing"
        errors = "; ".join(outcome.errors)
        console.print(
            f"item {outcome.item_id}: {done}" + (f" (errors: {errors})" if errors else "")
        )


@app.command()
def log(ctx: typer.Context, item: int) -> None:
    """Every prompt and answer recorded for an item (audit)."""
    for entry in _with_assist(ctx, lambda service: service.audit(item)):
        console.rule(
            f"{entry.at:%Y-%m-%d %H:%M} {entry.feature} · {entry.model} · {entry.tokens} tokens"
        )
        console.print(entry.prompt, markup=False)
        console.print(f"→ {entry.output or entry.error}", markup=False)
