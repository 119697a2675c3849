"""The import benchmark measures what it says: its generated export is a DiscordChatExporter
file the importer reads whole, and its executemany baseline writes exactly the rows the import
stored (the figures themselves come from ``python -m bench.imports``)."""

from __future__ import annotations

from pathlib import Path

from adapters.discord.export import DiscordExport
from bench import databases
from bench.imports import executemany, run_import, write_export
from bench.ingest import stored_rows
from bot.capture.history import ImportReport


def test_the_generated_export_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    write_export(path, 200)
    export = DiscordExport(path)
    report = ImportReport()
    events = list(export.events({export.channel}, report))
    assert report.messages == 200
    assert report.skipped == {"system (GuildMemberJoin)": 4}
    assert report.warnings == []
    assert len(events) > 200  # posts plus the reactions on them


def test_the_executemany_baseline_inserts_exactly_the_rows_the_import_stored(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.json"
    write_export(path, 300)
    with databases.fresh("sqlite") as db:
        _seconds, _report, totals = run_import(db, path)
        stored = stored_rows(db)
    assert totals.new_items > 0
    with databases.fresh("sqlite") as raw:
        executemany(raw.engine, stored, transactions=7)
        assert stored_rows(raw) == stored
