"""Matrix adapter: a ``/sync`` connection, publisher, renderer and doctor (see docs/matrix.md).

Cheap to import: mautrix and aiohttp load only when connecting, publishing or checking.
"""

from adapters.matrix.platform import PLATFORM

__all__ = ["PLATFORM"]
