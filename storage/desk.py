"""The web desk's own rows: its signing key and the one-time sign-in links."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import Decision, DeskLogin, DeskSecret, DigestState, Item, Message
from storage.repo import chunked, insert_ignore

SIGNING_KEY = "desk-signing-key"


class Redeemed(StrEnum):
    """Why a sign-in link opens no session (or ``ok``)."""

    ok = "ok"
    unknown = "unknown"
    expired = "expired"
    used = "used"


class DeskRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def signing_key(self, candidate: str) -> str:
        """The desk's key: ``candidate`` if none was kept yet, else the one kept (whoever
        writes first wins, so concurrent processes agree)."""
        values = {"name": SIGNING_KEY, "value": candidate}
        insert_ignore(self.session, DeskSecret, values)
        return self.session.exec(
            select(DeskSecret.value).where(DeskSecret.name == SIGNING_KEY)
        ).one()

    def add_login(self, token_hash: str, editor: str, roles: str, expires_at: datetime) -> None:
        login = DeskLogin(token_hash=token_hash, editor=editor, roles=roles, expires_at=expires_at)
        self.session.add(login)

    def redeem_login(self, token_hash: str, now: datetime) -> tuple[Redeemed, DeskLogin | None]:
        """Use a sign-in link once: the conditional update makes a second use (even a
        concurrent one) find it used."""
        login = self.session.get(DeskLogin, token_hash)
        if login is None:
            return Redeemed.unknown, None
        if _aware(login.expires_at) <= now:
            return Redeemed.expired, login
        claim = (
            update(DeskLogin)
            .where(col(DeskLogin.token_hash) == token_hash, col(DeskLogin.used_at).is_(None))
            .values(used_at=now)
        )
        if self.session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
            return Redeemed.used, login
        return Redeemed.ok, login

    def version(self, digest: str) -> str:
        """Changes whenever what the desk shows of ``digest`` may have: an item re-derived,
        enriched or added, a decision recorded, the intro or outro edited."""
        items = self.session.exec(
            select(func.count(), func.max(Item.updated_at)).where(Item.digest == digest)
        ).one()
        decided = self.session.exec(
            select(func.max(Decision.id)).where(
                col(Decision.item_id).in_(select(Item.id).where(Item.digest == digest))
            )
        ).one()
        state = self.session.get(DigestState, digest)
        words = (state.intro, state.outro) if state else (None, None)
        return repr((*items, decided, *words))

    def permalinks(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The chat link of each of these (channel, message id) messages that has one."""
        wanted = set(keys)
        found: dict[tuple[str, str], str] = {}
        for chunk in chunked({message_id for _, message_id in wanted}):
            query = select(Message.channel, Message.message_id, Message.permalink).where(
                col(Message.message_id).in_(chunk), col(Message.permalink).is_not(None)
            )
            for channel, message_id, link in self.session.exec(query):
                if (channel, message_id) in wanted and link:
                    found[(channel, message_id)] = link
        return found


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive (they were written in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
