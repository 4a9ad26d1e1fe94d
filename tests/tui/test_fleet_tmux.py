"""In a real terminal: among 50 sandboxes, the one whose xfce4 is down is on the first screen,
at the top, with no key pressed."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_control_plane import API_KEY, FakeCloud
from tests.support.loopback import serve
from tests.tui.test_e2e_tmux import Terminal

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def cloud_and_url() -> Iterator[tuple[FakeCloud, str]]:
    cloud = FakeCloud(50, desktops=50, heartbeat=1.0)
    with serve(cloud) as url:
        yield cloud, url


def test_the_desktop_with_xfce4_down_is_on_top_of_the_first_screen(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    broken = cloud.desktop_ids()[31]
    cloud.set_process(broken, "xfce4", False)
    term = Terminal("fleet", tmp_path / "tmux.sock")
    command = f"{sys.executable} -m tests.support.fleet_command {url}"
    term.start(command, tmp_path, (140, 30), LEAP0_API_KEY=API_KEY, LEAP0_BASE_URL=url)
    try:
        screen = term.wait_for(rf"50 sandboxes · 1 degraded.*{broken}\s+running\s+degraded", 30)
        rows = [r for r in screen.splitlines() if re.search(r"sbx-\d{5}", r)]
        assert broken in rows[0], screen
        assert re.search(r"● ○ ● ●.*xfce4 down", rows[0]), screen
        assert len(rows) > 20  # a screenful of the others under it
        # "/" and the filter typed in one burst, as a fast typist does: nothing is lost.
        term.tmux("send-keys", "-t", term.name, "-l", "/00049")
        screen = term.wait_for(r"49 hidden", 10)
        rows = [r for r in screen.splitlines() if re.search(r"sbx-\d{5}", r)]
        assert len(rows) == 1 and "sbx-00049" in rows[0], screen
        term.keys("Escape")
        term.wait_for(r"50 sandboxes · 1 degraded · sorted by health", 10)
        term.keys("q")
        term.wait_for(r"^\s*$", 10)
    finally:
        term.stop()
