"""Database errors named for what they are (issue 18): each failure an operator can fix gets
its own message and fix, from the real error of a real SQLite file (a full tmpfs, a read-only
mount, a file another user owns, a held lock) or the real PostgreSQL (wrong port, database,
user); a command that only reads never creates an empty SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from storage.db import Database, DatabaseUnavailable, explain
from tests.core.helpers import ANN, post, service

CONFIG = """
[[digest]]
name = "weekly"
sources = ["slack:C1"]
editors = ["slack:UED"]
publish_to = ["file:{out}"]
"""
NOBODY = 65534
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="mounting and setuid need root")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def use_database(monkeypatch: pytest.MonkeyPatch, workdir: Path, url: str) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("LINKLETTER_CONFIG", raising=False)
    monkeypatch.setenv("LINKLETTER_DATABASE_URL", url)
    (workdir / "linkletter.toml").write_text(CONFIG.replace("{out}", str(workdir / "out")))


def seeded_file(path: Path) -> None:
    """A migrated SQLite file holding one item (id 1)."""
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    service(db, CONFIG.replace("{out}", str(path.parent / "out"))).handle_sync(
        post("slack:C1", "1", ANN, "https://example.com/a")
    )
    db.dispose()


def in_session(db: Database, work: Callable[[Session], object]) -> None:
    with db.session() as session:
        work(session)


def oneline(output: str) -> str:
    return " ".join(output.split())


def system(*command: str | Path) -> int:
    """Run a system tool (mount, umount) or our own script; its exit code."""
    program = shutil.which(str(command[0])) or str(command[0])
    return subprocess.run([program, *map(str, command[1:])], check=False).returncode  # noqa: S603


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    if system("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where) != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        system("umount", "-l", where)


# -- a missing SQLite file ------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [("items", "list"), ("items", "list", "--json"), ("digest", "list"), ("db", "current")],
)
def test_reading_a_missing_sqlite_file_says_so_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """Before: the command created an empty file and then talked about the schema."""
    missing = tmp_path / "linkletter.db"
    use_database(monkeypatch, tmp_path, f"sqlite:///{missing}")
    code, output = cli(*command)
    assert code == 1
    assert f"{missing} does not exist" in oneline(output)
    assert "linkletter db upgrade" in output
    assert not missing.exists()
    assert "Traceback" not in output


def test_db_upgrade_still_creates_the_file_and_names_a_missing_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'nowhere' / 'l.db'}")
    code, output = cli("db", "upgrade")
    assert code == 1
    assert f"directory {tmp_path / 'nowhere'} of the database file does not exist" in oneline(
        output
    )
    use_database(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'l.db'}")
    assert cli("db", "upgrade")[0] == 0
    assert cli("items", "list", "--json") == (0, "[]\n")


# -- a full disk ----------------------------------------------------------------------------
@ROOT_ONLY
def test_a_full_disk_is_reported_as_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: "cannot reach the database ... check that the server is running"."""
    with tmpfs(tmp_path / "disk", "2m") as disk:
        seeded_file(disk / "l.db")
        with contextlib.suppress(OSError), (disk / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        use_database(monkeypatch, tmp_path, f"sqlite:///{disk / 'l.db'}")
        code, output = cli("items", "set", "1", "--summary", "word " * 200_000)
    assert code == 1
    assert "disk holding the database is full" in oneline(output)
    assert "server is running" not in output
    assert "Traceback" not in output


def test_sqlite_full_from_max_page_count_is_disk_full(tmp_path: Path) -> None:
    """The same SQLITE_FULL without root: the file may not grow past its current pages."""
    path = tmp_path / "l.db"
    seeded_file(path)
    db = Database.connect(f"sqlite:///{path}")

    @event.listens_for(db.engine, "connect")
    def cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 1")  # capped at the current size

    def fill(session: Session) -> None:
        session.execute(text("CREATE TABLE filler (x TEXT)"))
        session.execute(text("INSERT INTO filler VALUES (:x)"), {"x": "x" * 1_000_000})

    with pytest.raises(DBAPIError) as raised:
        in_session(db, fill)
    problem = explain(raised.value, db.url)
    assert problem.kind == "disk_full"
    assert "free space" in str(problem)


# -- read-only, permission denied, locked ---------------------------------------------------
@ROOT_ONLY
def test_a_read_only_mount_is_reported_as_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        seeded_file(disk / "l.db")
        assert system("mount", "-o", "remount,ro", disk) == 0
        use_database(monkeypatch, tmp_path, f"sqlite:///{disk / 'l.db'}")
        code, output = cli("items", "approve", "1")
    assert code == 1
    assert "the database is read-only" in oneline(output)
    assert "Traceback" not in output


def test_a_command_writing_through_its_own_session_gets_the_message_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``digest intro`` writes outside ``friendly_errors``: the real ``linkletter`` script
    turns its read-only error into the message (before: a traceback)."""
    path = tmp_path / "l.db"
    seeded_file(path)
    use_database(monkeypatch, tmp_path, f"sqlite:///file:{path}?mode=ro&uri=true")
    script = Path(sys.executable).parent / "linkletter"
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [script, "digest", "intro", "hello"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "the database is read-only" in oneline(result.stderr)
    assert "Traceback" not in result.stderr


def test_a_read_only_database_is_not_waited_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The core waits out an outage (a server restarting), not a problem only an operator can
    mend: a read-only database fails the first time, with no retry (before: two minutes of
    retries, then the error)."""
    path = tmp_path / "l.db"
    seeded_file(path)
    db = Database.connect(f"sqlite:///file:{path}?mode=ro&uri=true")
    core = service(db, CONFIG.replace("{out}", str(tmp_path / "out")))
    with pytest.raises(DatabaseUnavailable) as raised:
        asyncio.run(core.handle(post("slack:C1", "2", ANN, "https://example.com/b")))
    assert raised.value.kind == "read_only"
    assert not raised.value.waitable
    assert "retrying" not in caplog.text
    db.dispose()


@ROOT_ONLY
def test_a_file_of_another_user_is_permission_denied() -> None:
    """Root's 0600 file opened by a forked child that became ``nobody`` (root itself would
    pass any permission check; the child needs no file of root's, its modules are loaded)."""
    with tempfile.TemporaryDirectory() as shared:
        Path(shared).chmod(0o755)
        path = Path(shared) / "l.db"
        seeded_file(path)
        path.chmod(0o600)
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os.setuid(NOBODY)
            try:
                Database.connect(f"sqlite:///{path}", create=False).current_revision()
                answer = "opened"
            except DatabaseUnavailable as problem:
                answer = f"{problem.kind} {problem}"
            os.write(write_end, answer.encode())
            os._exit(0)
        os.close(write_end)
        os.waitpid(child, 0)
        with os.fdopen(read_end) as pipe:
            answer = pipe.read()
    assert answer.startswith("permission_denied ")
    assert "give the user Linkletter runs as access" in answer


def test_a_lock_held_past_the_busy_timeout_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    seeded_file(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    db = Database.connect(f"sqlite:///{path}")

    @event.listens_for(db.engine, "connect")
    def impatient(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 100")

    try:
        with pytest.raises(DBAPIError) as raised:
            in_session(db, lambda session: session.execute(text("SELECT 1")))
    finally:
        holder.rollback()
        holder.close()
    assert explain(raised.value, db.url).kind == "locked"


# -- PostgreSQL -----------------------------------------------------------------------------
def postgres_url() -> str:
    url = os.environ.get("LINKLETTER_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("LINKLETTER_TEST_POSTGRES_URL is not set")
    return url


@pytest.mark.parametrize(
    ("change", "kind", "says"),
    [
        ({"port": 1}, "unreachable", "check the host and port"),
        ({"database": "linkletter_no_such_db"}, "missing", "createdb"),
        ({"username": "linkletter_no_such_role"}, "auth_failed", "refused the login"),
    ],
)
def test_postgres_wrong_port_database_or_user_each_say_their_fix(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    kind: str,
    says: str,
) -> None:
    url = make_url(postgres_url()).set(**change).render_as_string(hide_password=False)
    with pytest.raises(DatabaseUnavailable) as raised:
        Database.connect(url).current_revision()
    assert raised.value.kind == kind
    use_database(monkeypatch, tmp_path, url)
    code, output = cli("items", "list")
    assert code == 1
    assert says in oneline(output)
    assert ("server is running" in output) == (kind == "unreachable")


def test_an_error_of_another_kind_is_not_called_unreachable(tmp_path: Path) -> None:
    """A SQLite file that answers, but not as expected (a table gone): no "server" advice."""
    path = tmp_path / "l.db"
    seeded_file(path)
    db = Database.connect(f"sqlite:///{path}")
    with pytest.raises(DBAPIError) as raised:
        in_session(db, lambda session: session.execute(text("SELECT * FROM no_such_table")))
    problem = explain(raised.value, db.url)
    assert problem.kind == "error"
    assert "linkletter db current" in str(problem)
    assert "no such table: no_such_table" in str(problem)
