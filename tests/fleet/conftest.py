"""Fixtures of the fleet tests: a fake account (control plane + fake desktops) on loopback.

``cloud`` is a fresh :class:`tests.support.fake_control_plane.FakeCloud` per test (500
sandboxes, the newest 40 with a desktop, heartbeat 0.2 s) served by uvicorn over real HTTP;
``cloud_url`` is its base URL; ``client`` a desktop client with the account's key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from core.desktop import AsyncDesktopClient
from core.fleet_targets import FleetTarget, FleetTargets
from core.references import DesktopTarget
from core.sandboxes import SandboxSummary
from core.transport import AsyncTransport, RetryPolicy
from tests.support.fake_control_plane import API_KEY, DESKTOP_TOKEN, FakeCloud
from tests.support.loopback import serve

FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.1)


@pytest.fixture
def cloud_and_url() -> Iterator[tuple[FakeCloud, str]]:
    app = FakeCloud(500, desktops=40, heartbeat=0.2)
    with serve(app) as url:
        yield app, url


@pytest.fixture
def cloud(cloud_and_url: tuple[FakeCloud, str]) -> FakeCloud:
    return cloud_and_url[0]


@pytest.fixture
def cloud_url(cloud_and_url: tuple[FakeCloud, str]) -> str:
    return cloud_and_url[1]


@pytest.fixture
async def client(cloud_url: str) -> AsyncIterator[AsyncDesktopClient]:
    transport = AsyncTransport(api_key=API_KEY, base_url=cloud_url, timeout=5.0, retry=FAST_RETRY)
    async with AsyncDesktopClient(transport) as desktop:
        yield desktop


def desktop_ref(cloud_url: str, sandbox_id: str, token: str = DESKTOP_TOKEN) -> DesktopTarget:
    """Where a fake sandbox's desktop answers (by path, since its host name would need DNS)."""
    return DesktopTarget(f"{cloud_url}/desktops/{sandbox_id}", token=token, name=sandbox_id)


def desktop_targets(cloud: FakeCloud, cloud_url: str) -> list[FleetTarget]:
    """A running sandbox target per fake desktop, as FleetTargets makes them."""
    targets = FleetTargets(lambda s: desktop_ref(cloud_url, s.id))
    rows = [SandboxSummary.model_validate(r) for r in cloud.sandboxes if r["id"] in cloud.desktops]
    targets.set_sandboxes(rows)
    return list(targets.targets().values())
