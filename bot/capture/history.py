"""History imports: what every platform's export reader shares (``linkletter import``).

A platform's reader (``Platform.importers``) turns its history export into the same neutral
events its live connection produces (with the same deterministic ids), so importing twice, or
importing what the bot also saw live, changes nothing.

Exports are read message by message (a very large export is streamed, never loaded whole), so
the caller can apply them in batches as they come. A file that is not an export fails with
:class:`NotAnExport` before anything is read; one message that cannot be read is skipped and
named in :class:`ImportReport`, and the rest imports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class NotAnExport(Exception):
    """The file is not the export it was said to be; the message says what was expected."""


@dataclass
class ImportReport:
    """What an import read and skipped (for its closing summary), and how far it has got."""

    messages: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    done: int = 0  # bytes of the export read so far, out of ``total``
    total: int = 0

    def skip(self, reason: str, warning: str | None = None) -> None:
        self.skipped[reason] += 1
        if warning is not None:
            self.warnings.append(warning)


def nothing_shared(kind: object) -> str:
    """The skip reason for joins, pins, tombstones and other messages nobody shares in."""
    return f"system ({kind})"
