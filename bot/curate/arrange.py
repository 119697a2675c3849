"""The desk's manual order as editor facts: a ``position`` decision per item of a section.

Placing items rewrites the positions of the whole section (1, 2, 3, …), and moves an item that
came from another section with a ``section`` decision first. Items that arrive later have no
position and follow the placed ones (``bot.digest.compile``), so a manual order survives them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.app.logs import log_event
from bot.capture.ingest import recompute_items
from bot.config import Config
from storage.models import Decision
from storage.repo import Repo

log = logging.getLogger(__name__)


def arrange(
    config: Config, repo: Repo, digest: str, section: str, item_ids: Sequence[int], actor: str
) -> None:
    """Put ``item_ids`` (items of ``digest``) in ``section``, in this order; ``LookupError``
    names an id that is not one of the digest's items."""
    items = {item.id: item for item in repo.items_by_id(list(item_ids)) if item.digest == digest}
    missing = [item_id for item_id in item_ids if item_id not in items]
    if missing:
        raise LookupError(f"no item {missing[0]} in {digest}")
    for place, item_id in enumerate(item_ids, start=1):
        if items[item_id].section != section:
            repo.add(Decision(item_id=item_id, actor=actor, action="section", value=section))
        repo.add(Decision(item_id=item_id, actor=actor, action="position", value=str(place)))
    recompute_items(config, repo, [items[item_id] for item_id in item_ids])
    log_event(
        log,
        "arrange",
        "{digest}: {actor} ordered {section}: {items}",
        digest=digest,
        actor=actor,
        section=section,
        items=", ".join(map(str, item_ids)),
    )
