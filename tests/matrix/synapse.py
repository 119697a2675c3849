"""A real Synapse homeserver for the tests: SQLite in a temporary folder, 127.0.0.1 only.

No federation listener, no key servers, no URL previews, no stats: nothing leaves the machine.
Users are registered through the admin API with the shared secret. Message rate limits are low
(``RATE_PER_SECOND``/``RATE_BURST``) so a 429 storm is easy to cause; every user registered with
``unlimited=True`` gets a per-user override and is never limited.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

SERVER_NAME = "linkletter.test"
SHARED_SECRET = "linkletter-test-shared-secret"
RATE_PER_SECOND = 0.5
RATE_BURST = 4
START_TIMEOUT = 90.0  # seconds; Synapse takes a few on an idle machine, more under load


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def homeserver_yaml(folder: Path, port: int) -> str:
    return f"""
server_name: "{SERVER_NAME}"
pid_file: "{folder}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{folder}/homeserver.db"
log_config: "{folder}/log.yaml"
media_store_path: "{folder}/media"
signing_key_path: "{folder}/signing.key"
registration_shared_secret: "{SHARED_SECRET}"
macaroon_secret_key: "linkletter-test-macaroon"
form_secret: "linkletter-test-form"
report_stats: false
enable_metrics: false
trusted_key_servers: []
suppress_key_server_warning: true
federation_domain_whitelist: []
url_preview_enabled: false
enable_media_repo: false
presence:
  enabled: false
caches:
  # Synapse answers a repeated identical /sync from a 2-minute cache: each test's bot starts
  # without a checkpoint, and must not get the previous test's initial sync (and its token).
  sync_response_cache_duration: 0
rc_message:
  per_second: {RATE_PER_SECOND}
  burst_count: {RATE_BURST}
rc_login:
  address: {{per_second: 100, burst_count: 100}}
  account: {{per_second: 100, burst_count: 100}}
  failed_attempts: {{per_second: 100, burst_count: 100}}
rc_joins:
  local: {{per_second: 100, burst_count: 100}}
rc_invites:
  per_room: {{per_second: 100, burst_count: 100}}
  per_user: {{per_second: 100, burst_count: 100}}
rc_room_creation: {{per_second: 100, burst_count: 100}}
rc_admin_redaction: {{per_second: 100, burst_count: 100}}
"""


LOG_YAML = """
version: 1
formatters:
  plain: {format: "%(asctime)s %(levelname)s %(name)s %(message)s"}
handlers:
  file: {class: logging.FileHandler, formatter: plain, filename: "FOLDER/homeserver.log"}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


@dataclass
class User:
    """A registered account and the client-server API calls the tests make as it."""

    server: Synapse
    user_id: str
    token: str
    _txn: int = field(default=0)

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.server.http.request(
            method,
            f"/_matrix/client/v3{path}",
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def send(self, room: str, kind: str, content: dict[str, Any]) -> str:
        self._txn += 1
        path = f"/rooms/{quote(room)}/send/{kind}/t{time.time_ns()}-{self._txn}"
        return str(self.call("PUT", path, content)["event_id"])

    def say(self, room: str, body: str, **extra: Any) -> str:
        return self.send(room, "m.room.message", {"msgtype": "m.text", "body": body} | extra)

    def say_html(self, room: str, body: str, html: str) -> str:
        return self.say(room, body, format="org.matrix.custom.html", formatted_body=html)

    def reply(self, room: str, to: str, body: str) -> str:
        return self.say(room, body, **{"m.relates_to": {"m.in_reply_to": {"event_id": to}}})

    def in_thread(self, room: str, root: str, body: str) -> str:
        relation = {
            "rel_type": "m.thread",
            "event_id": root,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": root},
        }
        return self.say(room, body, **{"m.relates_to": relation})

    def edit(self, room: str, target: str, body: str) -> str:
        new = {"msgtype": "m.text", "body": body}
        return self.say(
            room,
            f"* {body}",
            **{"m.new_content": new, "m.relates_to": {"rel_type": "m.replace", "event_id": target}},
        )

    def react(self, room: str, target: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": target, "key": key}
        return self.send(room, "m.reaction", {"m.relates_to": relation})

    def redact(self, room: str, target: str) -> str:
        self._txn += 1
        path = f"/rooms/{quote(room)}/redact/{quote(target)}/r{time.time_ns()}-{self._txn}"
        return str(self.call("PUT", path, {})["event_id"])

    def create_room(
        self, *, invite: tuple[str, ...] = (), encrypted: bool = False, public: bool = True
    ) -> str:
        preset = "public_chat" if public else "private_chat"
        body: dict[str, Any] = {"preset": preset, "invite": list(invite)}
        if encrypted:
            body["initial_state"] = [
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ]
        return str(self.call("POST", "/createRoom", body)["room_id"])

    def join(self, room: str) -> None:
        self.call("POST", f"/join/{quote(room)}", {})

    def invite(self, room: str, user: str) -> None:
        self.call("POST", f"/rooms/{quote(room)}/invite", {"user_id": user})

    def kick(self, room: str, user: str) -> None:
        self.call("POST", f"/rooms/{quote(room)}/kick", {"user_id": user})

    def set_power(self, room: str, user: str, level: int) -> None:
        path = f"/rooms/{quote(room)}/state/m.room.power_levels/"
        levels = self.call("GET", path)
        levels.setdefault("users", {})[user] = level
        self.call("PUT", path, levels)

    def set_name(self, name: str) -> None:
        self.call("PUT", f"/profile/{quote(self.user_id)}/displayname", {"displayname": name})

    def messages(self, room: str, limit: int = 100) -> list[dict[str, Any]]:
        """The room's recent timeline, oldest first."""
        page = self.call("GET", f"/rooms/{quote(room)}/messages", dir="b", limit=limit)
        return list(reversed(page["chunk"]))


@dataclass
class Synapse:
    """A running homeserver; ``url`` is its client-server API base."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    start_seconds: float
    http: httpx.Client
    admin: User | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def register(self, name: str, *, unlimited: bool = True, admin: bool = False) -> User:
        """A new account (shared-secret registration) and, unless told, no rate limit for it."""
        password = f"{name}-password"
        nonce = self.http.get("/_synapse/admin/v1/register").json()["nonce"]
        mac = hmac.new(SHARED_SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(f"{nonce}\0{name}\0{password}\0{'admin' if admin else 'notadmin'}".encode())
        response = self.http.post(
            "/_synapse/admin/v1/register",
            json={
                "nonce": nonce,
                "username": name,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        response.raise_for_status()
        user = User(self, response.json()["user_id"], response.json()["access_token"])
        if unlimited:
            self.set_unlimited(user.user_id, True)
        return user

    def set_unlimited(self, user_id: str, unlimited: bool) -> None:
        assert self.admin is not None
        path = f"/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit"
        headers = {"Authorization": f"Bearer {self.admin.token}"}
        if unlimited:
            body = {"messages_per_second": 0, "burst_count": 0}
            self.http.post(path, json=body, headers=headers).raise_for_status()
        else:
            self.http.delete(path, headers=headers).raise_for_status()

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(folder: Path) -> Synapse:
    """Write a config and a signing key, start Synapse, wait for ``/health``."""
    from signedjson.key import generate_signing_key, write_signing_keys

    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "homeserver.yaml").write_text(homeserver_yaml(folder, port))
    (folder / "log.yaml").write_text(LOG_YAML.replace("FOLDER", str(folder)))
    with (folder / "signing.key").open("w") as key_file:
        write_signing_keys(key_file, [generate_signing_key("a")])
    began = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "synapse.app.homeserver", "-c", str(folder / "homeserver.yaml")],
        cwd=folder,
        stdout=(folder / "stdout.log").open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "SYNAPSE_ASYNC_IO_REACTOR": "0"},
    )
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    server = Synapse(folder, port, process, 0.0, http)
    while True:
        if process.poll() is not None:
            log = (folder / "stdout.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Synapse exited with {process.returncode}:\n{log}")
        try:
            if http.get("/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() - began > START_TIMEOUT:
            server.stop()
            raise RuntimeError(f"Synapse did not answer /health within {START_TIMEOUT}s")
        time.sleep(0.1)
    server.start_seconds = time.monotonic() - began
    server.admin = server.register("admin", unlimited=False, admin=True)
    server.set_unlimited(server.admin.user_id, True)
    return server
