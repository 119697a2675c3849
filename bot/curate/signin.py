"""Sign-in to the editors' desk (``bot.web.desk``) with no new secret: one-time links and
signed session cookies. ``/linkletter desk`` and ``linkletter desk link`` mint the links.

The signing key is made once and kept in the database (``desk_secret``), so every process of a
deployment signs alike and nothing is added to the environment. A sign-in link carries a random
token whose SHA-256 is stored with the editor, an expiry (15 minutes) and when it was used: it
opens one session, once. A session is a cookie ``<payload>.<HMAC>`` naming the editor (and
their roles, for role-based editors) until it expires (12 hours); each form carries a CSRF
token derived from the session's random id. Whether the editor may touch a digest is checked on
every request against the current config, never stored in the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Config, DigestConfig
from bot.curate.rules import is_editor
from bot.events import Author
from bot.platforms import names_a_group
from storage.db import Database
from storage.desk import Redeemed

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
REFUSED = {
    Redeemed.unknown: "This sign-in link is not valid.",
    Redeemed.expired: "This sign-in link has expired (links last 15 minutes).",
    Redeemed.used: "This sign-in link was already used (each link opens one session).",
}
NOT_AN_EDITOR = "Only a digest's editors can use the desk."


@dataclass(frozen=True, slots=True)
class Editor:
    """Who a session belongs to: a ``platform:user`` id and the roles it had at sign-in."""

    user: str
    roles: tuple[str, ...] = ()

    def edits(self, digest: DigestConfig) -> bool:
        return is_editor(digest, self.user, self.roles)


@dataclass(frozen=True, slots=True)
class DeskSession:
    editor: Editor
    sid: str  # random per session: the CSRF token is derived from it
    expires: datetime


def editable(config: Config, editor: Editor) -> list[DigestConfig]:
    """The digests ``editor`` edits, in config order (empty: not an editor at all)."""
    return [digest for digest in config.digests if editor.edits(digest)]


def desk_url(config: Config) -> str:
    """The desk's absolute address: under ``web.public_url`` (a proxy's sub-path too), else
    the local listener."""
    if config.web.public_url:
        return config.web.public_url.rstrip("/") + "/desk/"
    host = config.web.host if config.web.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    return f"http://{host}:{config.web.port}/desk/"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignIn:
    """Links and sessions of one deployment (blocking database calls: use a worker thread)."""

    def __init__(
        self, config: Config, db: Database, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.config = config
        self.db = db
        self.now = now
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            candidate = secrets.token_hex(32)
            kept = self.db.write_now(lambda uow: uow.desk.signing_key(candidate))
            self._key = bytes.fromhex(kept)
        return self._key

    def _sign(self, data: bytes) -> str:
        return _b64(hmac.new(self.key, data, hashlib.sha256).digest())

    # --- links ------------------------------------------------------------------------------
    def link_for(self, user: Author) -> str:
        """``mint_link`` for a chat user, with the roles the platform says they have."""
        return self.mint_link(Editor(user.id, user.roles))

    def mint_link(self, editor: Editor) -> str:
        """A one-time sign-in link for ``editor``; ``PermissionError`` if they edit no digest
        or name a role rather than a person (whoever held the link would get the role's rights)."""
        if names_a_group(editor.user):
            raise PermissionError(
                f"{editor.user} names a role, not a person: a sign-in link is personal. Give the "
                "editor's own user id, or let them ask in chat with /linkletter desk."
            )
        if not editable(self.config, editor):
            raise PermissionError(f"{editor.user} is not an editor of any digest. {NOT_AN_EDITOR}")
        token = secrets.token_urlsafe(32)
        expires = self.now() + LINK_LIFETIME
        roles = " ".join(editor.roles)
        self.db.write_now(lambda uow: uow.desk.add_login(_hash(token), editor.user, roles, expires))
        return f"{desk_url(self.config)}signin?token={token}"

    def redeem(self, token: str) -> DeskSession | str:
        """The session a link opens, or why it opens none."""
        outcome, login = self.db.write_now(
            lambda uow: uow.desk.redeem_login(_hash(token), self.now())
        )
        if outcome != Redeemed.ok or login is None:
            return REFUSED[outcome]
        editor = Editor(login.editor, tuple(login.roles.split()))
        if not editable(self.config, editor):
            return NOT_AN_EDITOR
        return DeskSession(editor, secrets.token_urlsafe(16), self.now() + SESSION_LIFETIME)

    # --- sessions ---------------------------------------------------------------------------
    def cookie(self, desk: DeskSession) -> str:
        payload = {
            "u": desk.editor.user,
            "r": list(desk.editor.roles),
            "s": desk.sid,
            "e": int(desk.expires.timestamp()),
        }
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return f"{_b64(data)}.{self._sign(data)}"

    def session(self, cookie: str | None) -> DeskSession | None:
        """The session a cookie proves, or None (absent, forged, damaged or expired)."""
        if not cookie or cookie.count(".") != 1:
            return None
        encoded, signature = cookie.split(".")
        try:
            data = _unb64(encoded)
            if not hmac.compare_digest(signature, self._sign(data)):
                return None
            payload = json.loads(data)
            editor = Editor(str(payload["u"]), tuple(str(role) for role in payload["r"]))
            expires = datetime.fromtimestamp(int(payload["e"]), UTC)
            sid = str(payload["s"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires <= self.now():
            return None
        return DeskSession(editor, sid, expires)

    def csrf(self, desk: DeskSession) -> str:
        return self._sign(f"csrf:{desk.sid}".encode())

    def csrf_ok(self, desk: DeskSession, presented: str) -> bool:
        return hmac.compare_digest(presented.encode("utf-8"), self.csrf(desk).encode("utf-8"))
