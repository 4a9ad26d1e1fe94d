"""How the main screens look (pytest-textual-snapshot), with everything that moves held still.

The desktop is the fake one (fixed pids, logs, windows, recordings and screenshot), named
"desktop" rather than by its URL (its port changes every run); the clock the widgets read
(:mod:`tui.clock`) is frozen; the preview draws with half cells. Update the pictures with
``./dev test tests/tui/test_snapshots.py --snapshot-update`` and look at them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual_image.widget import HalfcellImage

from core.config import Settings
from core.desktop import DesktopTarget
from core.fleet_targets import SandboxRefFor
from core.sandboxes import SandboxSummary
from tests.support.fake_control_plane import API_KEY, DESKTOP_TOKEN, FakeCloud
from tests.support.loopback import serve
from tests.tui.conftest import settings_for, wait_for
from tests.tui.fake_desktop import StatefulDesktop
from tui import clock
from tui.app import Leap0App
from tui.local import LocalHost
from tui.widgets.display_info import DisplayInfo
from tui.widgets.fleet_grid import FleetGrid
from tui.widgets.fleet_table import FleetTable
from tui.widgets.log_lines import LogLines
from tui.widgets.process_table import ProcessTable
from tui.widgets.recordings import RecordingsBrowser
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.window_list import WindowList

FROZEN_WALL = 1_795_862_400.0  # 2026-11-28 10:40 UTC
FROZEN_MONOTONIC = 10_000.0


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "wall", lambda: FROZEN_WALL)
    monkeypatch.setattr(clock, "monotonic", lambda: FROZEN_MONOTONIC)
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture(autouse=True)
def colours(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal of true colour, whatever runs the tests (the theme follows it); the
    16-colour and NO_COLOR tests say otherwise."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)


class DesktopApp(Leap0App):
    """The app opening the fake desktop under the name "desktop"."""

    def __init__(self, desktop: StatefulDesktop, tmp_path: Path, token: str | None = None) -> None:
        super().__init__(
            settings_for(desktop.url, token or desktop.token, tmp_path),
            image_renderer=HalfcellImage,
        )
        self.fake = desktop

    def _open_first_screen(self) -> None:
        target = DesktopTarget(
            self.settings.desktop_url or "", self.settings.desktop_token, name="desktop"
        )
        self.push_screen(self._desktop_screen(target, "desktop"))


async def settled(pilot: Pilot[Any]) -> None:
    """Wait until every pane on screen has what the fake desktop gives it."""
    screen = pilot.app.screen

    def shown(widget: Any) -> bool:
        return bool(widget.region.height)

    table = screen.query_one(ProcessTable)
    await wait_for(pilot, lambda: table.row_count == 4 and table.feed_state == "live")
    if shown(screen.query_one("#pane-processes")):
        await wait_for(pilot, lambda: screen.query_one(DisplayInfo).pointer is not None)
        await wait_for(pilot, lambda: screen.query_one(WindowList).row_count == 3)
    if shown(screen.query_one("#pane-logs")):
        await wait_for(
            pilot,
            lambda: screen.query(LogLines) and all(x.line_count for x in screen.query(LogLines)),
            what="logs",
        )
    if shown(screen.query_one("#pane-preview")):
        await wait_for(pilot, lambda: screen.query_one(ScreenPreview).frame is not None)
    if shown(screen.query_one("#pane-recordings")):
        await wait_for(pilot, lambda: bool(screen.query_one(RecordingsBrowser).recordings))
    await pilot.pause(0.3)


def test_desktop_wide(snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path) -> None:
    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=settled)


@pytest.mark.parametrize("size", [(160, 48), (240, 70)], ids=["160x48", "240x70"])
def test_desktop_large(
    size: tuple[int, int], snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    """The preview grows with the terminal, keeping the desktop's aspect."""
    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=settled)


def test_desktop_zoomed(snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path) -> None:
    async def zoom(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("z")
        await pilot.pause(0.5)  # the frame is shrunk again for the new size

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=zoom)


def test_desktop_in_16_colours(
    snap_compare: Any,
    fake_desktop: StatefulDesktop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TERM=xterm, nothing saying more: the ANSI theme, the terminal's own colours."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM")
    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=settled)


def test_restart_confirmation_in_16_colours(
    snap_compare: Any,
    fake_desktop: StatefulDesktop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The dialog over the screen, which stays as it is (it cannot be dimmed)."""
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM")

    async def ask(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down", "r")
        await pilot.pause(0.3)

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=ask)


def test_desktop_without_colour(
    snap_compare: Any,
    fake_desktop: StatefulDesktop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NO_COLOR: every colour drawn in grey."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=settled)


def test_desktop_compact_recordings_footer(
    snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    """At 80 columns the recordings' keys need the palette hint's room: it steps aside."""

    async def recordings(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("4")
        await pilot.pause(0.3)

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=recordings)


def test_desktop_compact_processes(
    snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled)


def test_desktop_compact_logs(
    snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    async def logs(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("3")
        await pilot.pause(0.1)
        await settled(pilot)

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=logs)


def test_desktop_with_a_stopped_process(
    snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    async def stopped(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        fake_desktop.kill("x11vnc")
        table = pilot.app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.overall == "degraded")
        await wait_for(pilot, lambda: pilot.app._notifications, what="the toast")
        await pilot.pause(0.3)

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=stopped)


def test_restart_confirmation(
    snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    async def ask(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("down", "r")
        await pilot.pause(0.3)

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=ask)


def test_help(snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path) -> None:
    async def ask(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=ask)


def test_help_scrolls_to_the_last_key(
    snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    async def ask(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        await pilot.press("end")
        await pilot.pause(0.3)

    app = DesktopApp(fake_desktop, tmp_path)
    assert snap_compare(app, terminal_size=(140, 42), run_before=ask)


def test_desktop_refusing_the_token(
    snap_compare: Any, fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    async def refused(pilot: Pilot[Any]) -> None:
        table = pilot.app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.error is not None and "401" in table.error)
        await pilot.pause(1.0)
        pilot.app.clear_notifications()
        await pilot.pause(0.3)

    app = DesktopApp(fake_desktop, tmp_path, token="wrong")
    assert snap_compare(app, terminal_size=(120, 36), run_before=refused)


@contextmanager
def twelve_sandboxes(tmp_path: Path, **images: Any) -> Iterator[tuple[Settings, SandboxRefFor]]:
    """Twelve sandboxes: two without a desktop, one refusing the token, one with xfce4 down,
    one paused, the rest running; the settings and refs of a fleet over them."""
    cloud = FakeCloud(12, desktops=10, heartbeat=0.5, **images)
    ids = cloud.desktop_ids()
    cloud.set_process(ids[4], "xfce4", False)
    cloud.set_desktop(ids[6], token="another")
    cloud.set_state(ids[8], "paused")
    with serve(cloud) as url:
        settings = settings_for("http://unused", None, tmp_path).model_copy(
            update={"desktop_url": None, "desktop_token": None, "api_key": API_KEY, "base_url": url}
        )

        def where(sandbox: SandboxSummary) -> DesktopTarget:
            return DesktopTarget(f"{url}/desktops/{sandbox.id}", DESKTOP_TOKEN, name=sandbox.id)

        yield settings, where


async def every_health_known(pilot: Pilot[Any]) -> None:
    table = pilot.app.screen.query_one(FleetTable)
    await wait_for(
        pilot,
        lambda: (
            table.row_count == 12
            and [str(table.cell(k, "health")) for k in table.order].count("running") == 7
        ),
        what="every desktop's health",
    )


def test_fleet(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The twelve sandboxes. The fleet's statuses arrive on the real monotonic clock (it
    schedules by it), which every age on this screen shows as "now" / "just now"."""
    monkeypatch.setattr(clock, "monotonic", time.monotonic)
    with twelve_sandboxes(tmp_path) as (settings, where):

        async def settled(pilot: Pilot[Any]) -> None:
            await every_health_known(pilot)
            await pilot.pause(0.5)

        app = Leap0App(settings, sandbox_ref=where)
        assert snap_compare(app, terminal_size=(150, 22), run_before=settled)


def test_local_desktop_failed(snap_compare: Any, tmp_path: Path) -> None:
    script = tmp_path / "host.py"
    script.write_text("import sys\nprint('Xvfb: not found', file=sys.stderr)\nsys.exit(1)\n")
    host = LocalHost(log_path=Path("/tmp/leap0-host.log"), command=["python3", str(script)])
    settings = settings_for("http://unused", None, tmp_path).model_copy(
        update={"desktop_url": None, "desktop_token": None}
    )

    async def failed(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: pilot.app.screen.has_class("-failed"))
        await wait_for(pilot, lambda: pilot.app._notifications, what="the toast")
        await pilot.pause(0.3)

    app = Leap0App(settings, local_host=host)
    assert snap_compare(app, terminal_size=(80, 24), run_before=failed)


def test_fleet_grid(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same twelve sandboxes as thumbnails (``t``), drawn with half cells: seven
    pictures, the degraded one first, the unreachable, paused and missing ones saying why."""
    monkeypatch.setattr(clock, "monotonic", time.monotonic)
    with twelve_sandboxes(tmp_path, screen=(480, 300)) as (settings, where):

        async def settled(pilot: Pilot[Any]) -> None:
            await every_health_known(pilot)
            await pilot.press("t")
            grid = pilot.app.screen.query_one(FleetGrid)
            await wait_for(
                pilot,
                lambda: sum(t.picture is not None for t in grid.tiles) == 8,
                what="eight pictures",
            )
            await pilot.pause(0.5)

        app = Leap0App(settings, sandbox_ref=where, image_renderer=HalfcellImage)
        assert snap_compare(app, terminal_size=(128, 52), run_before=settled)
