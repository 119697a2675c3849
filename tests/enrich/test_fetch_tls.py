"""TLS to a pinned IP: the certificate is still checked against the host NAME (sni_hostname)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.enrich.fetch import FetchSettings, SafeFetcher
from bot.enrich.model import FetchFailed
from tests.enrich.servers import FAKE_PUBLIC_IP, ServerLog, SpyResolver, SpyTransport, build_app

CERT_NAME = "secure.example"
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)  # noqa: S603, S607


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throw-away CA and a server certificate for secure.example, made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    folder = tmp_path_factory.mktemp("pki")
    (folder / "san.ext").write_text(f"subjectAltName=DNS:{CERT_NAME}\n")
    _openssl("req", "-x509", *EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Linkletter test CA", cwd=folder)  # fmt: skip
    _openssl("req", *EC_KEY, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj",
             f"/CN={CERT_NAME}", cwd=folder)  # fmt: skip
    _openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "san.ext",
             cwd=folder)  # fmt: skip
    return Pki(folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key")


@pytest.fixture
async def tls_port(pki: Pki) -> AsyncIterator[int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.cert, pki.key)
    runner = web.AppRunner(build_app(ServerLog()), handle_signals=False, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    yield runner.addresses[0][1]
    await runner.cleanup()


class TrustingSpyTransport(SpyTransport):
    """SpyTransport whose real transport trusts the test CA."""

    def __init__(self, routes: dict[str, int], ca: Path) -> None:
        super().__init__(routes)
        self._inner = httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=ca))


@pytest.mark.parametrize(("name", "accepted"), [(CERT_NAME, True), ("other.example", False)])
async def test_certificate_is_verified_against_the_name_not_the_pinned_ip(
    pki: Pki, tls_port: int, name: str, accepted: bool
) -> None:
    resolver = SpyResolver({name: [[FAKE_PUBLIC_IP]]})
    transport = TrustingSpyTransport({FAKE_PUBLIC_IP: tls_port}, pki.ca)
    fetcher = SafeFetcher(FetchSettings(timeout=5), resolver, transport)
    try:
        if accepted:
            page = await fetcher.fetch(f"https://{name}/pages/001")
            assert page.final_url == f"https://{name}/pages/001"
        else:
            with pytest.raises(FetchFailed, match="certificate"):
                await fetcher.fetch(f"https://{name}/pages/001")
    finally:
        await fetcher.aclose()
        await transport.aclose()
    [request] = transport.requests
    assert request.extensions["sni_hostname"] == name
    assert transport.aimed_at == [FAKE_PUBLIC_IP]
