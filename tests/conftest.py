"""Fixtures shared by the whole suite: one real local desktop host per session.

``local_host`` (session)
    A :class:`tests.host.harness.HostProcess`: ``python -m core.host --port 0`` started
    once, with its own run directory and recordings directory under pytest's temporary
    directory. Attributes: ``url``, ``token``, ``pid``, ``display`` (``":N"``),
    ``run_dir`` (logs in ``run_dir/logs``), ``recordings_dir``, ``host_id``, ``ready``
    (the whole ready line) and ``x_env()`` (an environment for X clients on its display).
    At the end of the session it is stopped with SIGTERM and the process table is checked:
    a process it left behind fails the session's teardown.

    Tests that disturb the desktop (restart, kill, resize) must leave it running, e.g.
    with ``await desktop_client.wait_until_ready(local_host.url)``.

``desktop_client`` (function)
    An :class:`core.desktop.AsyncDesktopClient` whose transport carries the host's token;
    call it with ``local_host.url``.

``start_extra_host`` (function)
    A factory for short-lived hosts of a test's own (shutdown, missing programs): each
    is stopped and checked when the test ends, unless the test stopped it itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import pytest_asyncio

from core.desktop import AsyncDesktopClient
from core.transport import AsyncTransport
from tests.host.harness import HostProcess, start_host, stop_host
from tests.support.fake_desktop import ScriptedDesktop
from tests.support.loopback import serve


@pytest.fixture(scope="session")
def local_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    """The session's local desktop host (see the module docstring)."""
    base = tmp_path_factory.mktemp("local-host")
    host = start_host(base / "run", recordings_dir=base / "recordings")
    try:
        yield host
    finally:
        if host.process.poll() is None:
            stop_host(host)


@pytest_asyncio.fixture
async def desktop_client(local_host: HostProcess) -> AsyncIterator[AsyncDesktopClient]:
    """A client with the session host's token (use ``local_host.url`` as the desktop)."""
    async with AsyncDesktopClient(AsyncTransport(api_key=local_host.token)) as client:
        yield client


StartHost = Callable[..., HostProcess]


@pytest.fixture
def start_extra_host(tmp_path: Path) -> Iterator[StartHost]:
    """Start hosts of the test's own: ``start_extra_host(args=(), env=None,
    open_files=None)`` (see :func:`tests.host.harness.start_host`)."""
    started: list[HostProcess] = []

    def start(
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        open_files: int | None = None,
    ) -> HostProcess:
        base = tmp_path / f"host{len(started)}"
        host = start_host(
            base / "run",
            recordings_dir=base / "recordings",
            args=args,
            env=env,
            open_files=open_files,
        )
        started.append(host)
        return host

    yield start
    for host in started:
        if host.process.poll() is None:
            stop_host(host)


# ── a scriptable fake desktop on loopback, for what the real host cannot do on demand ──


@pytest.fixture(scope="session")
def fake_server() -> Iterator[tuple[ScriptedDesktop, str]]:
    app = ScriptedDesktop()
    with serve(app) as url:
        yield app, url


@pytest.fixture
def fake(fake_server: tuple[ScriptedDesktop, str]) -> Iterator[ScriptedDesktop]:
    """The fake desktop, with no routes and nothing seen."""
    app, _ = fake_server
    app.reset()
    yield app
    app.reset()


@pytest.fixture
def url(fake_server: tuple[ScriptedDesktop, str]) -> str:
    """The fake desktop's base URL, a self-hosted desktop reference."""
    return fake_server[1]
