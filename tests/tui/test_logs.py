"""The log viewer: follows new lines without redrawing, search, wrap, follow, save."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from core.log_follow import LogTail
from tests.tui.conftest import answer_save_dialog, make_app, wait_for
from tests.tui.fake_desktop import StatefulDesktop
from tui.app import Leap0App
from tui.widgets.log_lines import LogLines, clean_line
from tui.widgets.log_viewer import LogViewer, stderr_rows

# ── LogTail: what is new in a log sent whole ──


def test_log_tail_returns_only_what_was_appended() -> None:
    tail = LogTail()
    assert tail.update("one\ntwo\n") == (False, "one\ntwo\n")
    assert tail.update("one\ntwo\nthree\n") == (False, "three\n")
    assert tail.update("one\ntwo\nthree\n") == (False, "")


def test_log_tail_starts_over_when_the_log_was_replaced() -> None:
    tail = LogTail()
    tail.update("one\ntwo\n")
    assert tail.update("fresh\n") == (True, "fresh\n")
    assert tail.update("ONE\nTWO\nmore\n") == (True, "ONE\nTWO\nmore\n")


def test_log_tail_follows_a_window_that_slides_along_a_long_log() -> None:
    """A server sending only the last N bytes: the lines appended are new, nothing redrawn."""
    log = "".join(f"{i:05d} a line of the log\n" for i in range(2000))
    window = 4096
    tail = LogTail()
    tail.update(log[-window:])
    log += "".join(f"{i:05d} a line of the log\n" for i in range(2000, 2010))
    assert tail.update(log[-window:]) == (False, log[-240:])  # ten lines of 24
    log += "the newest line\n"
    assert tail.update(log[-window:]) == (False, "the newest line\n")
    # A short log that was replaced still starts over, even if it held the old text.
    short = LogTail()
    short.update("ready\n")
    assert short.update("restarted\nready\n") == (True, "restarted\nready\n")


# ── LogLines on its own ──


class LinesApp(App[None]):
    def __init__(self, max_lines: int = 100) -> None:
        super().__init__()
        self.max_lines = max_lines

    def compose(self) -> ComposeResult:
        yield LogLines(max_lines=self.max_lines)


async def test_log_lines_keep_the_newest_max_lines() -> None:
    app = LinesApp(max_lines=100)
    async with app.run_test(size=(40, 10)) as pilot:
        lines = app.query_one(LogLines)
        lines.append("".join(f"line {i}\n" for i in range(1000)))
        lines.append("".join(f"more {i}\n" for i in range(50)))
        await pilot.pause()
        assert lines.line_count == 100
        assert lines.lines[0] == "line 950" and lines.lines[-1] == "more 49"
        assert lines.is_vertical_scroll_end


async def test_an_open_line_is_continued_by_the_next_piece() -> None:
    app = LinesApp()
    async with app.run_test(size=(40, 10)) as pilot:
        lines = app.query_one(LogLines)
        lines.append("gam")
        lines.append("ma\ndel")
        lines.append("ta\n")
        await pilot.pause()
        assert lines.lines == ["gamma", "delta"]


async def test_wrap_folds_long_lines_into_rows() -> None:
    app = LinesApp()
    async with app.run_test(size=(21, 10)) as pilot:
        lines = app.query_one(LogLines)
        assert lines.wrap, "lines wrap by default"
        lines.append("x" * 45 + "\nshort\n")
        await pilot.pause()
        width = lines.scrollable_content_region.width
        assert lines.virtual_size.height == -(-45 // width) + 1 == lines.rows_at(width)
        assert lines.render_line(0).text.startswith("x" * width)
        assert not lines.show_horizontal_scrollbar
        lines.wrap = False
        await pilot.pause()
        assert lines.virtual_size.height == 2
        assert lines.show_horizontal_scrollbar and lines.rows_at(width) == 3


async def test_no_sideways_scroll_bar_while_every_line_fits() -> None:
    app = LinesApp()
    async with app.run_test(size=(40, 10)) as pilot:
        lines = app.query_one(LogLines)
        lines.wrap = False
        lines.append("short\nlines\n")
        await pilot.pause()
        assert not lines.show_horizontal_scrollbar
        lines.append("y" * 60 + "\n")
        await pilot.pause()
        assert lines.show_horizontal_scrollbar


def test_stderr_gets_rows_only_for_its_lines() -> None:
    assert stderr_rows(20, out_rows=3, err_rows=0) == 0  # hidden
    assert stderr_rows(20, out_rows=3, err_rows=2) == 4  # what it needs; stdout the rest
    assert stderr_rows(20, out_rows=100, err_rows=2) == 4  # a long stdout: stderr still fits
    assert stderr_rows(20, out_rows=1, err_rows=100) == 17  # a long stderr: stdout 3 rows
    assert stderr_rows(20, out_rows=100, err_rows=100) == 8  # both long: 3:2 for stdout


async def test_search_highlights_and_selects_matches() -> None:
    app = LinesApp()
    async with app.run_test(size=(40, 10)) as pilot:
        lines = app.query_one(LogLines)
        lines.append("".join(f"{'needle' if i % 10 == 0 else 'hay'} {i}\n" for i in range(60)))
        lines.search = "NEEDLE"
        await pilot.pause()
        assert lines.match_count == 6
        assert lines.select_match(forward=True)
        strip = lines._strip(lines._current - lines._dropped)  # type: ignore[operator]
        match_style = lines.get_component_rich_style("log-lines--current-match")
        styled = [
            seg.text for seg in strip if seg.style and seg.style.bgcolor == match_style.bgcolor
        ]
        assert styled == ["needle"]


def test_control_characters_and_ansi_are_cleaned() -> None:
    assert clean_line("\x1b[31mred\x1b[0m\tx") == "red     x"
    assert clean_line("progress 10%\rprogress 99%\r") == "progress 99%"
    assert clean_line("bell\x07") == "bell\ufffd"


# ── the viewer in the app, on the fake desktop ──


async def _viewer(app: Leap0App, pilot: object) -> LogViewer:
    # The viewer and its lines: a viewer just mounted may not have composed them yet.
    await wait_for(pilot, lambda: app.screen.query("LogViewer #stdout"), what="a log viewer")  # type: ignore[arg-type]
    viewer = app.screen.query_one(LogViewer)
    stdout = viewer.query_one("#stdout", LogLines)
    await wait_for(pilot, lambda: stdout.line_count >= 1, what="the first lines")  # type: ignore[arg-type]
    return viewer


async def test_new_lines_are_appended_without_redrawing(
    fake_desktop: StatefulDesktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        viewer = await _viewer(app, pilot)
        assert viewer.process == "xvfb"
        stdout = viewer.query_one("#stdout", LogLines)
        clears: list[int] = []
        monkeypatch.setattr(stdout, "clear", lambda: clears.append(1))
        fake_desktop.write("xvfb", stdout="alpha\nbet")
        await wait_for(pilot, lambda: stdout.line_count == 3, what="alpha")
        fake_desktop.write("xvfb", stdout="a\ngamma\n")
        await wait_for(pilot, lambda: stdout.line_count == 4, what="gamma")
        assert stdout.lines == ["xvfb started", "alpha", "beta", "gamma"]
        assert clears == []
        fake_desktop.write("xvfb", stderr="oops\n")
        stderr = viewer.query_one("#stderr", LogLines)
        await wait_for(pilot, lambda: stderr.lines[-1:] == ["oops"], what="stderr")


async def test_one_pane_shares_its_rows_between_stdout_and_stderr(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    fake_desktop.processes["xvfb"].stderr = ""
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        viewer = await _viewer(app, pilot)
        stdout = viewer.query_one("#stdout", LogLines)
        stderr = viewer.query_one("#stderr", LogLines)
        await pilot.pause(0.2)
        assert not stderr.display and stdout.region.height == viewer.region.height - 1
        fake_desktop.write("xvfb", stderr="first\nsecond\n")
        await wait_for(pilot, lambda: stderr.line_count == 2, what="stderr")
        await pilot.pause(0.1)
        assert stderr.display and stderr.region.height == 2 + 2  # its lines and a border
        assert stdout.region.height == viewer.region.height - 1 - 4
        fake_desktop.write("xvfb", stderr="".join(f"err {i}\n" for i in range(100)))
        await wait_for(pilot, lambda: stderr.line_count == 102, what="more stderr")
        await pilot.pause(0.1)
        # stdout (one line) keeps what it needs; stderr takes the rest, newest line shown.
        assert stdout.region.height == 1 + 2
        assert stderr.region.height == viewer.region.height - 1 - 3
        assert stderr.is_vertical_scroll_end


async def test_a_truncated_log_starts_over(fake_desktop: StatefulDesktop, tmp_path: Path) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        viewer = await _viewer(app, pilot)
        stdout = viewer.query_one("#stdout", LogLines)
        fake_desktop.processes["xvfb"].stdout = "rotated\n"
        await wait_for(pilot, lambda: stdout.lines == ["rotated"], what="the new log")


async def test_keys_search_follow_and_wrap(fake_desktop: StatefulDesktop, tmp_path: Path) -> None:
    fake_desktop.write("xvfb", stdout="".join(f"line {i}\n" for i in range(200)))
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        viewer = await _viewer(app, pilot)
        stdout = viewer.query_one("#stdout", LogLines)
        await wait_for(pilot, lambda: stdout.line_count == 201, what="all lines")
        stdout.focus()
        await pilot.press("slash", *"line 42", "enter")
        assert viewer.search == "line 42"
        assert stdout.match_count == 1
        status = str(viewer.query_one("#log-status").render())
        assert "1 matching line" in status
        await pilot.press("escape")
        assert viewer.search == "" and not viewer.has_class("-searching")
        assert viewer.wrap and stdout.wrap
        await pilot.press("w")
        assert not viewer.wrap and not stdout.wrap
        await pilot.press("f")
        assert not viewer.follow and not stdout.follow
        assert "follow off" in str(viewer.query_one("#log-status").render())


async def test_save_writes_the_log_and_asks_before_replacing(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    target = tmp_path / "saved" / "xvfb.log"
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        viewer = await _viewer(app, pilot)
        viewer.query_one("#stdout", LogLines).focus()

        async def save(answer: str | None) -> None:
            await answer_save_dialog(pilot, "ctrl+s", target, replace=answer)
            await pilot.pause(0.2)

        await save(None)
        assert target.read_text() == "xvfb started\n"
        fake_desktop.write("xvfb", stdout="second\n")
        await wait_for(
            pilot, lambda: viewer.query_one("#stdout", LogLines).line_count == 2, what="more"
        )
        await save("n")
        assert target.read_text() == "xvfb started\n"
        await save("y")
        assert target.read_text() == "xvfb started\nsecond\n"
        assert not [p for p in target.parent.iterdir() if p.name.endswith(".part")]
