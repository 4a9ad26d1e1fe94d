"""The fleet screen against the fake control plane and its fake desktops, over real HTTP."""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from core.config import load_settings
from core.desktop import DesktopTarget
from core.sandboxes import SandboxSummary
from tests.support.fake_control_plane import API_KEY, DESKTOP_TOKEN, FakeCloud
from tests.support.loopback import serve
from tests.tui.conftest import wait_for
from tui.alerts import notification_sequences
from tui.app import Leap0App
from tui.screens.choice import ChoiceScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.desktop import DesktopScreen
from tui.screens.fleet import FleetScreen
from tui.screens.help import HelpScreen
from tui.screens.lines import LinesScreen
from tui.widgets.fleet_table import FleetTable


@pytest.fixture
def cloud_and_url() -> Iterator[tuple[FakeCloud, str]]:
    cloud = FakeCloud(50, desktops=50, heartbeat=0.5)
    with serve(cloud) as url:
        yield cloud, url


def fleet_app(url: str, tmp_path: Path, *, key: str = API_KEY, **config: str) -> Leap0App:
    config_path = tmp_path / "config.toml"
    config_path.write_text("".join(f'{k} = "{v}"\n' for k, v in config.items()))
    settings = load_settings(
        api_key=key, base_url=url, config_path=config_path, download_dir=tmp_path, env={}
    )
    assert settings.mode == "fleet"

    def where(sandbox: SandboxSummary) -> DesktopTarget:
        return DesktopTarget(f"{url}/desktops/{sandbox.id}", DESKTOP_TOKEN, name=sandbox.id)

    return Leap0App(settings, sandbox_ref=where)


def fleet_of(app: Leap0App) -> tuple[FleetScreen, FleetTable]:
    screen = app.screen
    assert isinstance(screen, FleetScreen)
    return screen, screen.query_one(FleetTable)


def cell(table: FleetTable, key: str, column: str) -> str:
    return str(table.cell(key, column))


async def all_running(pilot: Pilot[object], table: FleetTable, count: int = 50) -> None:
    await wait_for(
        pilot,
        lambda: (
            table.row_count == count
            and all(cell(table, k, "health") == "running" for k in table.order)
        ),
        what=f"{count} running desktops",
    )


async def test_the_broken_desktop_is_on_top_with_no_key_pressed(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    broken = cloud.desktop_ids()[17]
    cloud.set_process(broken, "xfce4", False)
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, table = fleet_of(app)
        await wait_for(pilot, lambda: table.row_count == 50, what="50 rows")
        await wait_for(
            pilot,
            lambda: table.order[0] == broken and cell(table, broken, "health") == "degraded",
            what="the degraded desktop on top",
        )
        assert cell(table, broken, "processes") == "● ○ ● ●"
        assert cell(table, broken, "reason") == "xfce4 down"
        # The rest: newest first, once they have all answered.
        await wait_for(
            pilot,
            lambda: all(cell(table, k, "health") == "running" for k in table.order[1:]),
            what="the others running",
        )
        assert table.order[1:] == [i for i in cloud.desktop_ids() if i != broken]
        counts = str(screen.query_one("#fleet-counts").render())
        assert counts.startswith("50 sandboxes · 1 degraded")
        listing = str(screen.query_one("#fleet-listing").render())
        assert "listed just now" in listing


async def test_a_filter_typed_in_one_burst_loses_nothing(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    """A slash and the filter arrive together, as from a fast typist on a loaded machine:
    the keys behind the slash reach the table before the filter has the focus, and the
    filter does not select them when it gets it (the next key would replace them)."""
    _, url = cloud_and_url
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, table = fleet_of(app)
        await all_running(pilot, table)
        field = screen.query_one("#fleet-filter", Input)
        for key in ("slash", *"0004"):
            app.post_message(events.Key(key, "/" if key == "slash" else key))
        await wait_for(pilot, lambda: field.has_focus and field.value == "0004", what="focus")
        await pilot.press("9")
        assert field.value == "00049"
        assert table.order == ["sbx-00049"]


async def test_filter_trouble_and_sort(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, table = fleet_of(app)
        await all_running(pilot, table)
        # The filter, as typed: the id, then a template.
        await pilot.press("slash", *"00049")
        assert table.order == ["sbx-00049"]
        assert "49 hidden" in str(screen.query_one("#fleet-counts").render())
        await pilot.press(*"x")
        assert table.order == []
        await pilot.press("escape")
        assert len(table.order) == 50
        await pilot.press("slash", *"tpl-3", "enter")
        assert table.order == [
            i for i in ids if cloud.sandboxes[ids.index(i)]["template_id"] == "tpl-3"
        ]
        assert table.has_focus
        await pilot.press("slash", "escape")
        # Trouble only: nothing, until a process stops.
        await pilot.press("exclamation_mark")
        assert table.order == []
        cloud.set_process(ids[30], "x11vnc", False)
        await wait_for(pilot, lambda: table.order == [ids[30]], what="the one in trouble")
        await pilot.press("exclamation_mark")
        assert table.order[0] == ids[30]
        # The sorts: newest, id, state, and back to health.
        await pilot.press("s")
        assert table.order == ids
        await pilot.press("s")
        assert table.order == sorted(ids)
        await pilot.press("s", "s")
        assert table.order[0] == ids[30]
        assert "sorted by health" in str(screen.query_one("#fleet-counts").render())


def frozen() -> bool:
    """The fleet froze what the process holds (tens of thousands of objects and more)."""
    return gc.get_freeze_count() > FROZEN_BY_PYTHON


def thawed() -> bool:
    return gc.get_freeze_count() <= FROZEN_BY_PYTHON


def counting_thaws(screen: FleetScreen) -> list[bool]:
    """A list that gets an item each time the fleet's heap is thawed from now on."""
    thaws: list[bool] = []
    thaw = screen._heap.thaw
    screen._heap.thaw = lambda: (thaws.append(True), thaw())[1]  # type: ignore[method-assign]
    return thaws


FROZEN_BY_PYTHON = 1000
"""Some Pythons keep a few objects frozen of their own: pyenv's 3.12.1 starts with 375, and
puts them back when some modules are imported (``textual_image.widget.sixel``), thawed or
not."""


async def test_the_cursor_stays_on_its_desktop_and_escape_comes_back(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, table = fleet_of(app)
        await all_running(pilot, table)
        await pilot.press("down", "down", "down")
        assert table.cursor_desktop == ids[3]
        cloud.set_process(ids[40], "novnc", False)  # moves to the top: rows shift down
        await wait_for(pilot, lambda: table.order[0] == ids[40], what="the move")
        assert table.cursor_desktop == ids[3]
        await pilot.press("end")
        assert table.cursor_desktop == table.order[-1]
        await pilot.press("home")
        assert table.cursor_desktop == ids[40]
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DesktopScreen), what="desktop")
        desktop = app.screen
        assert isinstance(desktop, DesktopScreen)
        assert isinstance(desktop.target, DesktopTarget) and desktop.target.name == ids[0]
        # Behind the desktop the fleet's objects are out of the garbage collector's walks
        # (from the fleet's ScreenSuspend, which may come a moment after the new screen).
        await wait_for(pilot, frozen, what="the fleet frozen")
        thaws = counting_thaws(screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the fleet again")
        assert table.cursor_desktop == ids[0]
        # Thawed on its return (the next full collection freezes it again).
        await wait_for(pilot, lambda: bool(thaws), what="the fleet thawed")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DesktopScreen), what="desktop")
        await wait_for(pilot, frozen, what="frozen again")
    assert thawed()  # the app ended with the desktop open: nothing of it stays frozen


async def test_a_due_thaw_waits_until_the_terminal_loses_the_focus(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    _, url = cloud_and_url
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, table = fleet_of(app)
        await all_running(pilot, table)
        thaws = counting_thaws(screen)
        screen._heap.freeze()
        screen._heap.thaw_every = 0.0  # due at once: a full walk the user would see
        await pilot.pause(1.5)  # a tick or two with the terminal focused
        assert not thaws and frozen()
        app.app_focus = False  # the terminal reports it lost the focus
        await wait_for(pilot, lambda: bool(thaws), timeout=5, what="the thaw, out of sight")


async def test_bulk_restart_on_marked_rows_says_each_result(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    cloud.set_desktop(ids[2], token="another")  # this one refuses the token
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, table = fleet_of(app)
        await wait_for(
            pilot,
            lambda: table.row_count == 50 and table.order[0] == ids[2],
            what="the refusing one on top",
        )
        assert cell(table, ids[2], "health") == "unreachable"
        assert cell(table, ids[2], "reason") == "401 wrong token"
        await pilot.press("home", "space", "space", "space")  # ids[2], ids[0], ids[1]
        assert screen.marks == {ids[0], ids[1], ids[2]}
        assert cell(table, ids[0], "mark") == "✓"
        assert "3 marked" in str(screen.query_one("#fleet-counts").render())
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the choice")
        await pilot.press("down", "enter")  # xfce4
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert app.screen.question_title == "Restart xfce4 on 3 desktops?"
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LinesScreen), what="results")
        results = app.screen
        assert isinstance(results, LinesScreen)
        assert results.lines_title == "Restart xfce4: 2 of 3 done"
        assert sorted(results.lines) == sorted(
            [
                f"{ids[2]}: failed: 401 wrong token",
                f"{ids[0]}: restarted (pid 1100)",
                f"{ids[1]}: restarted (pid 1100)",
            ]
        )
        assert sorted(cloud.restarts) == sorted([(ids[0], "xfce4"), (ids[1], "xfce4")])
        await pilot.press("escape")
        # The fleet saw the restarts.
        await wait_for(
            pilot, lambda: cell(table, ids[0], "restarts") == "1", what="a restart counted"
        )
        # Recording on the same rows: started where the token is right.
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the choice")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        assert app.screen.question_title == "Start recording on 3 desktops?"
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LinesScreen), what="results")
        assert app.screen.lines_title == "Start recording: 2 of 3 done"
        assert cloud.desktops[ids[0]].recording and cloud.desktops[ids[1]].recording
        await pilot.press("escape")
        assert cell(table, ids[0], "recording") == "●"


async def test_a_process_stopping_is_an_alert_and_a_desktop_notification(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    ids = cloud.desktop_ids()
    app = fleet_app(url, tmp_path, alerts="notify")
    written: list[str] = []
    async with app.run_test(size=(160, 40)) as pilot:
        driver = app._driver
        assert driver is not None
        original = driver.write
        driver.write = lambda data: (written.append(data), original(data))[1]  # type: ignore[method-assign]
        screen, table = fleet_of(app)
        await all_running(pilot, table)
        cloud.set_process(ids[5], "xfce4", False)
        await wait_for(pilot, lambda: screen.alerts, what="an alert")
        assert [a.line for a in screen.alerts] == [f"{ids[5]}: xfce4 stopped"]
        # App.notify posts a message: the toast is added on the app's next turn.
        await wait_for(
            pilot,
            lambda: any(n.message == f"{ids[5]}: xfce4 stopped" for n in app._notifications),
            what="the toast",
        )
        assert notification_sequences("leap0", f"{ids[5]}: xfce4 stopped") in written
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, LinesScreen), what="alerts")
        lines = app.screen
        assert isinstance(lines, LinesScreen) and lines.lines_title == "Recent alerts"
        assert lines.lines[0].endswith(f"{ids[5]}: xfce4 stopped")


def test_notifications_cannot_break_out_of_their_sequence() -> None:
    said = notification_sequences("leap0", "sbx; rm\x1b]0;x\x07")
    assert said == "\x1b]777;notify;leap0;sbx  rm ]0 x \x1b\\\x1b]9;leap0: sbx  rm ]0 x \x1b\\"


async def test_a_refused_key_is_one_line_and_no_retry_storm(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    app = fleet_app(url, tmp_path, key="wrong")
    async with app.run_test(size=(160, 40)) as pilot:
        screen, _ = fleet_of(app)
        listing = screen.query_one("#fleet-listing")
        await wait_for(pilot, lambda: "refused" in str(listing.render()), what="refused")
        assert "the control plane refused the API key" in str(listing.render())
        await pilot.pause(1.0)
        assert cloud.listing_requests == 1


async def test_a_control_plane_down_keeps_the_rows_marked_stale(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    cloud, url = cloud_and_url
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen, table = fleet_of(app)
        await all_running(pilot, table)
        cloud.fail_status = 503
        await pilot.press("ctrl+r")
        listing = screen.query_one("#fleet-listing")
        await wait_for(pilot, lambda: "(stale)" in str(listing.render()), what="stale")
        assert "503" in str(listing.render())
        assert listing.has_class("-failing")
        assert table.row_count == 50


async def test_help_lists_every_key_of_the_fleet(
    cloud_and_url: tuple[FakeCloud, str], tmp_path: Path
) -> None:
    _, url = cloud_and_url
    app = fleet_app(url, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        console = Console(width=160, record=True, file=io.StringIO())
        console.print(help_screen._table())
        shown = console.export_text()
        for words in ("Filter", "Trouble", "Sort", "Mark", "Restart", "Record", "Alerts",
                      "First", "Last", "Page up", "Page down", "Open", "Thumbnails",
                      "Faster", "Slower"):  # fmt: skip
            assert words in shown, words
