"""``.env`` is read at start by every command: next to the config file, then the current
directory; the real environment wins (real subprocesses, as an operator runs them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def linkletter(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LINKLETTER_", "SLACK_"))}
    return subprocess.run(  # noqa: S603 - our interpreter, our CLI
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dotenv_in_the_current_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"# comment\nexport LINKLETTER_DATABASE_URL='sqlite:///{tmp_path / 'from-env.db'}'\n"
    )
    result = linkletter(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env.db").is_file()


def test_the_real_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"LINKLETTER_DATABASE_URL=sqlite:///{tmp_path / 'a.db'}\n")
    real = f"sqlite:///{tmp_path / 'b.db'}"
    assert linkletter(tmp_path, "db", "upgrade", LINKLETTER_DATABASE_URL=real).returncode == 0
    assert (tmp_path / "b.db").is_file()
    assert not (tmp_path / "a.db").exists()


def test_dotenv_next_to_the_config_beats_the_current_directorys(tmp_path: Path) -> None:
    etc, work = tmp_path / "etc", tmp_path / "work"
    etc.mkdir()
    work.mkdir()
    (etc / "linkletter.toml").write_text('[[digest]]\nname = "w"\nsources = ["slack:C1"]\n')
    (etc / ".env").write_text(f"LINKLETTER_DATABASE_URL=sqlite:///{tmp_path / 'etc.db'}\n")
    (work / ".env").write_text(
        f"LINKLETTER_DATABASE_URL=sqlite:///{tmp_path / 'work.db'}\nSLACK_BOT_TOKEN=\n"
    )
    result = linkletter(work, "--config", str(etc / "linkletter.toml"), "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "etc.db").is_file()
    assert not (tmp_path / "work.db").exists()
