"""The transport's TLS: no context for plain http (it costs a command's start-up 25 to 40 ms),
and for https the context httpx would build, made with the first https request."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import AsyncDesktopClient, AsyncTransport, DesktopTarget, Leap0ConnectionError
from tests.client.conftest import FAST_RETRY
from tests.support.fake_desktop import TOKEN, Reply, ScriptedDesktop, process_status
from tests.support.loopback import serve


@pytest.fixture
def contexts_built(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of each verifying TLS context built from here on (httpx builds
    them with ``ssl.create_default_context``)."""
    built: list[dict[str, Any]] = []
    real = ssl.create_default_context

    def spy(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", spy)
    return built


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_desktop(certificate: tuple[Path, Path]) -> Iterator[str]:
    """A desktop answering ``/api/status`` over https with that certificate."""
    app = ScriptedDesktop()
    app.on("GET", "/api/status", Reply(json=process_status()))
    with serve(app, tls=certificate) as url:
        yield url


def client() -> AsyncDesktopClient:
    return AsyncDesktopClient(AsyncTransport(api_key=TOKEN, timeout=5.0, retry=FAST_RETRY))


async def test_plain_http_builds_no_tls_context(
    fake: ScriptedDesktop, url: str, contexts_built: list[dict[str, Any]]
) -> None:
    fake.on("GET", "/api/status", Reply(json=process_status()))
    async with client() as desktop:
        status = await desktop.process_status(url)
        assert status.running == 4
        # The streams' client too.
        async with desktop.transport.stream(
            "GET", desktop.endpoint(url), "/api/status", long_lived=True
        ) as response:
            assert response.status_code == 200
    assert contexts_built == []


async def test_https_verifies_with_the_environments_certificates_as_httpx_does(
    tls_desktop: str,
    certificate: tuple[Path, Path],
    contexts_built: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    async with client() as desktop:
        assert contexts_built == []
        status = await desktop.process_status(DesktopTarget(tls_desktop, TOKEN))
        again = await desktop.process_status(DesktopTarget(tls_desktop, TOKEN))
    assert status.running == again.running == 4
    assert contexts_built == [{"cafile": str(certificate[0])}], "one context, built once"


async def test_https_refuses_a_certificate_nobody_vouches_for(
    tls_desktop: str, contexts_built: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with client() as desktop:
        with pytest.raises(Leap0ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            await desktop.process_status(DesktopTarget(tls_desktop, TOKEN))
    import certifi

    assert contexts_built == [{"cafile": certifi.where()}]
