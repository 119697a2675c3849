"""``linkletter desk``: the editors' desk in the browser (docs/desk.md)."""

from __future__ import annotations

import typer

from bot.cli.context import fail, state

app = typer.Typer(help="The editors' desk in the browser: sign-in links.", no_args_is_help=True)


@app.command()
def link(
    ctx: typer.Context,
    editor: str = typer.Option(
        ...,
        "--editor",
        help="The editor's id as the digest's editors write it: <platform>:<user>.",
    ),
) -> None:
    """Print a one-time sign-in link to the desk for an editor (valid 15 minutes, once)."""
    from bot.curate.signin import Editor, SignIn

    context = state(ctx)
    signin = SignIn(context.config(), context.database())
    try:
        url = signin.mint_link(Editor(editor.strip()))
    except PermissionError as refused:
        fail(str(refused))
    print(url)
