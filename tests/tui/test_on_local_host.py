"""The dashboard on the real local desktop host, driven with the pilot."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from core.desktop import AsyncDesktopClient
from tests.host.harness import HostProcess
from tests.tui.conftest import make_app, wait_for
from tui.screens.confirm import ConfirmScreen
from tui.widgets.log_lines import LogLines
from tui.widgets.log_viewer import LogViewer
from tui.widgets.process_table import ProcessTable

PROCESSES = ("xvfb", "xfce4", "x11vnc", "novnc")


def _all_running(table: ProcessTable) -> bool:
    rows = [table.process_row(name) for name in PROCESSES]
    return all(row is not None and row[0] and row[1] for row in rows)


async def test_table_shows_the_four_processes_running(
    local_host: HostProcess, tmp_path: Path
) -> None:
    app = make_app(local_host.url, local_host.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: _all_running(table), what="four running processes")
        assert table.row_count == 4
        assert table.overall == "running"
        assert table.feed_state == "live"
        states = [str(table.get_cell(name, "state")) for name in PROCESSES]
        assert states == ["● running"] * 4
        pids = [table.get_cell(name, "pid") for name in PROCESSES]
        assert all(str(pid).isdigit() for pid in pids)


async def test_a_killed_process_turns_stopped_and_r_brings_it_back(
    local_host: HostProcess, tmp_path: Path, desktop_client: AsyncDesktopClient
) -> None:
    app = make_app(local_host.url, local_host.token, tmp_path)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.screen.query_one(ProcessTable)
            await wait_for(pilot, lambda: _all_running(table), what="four running processes")
            # novnc, not x11vnc: x11vnc killed with SIGKILL leaks SysV shared memory.
            _, old_pid, _ = table.process_row("novnc") or (None, None, None)
            assert old_pid is not None

            killed = time.monotonic()
            os.kill(old_pid, signal.SIGKILL)
            await wait_for(
                pilot,
                lambda: table.process_row("novnc") == (False, None, 0),
                timeout=2.0,
                what="novnc shown stopped",
            )
            assert time.monotonic() - killed < 2.0
            assert str(table.get_cell("novnc", "state")) == "○ stopped"
            assert table.overall == "degraded"

            table.focus()
            table.move_cursor(row=table.get_row_index("novnc"))
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="a question")
            await pilot.press("y")

            def back() -> bool:
                row = table.process_row("novnc")
                return row is not None and row[0] and row[1] not in (None, old_pid)

            await wait_for(pilot, back, timeout=20, what="novnc running with a new pid")
            running, new_pid, restarts = table.process_row("novnc") or (None, None, None)
            assert running and new_pid != old_pid and restarts == 1
            await wait_for(pilot, lambda: table.overall == "running", what="all running")
            # The new pid may come through the stream before the restart call returns.
            await wait_for(
                pilot,
                lambda: any(n.message.startswith("novnc restarted") for n in app._notifications),
                what="the restart reported",
            )
    finally:
        await desktop_client.wait_until_ready(local_host.url, timeout=60)


async def test_the_log_pane_shows_lines_the_process_wrote(
    local_host: HostProcess, tmp_path: Path
) -> None:
    # What xvfb wrote, read straight from the file the host keeps its stderr in.
    log_file = Path(local_host.run_dir) / "logs" / "xvfb.stderr.log"
    written = [line for line in log_file.read_text().splitlines() if line.strip()]
    assert written, f"xvfb wrote nothing to {log_file}"
    app = make_app(local_host.url, local_host.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.screen.query(LogViewer), what="a log viewer")
        viewer = app.screen.query_one(LogViewer)
        assert viewer.process == "xvfb"
        stderr = viewer.query_one("#stderr", LogLines)
        await wait_for(pilot, lambda: stderr.line_count >= len(written), what="xvfb's stderr")
        assert written[0].strip() in [line.strip() for line in stderr.lines]
        assert written[-1].strip() in [line.strip() for line in stderr.lines]
