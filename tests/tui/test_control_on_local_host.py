"""Control mode on the real local desktop host: mouse events at known cells of the preview
land on the matching desktop pixels (read back with xdotool, and as an xterm's own mouse
reports), keys and combinations reach an xterm on the desktop, nothing is sent outside
control mode, and while it is on the app's own keys do nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from core.desktop import AsyncDesktopClient
from tests.host.harness import HostProcess
from tests.host.xclients import XTerm, pointer, poll
from tests.tui.conftest import make_app, wait_for
from tui.app import Leap0App
from tui.control import LEAVE_KEY, ImageBox
from tui.screens.desktop import DesktopScreen
from tui.widgets import screen_preview
from tui.widgets.screen_preview import ScreenPreview

# Live frames and pointer reads within seconds:
# run alone, after the rest of the suite (./dev test).
pytestmark = pytest.mark.serial

SIZE = (120, 36)


async def _env(client: AsyncDesktopClient, host: HostProcess) -> dict[str, str]:
    info = await client.display_info(host.url)
    env = host.x_env(info.display)
    env["LC_ALL"] = "C.UTF-8"
    return env


async def _controlling(pilot: Pilot[Any]) -> tuple[ScreenPreview, ImageBox]:
    """Press ``i`` and wait for control mode with a frame on show; the preview and where
    its picture is."""
    app = pilot.app
    preview = app.screen.query_one(ScreenPreview)
    await pilot.press("i")
    await wait_for(pilot, lambda: preview.controlling, what="control mode")
    await wait_for(pilot, lambda: preview.image_box() is not None, what="a frame")
    box = preview.image_box()
    assert box is not None
    return preview, box


async def _all_sent(pilot: Pilot[Any], preview: ScreenPreview) -> int:
    """``sent_count`` once it stops moving: the desktop acts on a call before its answer
    is back, so what a test sees on the desktop may be ahead of the count."""
    count = -1
    while count != preview.sent_count:
        count = preview.sent_count
        await pilot.pause(0.5)
    return count


def _cell_over(box: ImageBox, x: int, y: int) -> tuple[int, int]:
    """The preview cell (whole) whose centre lies over desktop pixel ``x``, ``y``."""
    cx, cy = box.cell_of(x, y)
    return int(cx), int(cy)


def _centre_point(box: ImageBox, cell: tuple[int, int]) -> tuple[int, int]:
    point = box.desktop_point(cell[0] + 0.5, cell[1] + 0.5)
    assert point is not None
    return point


async def _scroll(
    pilot: Pilot[Any], widget: ScreenPreview, cell: tuple[int, int], up: bool
) -> None:
    kind = events.MouseScrollUp if up else events.MouseScrollDown
    x, y = widget.region.x + cell[0], widget.region.y + cell[1]
    event = kind(widget, x, y, 0, 0, 0, False, False, False, screen_x=x, screen_y=y)
    pilot.app.screen._forward_event(event)
    await pilot.pause()


async def test_clicks_at_known_cells_move_the_desktop_pointer_there(
    local_host: HostProcess, tmp_path: Path, desktop_client: AsyncDesktopClient
) -> None:
    env = await _env(desktop_client, local_host)
    app = make_app(local_host.url, local_host.token, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        preview, box = await _controlling(pilot)
        assert (box.desktop_width, box.desktop_height) == (1440, 900)
        cols, rows = int(box.width), int(box.height)
        left, top = int(box.left), int(box.top)
        # Corners and the middle of the picture (right button on the desktop background
        # would open xfce's menu: the buttons are checked in an xterm below).
        for cell in [(left, top), (left + cols - 1, top + rows - 1), (left + cols // 2, top + 3)]:
            expected = _centre_point(box, cell)
            await pilot.click(preview, offset=cell)
            await wait_for(pilot, lambda: preview.sent_count > 0, what="the click sent")
            assert (
                await poll(
                    lambda e=expected: _pointer_at(env, e),
                    within=5,  # type: ignore[misc]
                )
                == expected
            ), f"cell {cell}"
            # The mark follows: the preview reads the pointer back with each frame.
            await wait_for(pilot, lambda e=expected: preview.pointer == e, what="the mark")
        # A cell outside the picture (the status line) sends nothing.
        sent = preview.sent_count
        status = preview.query_one("#status").region.y - preview.region.y
        await pilot.click(preview, offset=(left, status))
        await pilot.pause(0.3)
        assert preview.sent_count == sent
        # A press when control mode ends is forgotten: its release sends nothing, and the
        # desktop never saw a button go down.
        await pilot.mouse_down(preview, offset=(left + 2, top + 2))
        await pilot.press(LEAVE_KEY)
        await wait_for(pilot, lambda: not preview.controlling, what="control mode left")
        await pilot.mouse_up(preview, offset=(left + 5, top + 5))
        await pilot.pause(0.3)
        assert preview.sent_count == sent
        assert await pointer(env) == expected


async def _pointer_at(env: dict[str, str], expected: tuple[int, int]) -> tuple[int, int] | None:
    where = await pointer(env)
    return where if where == expected else None


async def test_fractional_cells_from_pixel_reports_are_used(
    local_host: HostProcess,
    tmp_path: Path,
    desktop_client: AsyncDesktopClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the terminal reports pixels (SGR 1016), a quarter of a cell is a quarter of
    a cell's desktop pixels away, not rounded to the cell's centre."""
    monkeypatch.setattr(screen_preview, "pixel_mouse", lambda app: True)
    env = await _env(desktop_client, local_host)
    app = make_app(local_host.url, local_host.token, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        preview, box = await _controlling(pilot)
        cell = (int(box.left) + 5, int(box.top) + 4)
        for fx, fy in [(0.1, 0.2), (0.9, 0.7)]:
            spot = (cell[0] + fx, cell[1] + fy)
            expected = box.desktop_point(*spot)
            assert expected is not None
            assert expected != _centre_point(box, cell)
            await pilot.click(preview, offset=spot)  # type: ignore[arg-type]
            assert await poll(lambda e=expected: _pointer_at(env, e), within=10) == expected  # type: ignore[misc]


MOUSE_REPORT = re.compile(r"\x1b\[<(\d+);(\d+);(\d+)([Mm])")


async def test_buttons_wheel_and_drag_reach_an_xterm_on_the_desktop(
    local_host: HostProcess, tmp_path: Path, desktop_client: AsyncDesktopClient
) -> None:
    """An xterm that reports the mouse (SGR 1006) to a file: each button, the wheel and a
    drag arrive as the xterm's own reports, at the cells under the desktop pixels."""
    env = await _env(desktop_client, local_host)
    reports = tmp_path / "mouse.txt"
    script = f"stty raw -echo; printf '\\033[?1000;1006h'; exec cat > {reports}"
    async with await XTerm.open(
        env,
        "-geometry",
        "100x30+100+100",
        "-fa",
        "Monospace",
        "-fs",
        "10",
        "-e",
        "sh",
        "-c",
        script,
    ) as term:
        geo = await term.geometry(env)
        app = make_app(local_host.url, local_host.token, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            preview, box = await _controlling(pilot)
            a = _cell_over(box, geo.x + geo.width // 4, geo.y + geo.height // 3)
            b = _cell_over(box, geo.x + 3 * geo.width // 4, geo.y + 2 * geo.height // 3)
            for button in (1, 2, 3):
                await pilot.click(preview, offset=a, button=button)
            await _scroll(pilot, preview, a, up=True)
            await _scroll(pilot, preview, a, up=False)
            await pilot.mouse_down(preview, offset=a)
            await pilot.mouse_up(preview, offset=b)

            def parsed() -> list[tuple[int, int, int, str]]:
                text = reports.read_text(errors="replace") if reports.exists() else ""
                return [
                    (int(c), int(x), int(y), kind) for c, x, y, kind in MOUSE_REPORT.findall(text)
                ]

            async def all_in() -> list[tuple[int, int, int, str]] | None:
                found = parsed()
                return found if len(found) >= 10 else None

            found = await poll(all_in, within=10)
            assert found is not None, parsed()
        codes = [(code, kind) for code, _, _, kind in found]
        assert codes == [
            (0, "M"), (0, "m"), (1, "M"), (1, "m"), (2, "M"), (2, "m"),
            (64, "M"), (65, "M"), (0, "M"), (0, "m"),
        ]  # fmt: skip
        cells = {(x, y) for _, x, y, _ in found[:8]}
        assert len(cells) == 1, "clicks and wheel at one place"
        (_, x0, y0, _), (_, x1, y1, _) = found[8], found[9]
        assert (x0, y0) == next(iter(cells))
        # The drag let go at b: right of and below a, by about the pixels between them.
        assert x1 > x0 and y1 > y0


async def test_keys_and_combinations_reach_an_xterm_and_the_apps_keys_do_nothing(
    local_host: HostProcess, tmp_path: Path, desktop_client: AsyncDesktopClient
) -> None:
    env = await _env(desktop_client, local_host)
    typed = tmp_path / "typed.txt"
    # -isig: ctrl+c arrives as a byte instead of stopping cat; the line discipline still
    # erases the line on ctrl+u.
    script = f"stty -echo -isig; exec cat > {typed}"
    async with await XTerm.open(
        env, "-u8", "-geometry", "80x24+150+150", "-e", "sh", "-c", script
    ) as term:
        geo = await term.geometry(env)
        app = make_app(local_host.url, local_host.token, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, DesktopScreen)
            preview, box = await _controlling(pilot)
            await pilot.click(preview, offset=_cell_over(box, geo.x + geo.width // 2, geo.y + 40))
            await wait_for(pilot, lambda: preview.sent_count >= 1, what="the click")
            await pilot.press(*"junk", "ctrl+u")
            await pilot.press(*"hello q", "tab", "escape", "ctrl+c", "ctrl+p", "enter")

            expected = "hello q\t\x1b\x03\x10\n"

            async def written() -> str | None:
                content = typed.read_text() if typed.exists() else ""
                return content if content == expected else None

            assert await poll(written, within=10) == expected, typed.read_text()
            # None of the app's keys fired: still running (q, ctrl+c), the same screen
            # (escape, ctrl+p's palette), the focus kept (tab).
            assert app.is_running and app.screen is screen
            assert app.focused is preview and preview.controlling
            assert not any("quit" in n.message.lower() for n in app._notifications)

            # ctrl+] leaves; from then on keys are the app's again and nothing is sent.
            sent = await _all_sent(pilot, preview)
            await pilot.press(LEAVE_KEY)
            await wait_for(pilot, lambda: not preview.controlling, what="control mode left")
            assert "CONTROL" not in str(preview.border_title)
            await pilot.press("x", "y")
            await pilot.click(preview, offset=(int(box.left) + 2, int(box.top) + 2))
            await pilot.pause(0.5)
            assert preview.sent_count == sent
            assert typed.read_text() == expected


async def test_nothing_is_sent_outside_control_mode(
    local_host: HostProcess, tmp_path: Path, desktop_client: AsyncDesktopClient
) -> None:
    env = await _env(desktop_client, local_host)
    await desktop_client.move_pointer(local_host.url, x=7, y=9)
    app: Leap0App = make_app(local_host.url, local_host.token, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        preview = app.screen.query_one(ScreenPreview)
        await pilot.press("2")  # the preview has the focus, not control mode
        await wait_for(pilot, lambda: preview.image_box() is not None, what="a frame")
        box = preview.image_box()
        assert box is not None
        await pilot.click(preview, offset=(int(box.left) + 10, int(box.top) + 5))
        await _scroll(pilot, preview, (int(box.left) + 10, int(box.top) + 5), up=True)
        await pilot.press("a", "b", "enter")
        await pilot.pause(0.5)
        assert not preview.controlling
        assert preview.sent_count == 0
        assert await pointer(env) == (7, 9)
