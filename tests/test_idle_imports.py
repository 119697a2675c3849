"""``linkletter run`` leaves the heavy libraries it needs only now and then unimported until
first use (their RSS is the bulk of an idle process: docs/benchmarks.md, Memory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What `linkletter run` imports (the CLI with every command module, the runner, both
# adapters), then the schema check it makes at start and on every /readyz.
RUN_IMPORTS = (
    "import bot.cli, bot.app.runner, adapters.slack.connection, adapters.discord.bot, storage.db; "
    "storage.db.Database.connect('sqlite://').current_revision()"
)
ON_FIRST_USE = {
    "alembic": "`linkletter db upgrade` (storage.db.Database.upgrade)",
    "pypdf": "the first PDF (bot.enrich.pdf)",
    "trafilatura": "the first HTML page's main text (bot.enrich.extract)",
    "charset_normalizer": "the first page without a declared encoding (bot.enrich.extract)",
    "lxml": "trafilatura, or the first feed (bot.web.feeds)",
    "selectolax": "parsing a page, done only in the extraction workers (bot.enrich.budget)",
    "feedgen": "the first Atom/RSS request (bot.web.feeds)",
}


def test_run_does_not_import_what_it_needs_only_on_first_use() -> None:
    names = sorted(ON_FIRST_USE)
    probe = f"{RUN_IMPORTS}; import sys; print(' '.join(n for n in {names!r} if n in sys.modules))"
    result = subprocess.run(  # noqa: S603 - our interpreter, a fixed program
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = result.stdout.split()
    assert not loaded, "imported at start: " + "; ".join(
        f"{n} (meant for {ON_FIRST_USE[n]})" for n in loaded
    )
