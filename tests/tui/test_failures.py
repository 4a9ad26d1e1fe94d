"""Each failure a user can meet is one line in the UI, and the app keeps running.

The fake desktop (``tests/tui/fake_desktop.py``) misbehaves on demand; the real host
cannot be told to answer 401, 409 or a malformed event.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual.content import Content
from textual.widgets import Static

from tests.support.loopback import serve
from tests.tui.conftest import make_app, wait_for
from tests.tui.fake_desktop import StatefulDesktop
from tui.app import Leap0App
from tui.widgets.display_info import DisplayInfo
from tui.widgets.log_viewer import LogViewer
from tui.widgets.process_table import ProcessTable
from tui.widgets.status_line import StatusLine


def _feed_error(app: Leap0App) -> str:
    line = app.screen.query_one("#feed-error", Static)
    return str(line.render()) if line.has_class("-shown") else ""


def _messages(app: Leap0App) -> list[str]:
    return [n.message for n in app._notifications]


def _one_line(text: str) -> bool:
    return "\n" not in text and "Traceback" not in text


async def test_a_wrong_token_is_a_one_line_message(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, "wrong-token", tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: "401" in _feed_error(app), what="a 401 message")
        assert _one_line(_feed_error(app))
        assert any("401" in m and _one_line(m) for m in _messages(app))
        table = app.screen.query_one(ProcessTable)
        assert table.feed_state == "reconnecting"
        await pilot.press("question_mark")  # still answering keys
        assert type(app.screen).__name__ == "HelpScreen"


async def test_a_refused_restart_409_is_a_toast_and_the_row_recovers(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    fake_desktop.restart_status = 409
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.row_count == 4, what="four rows")
        table.move_cursor(row=table.get_row_index("xfce4"))
        table.focus()
        await pilot.press("r", "y")
        await wait_for(pilot, lambda: any("409" in m for m in _messages(app)), what="a 409 toast")
        message = next(m for m in _messages(app) if "409" in m)
        assert message.startswith("Restart of xfce4 failed") and _one_line(message)
        assert str(table.get_cell("xfce4", "state")) == "● running"


async def test_404_from_the_desktop_shows_in_the_panes_and_they_recover(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.screen.query(LogViewer), what="a log viewer")
        viewer = app.screen.query_one(LogViewer)
        display = app.screen.query_one(DisplayInfo)
        await wait_for(pilot, lambda: display.display_info is not None, what="display info")
        fake_desktop.fail_status = 404
        await wait_for(pilot, lambda: viewer.error is not None, what="the log pane failing")
        assert "404" in (viewer.error or "") and _one_line(viewer.error or "")
        await wait_for(pilot, lambda: display.error is not None, what="the display failing")
        fake_desktop.fail_status = None
        await wait_for(pilot, lambda: viewer.error is None, timeout=15, what="logs again")
        await wait_for(pilot, lambda: display.error is None, timeout=15, what="display again")


async def test_a_malformed_event_is_one_line_and_the_feed_goes_on(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    fake_desktop.stream_mode = "malformed"
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: "malformed" in _feed_error(app), what="the message")
        assert _one_line(_feed_error(app))
        fake_desktop.stream_mode = "normal"
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.feed_state == "live", timeout=15, what="live")
        await wait_for(pilot, lambda: table.row_count == 4, what="four rows")
        await wait_for(pilot, lambda: _feed_error(app) == "", what="the message gone")


async def test_a_dropped_stream_reconnects_by_itself(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.feed_state == "live", what="live")
        states: list[str] = []
        table.watch(table, "feed_state", lambda state: states.append(state), init=False)
        fake_desktop.stream_mode = "drop"
        fake_desktop.changed()
        await wait_for(pilot, lambda: "reconnecting" in states, what="reconnecting")
        fake_desktop.stream_mode = "normal"
        await wait_for(pilot, lambda: table.feed_state == "live", timeout=15, what="live again")
        fake_desktop.kill("novnc")
        await wait_for(
            pilot, lambda: table.process_row("novnc") == (False, None, 0), what="novnc stopped"
        )


async def test_a_silent_stream_is_shown_stale(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    fake_desktop.stream_mode = "silent"
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.feed_state == "live", what="live")
        await wait_for(pilot, lambda: table.feed_state == "stale", timeout=10, what="stale")
        assert str(table.border_subtitle) == "stale"
        assert table.has_class("-stale")
        await pilot.pause(1.2)  # the age line ticks once a second
        age = str(app.screen.query_one("#feed-age", StatusLine).text)
        assert re.fullmatch(r"last event \d+ s ago", age), age
        assert int(age.split()[2]) >= 5  # stale means no event for three 2 s heartbeats


def _title(table: ProcessTable) -> str:
    return Content.from_markup(str(table.border_title)).plain


async def test_an_unreachable_desktop_recovers_when_it_comes_back(tmp_path: Path) -> None:
    desktop = StatefulDesktop()
    first = serve(desktop.app())
    url = first.__enter__()
    port = int(url.rsplit(":", 1)[1])
    try:
        app = make_app(url, desktop.token, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.screen.query_one(ProcessTable)
            await wait_for(pilot, lambda: table.feed_state == "live", what="live")
            desktop.stream_mode = "closed"  # end open streams, so the server can stop
            desktop.changed()
            first.__exit__(None, None, None)
            await wait_for(
                pilot, lambda: "cannot connect" in _feed_error(app), what="cannot connect"
            )
            assert _one_line(_feed_error(app))
            assert table.feed_state == "reconnecting"
            # What is shown is what was last known, and it says so.
            assert app.screen.sub_title.endswith("· last known: running")
            assert "last known: running 4/4" in _title(table)
            desktop.stream_mode = "normal"
            with serve(desktop.app(), port=port):
                await wait_for(
                    pilot, lambda: table.feed_state == "live", timeout=30, what="live again"
                )
                await wait_for(pilot, lambda: _feed_error(app) == "", what="the line gone")
                assert app.screen.sub_title.endswith("· running")
                assert _title(table) == "Processes · running 4/4"
                await wait_for(
                    pilot,
                    lambda: any("reachable again" in m for m in _messages(app)),
                    what="the recovery said",
                )
    finally:
        first.__exit__(None, None, None)
