"""The app around the panes: command line, palette, help, small terminals, browser."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import time
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.widgets import Tabs

from tests.support.imports import loaded_modules
from tests.tui.conftest import make_app, wait_for
from tests.tui.fake_desktop import StatefulDesktop
from tui.arguments import CommandLineError, check_profile, desktop_token
from tui.cli import parse_args, run
from tui.local import LocalHost
from tui.screens.desktop import DesktopScreen
from tui.screens.help import HelpScreen
from tui.widgets.log_viewer import LogViewer
from tui.widgets.process_table import ProcessTable

ROOT = Path(__file__).resolve().parents[2]

# ── command line ──


def test_arguments() -> None:
    args = parse_args(["--url", "http://127.0.0.1:8000", "--token", "t"])
    assert (args.url, args.token, args.sandbox) == ("http://127.0.0.1:8000", "t", None)
    assert parse_args(["--sandbox", "sbx-1"]).sandbox == "sbx-1"
    with pytest.raises(SystemExit):
        parse_args(["--token", "t"])
    with pytest.raises(SystemExit):
        parse_args(["--url", "http://x", "--sandbox", "y"])


def test_local_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["--local", "3"]).local == 3
    assert parse_args([]).local is None
    for bad in (["--local", "0"], ["--local", "x"], ["--local", "2", "--url", "http://x"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
    assert "between 1 and 16" in capsys.readouterr().err


def test_graphics_argument_and_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args([]).graphics is None  # the environment, the file or auto decide
    assert parse_args(["--graphics", "sixel"]).graphics == "sixel"
    with pytest.raises(SystemExit):
        parse_args(["--graphics", "iterm"])
    capsys.readouterr()
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--graphics {auto,kitty,sixel,symbols,halfcell}" in text
    assert "LEAP0_GRAPHICS" in text


def test_a_bad_url_is_refused_before_anything_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--url", "ftp://nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leap0-tui: ") and err.count("\n") == 1


URL = "http://127.0.0.1:8000"


def test_a_token_on_the_command_line_works_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert desktop_token(parse_args(["--url", URL, "--token", "t"])) == "t"

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("leap0-tui: warning: --token is visible to every user")
    assert "--token-file" in err and "LEAP0_DESKTOP_TOKEN" in err


def test_a_token_file_gives_its_first_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "token"
    secret.write_text("  s3cret-token \nsecond line\n")
    secret.chmod(0o600)

    assert desktop_token(parse_args(["--url", URL, "--token-file", str(secret)])) == "s3cret-token"
    assert capsys.readouterr().err == ""


def test_a_token_file_others_can_read_works_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)

    assert desktop_token(parse_args(["--url", URL, "--token-file", str(secret)])) == "s3cret"
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "readable by other users" in err and f"chmod 600 {secret}" in err


@pytest.mark.parametrize("problem", ["missing", "empty", "blank first line", "a directory"])
def test_a_token_file_that_gives_no_token_is_refused(
    problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "token"
    if problem == "empty":
        secret.write_text("")
    elif problem == "blank first line":
        secret.write_text("\n\ns3cret\n")
    elif problem == "a directory":
        secret.mkdir()

    assert run(["--url", URL, "--token-file", str(secret)]) == 2

    err = capsys.readouterr().err
    assert err.startswith("leap0-tui: ") and err.count("\n") == 1
    assert str(secret) in err


def test_token_and_token_file_need_a_url_and_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--token-file", "f"])
    with pytest.raises(SystemExit):
        parse_args(["--url", URL, "--token", "t", "--token-file", "f"])


def test_help_shows_the_token_file_before_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    out = capsys.readouterr().out
    assert out.index("--token-file PATH  ") < out.index("--token T  ")
    assert "LEAP0_DESKTOP_TOKEN" in out


def test_an_unknown_profile_is_refused_with_the_list_of_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[profiles.work]\napi_key = "k"\n[profiles.lab]\nurl = "http://127.0.0.1:1"\n'
    )
    monkeypatch.setenv("LEAP0_CONFIG", str(config))
    monkeypatch.delenv("LEAP0_PROFILE", raising=False)

    assert run(["--profile", "nosuch"]) == 2

    err = capsys.readouterr().err
    assert err == f"leap0-tui: no profile named 'nosuch' in {config} (profiles: lab, work)\n"
    check_profile("lab")  # a known one passes
    monkeypatch.setenv("LEAP0_PROFILE", "typo")
    with pytest.raises(CommandLineError, match="no profile named 'typo'"):
        check_profile(os.environ["LEAP0_PROFILE"])


def test_a_profile_without_a_config_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEAP0_CONFIG", str(tmp_path / "none.toml"))

    assert run(["--profile", "lab"]) == 2
    assert "there is no config file" in capsys.readouterr().err


def _descendants(root: int) -> list[int]:
    """``root`` and every process under it, from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found = [root]
    for pid in found:  # grows as it goes: a breadth-first walk
        found.extend(children.get(pid, []))
    return found


def _command_lines(pids: list[int]) -> dict[int, bytes]:
    lines = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            lines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    return lines


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs the local desktop's packages")
def test_no_process_the_dashboard_starts_has_the_token_in_its_arguments(tmp_path: Path) -> None:
    """Every local user can read every command line: the dashboard starts the host without
    a token (the host makes one and says it on the stdout pipe), and the host's children
    get none either."""
    host = LocalHost(log_path=tmp_path / "host.log")
    try:
        desktop = host.start()
        assert desktop.token and host.pid is not None
        deadline = time.monotonic() + 30
        while True:  # until the whole desktop is up: Xvfb, x11vnc, websockify
            lines = _command_lines(_descendants(host.pid))
            everything = b" ".join(lines.values())
            if all(name in everything for name in (b"Xvfb", b"x11vnc", b"websockify")):
                break
            assert time.monotonic() < deadline, f"the desktop did not come up: {lines}"
            time.sleep(0.2)
        assert desktop.token.encode() not in everything
        assert b"--token" not in everything
    finally:
        host.stop()


def test_the_first_frame_comes_before_pydantic_and_httpx() -> None:
    """What ``leap0-tui`` imports before its first frame (the command line, the app, the
    starting screen) pulls in neither: their imports alone take most of a second on a slow
    machine, so the app loads them in a thread once it shows something."""
    first_frame = "tui.__main__, tui.cli, tui.screens.starting"
    assert loaded_modules(first_frame, ("pydantic", "httpx", "core.config")) == []


# ── palette, help, small terminals, browser ──


async def test_the_palette_offers_every_pane_action(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.screen.query(LogViewer), what="log viewer")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for expected in (
            "Process table: Restart",
            "Desktop screen: Open in browser",
            "Log viewer: Search",
            "Log viewer: Wrap",
            "Log viewer: Save log",
            "Screen preview: Pause",
            "Recordings browser: Record",
            "Help",
        ):
            assert expected in titles, sorted(titles)


async def test_help_lists_the_keys(fake_desktop: StatefulDesktop, tmp_path: Path) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen._table())
        text = console.export_text()
        assert "Restart" in text and "Open in browser" in text and "Search" in text
        await pilot.press("escape")
        assert isinstance(app.screen, DesktopScreen)


async def test_a_small_terminal_shows_one_pane_at_a_time(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DesktopScreen)
        assert screen.compact and screen.query_one(Tabs).display
        table = screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.row_count == 4, what="rows")
        assert table.region.height > 0
        assert screen.query_one("#pane-logs").region.height == 0
        await pilot.press("3")
        assert screen.pane == "logs"
        await pilot.pause()
        assert screen.query_one("#pane-logs").region.height > 10
        assert table.region.height == 0
        await pilot.press("1")
        await pilot.pause()
        assert table.region.height > 0 and table.has_focus
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert not screen.compact and not screen.query_one(Tabs).display
        assert screen.query_one("#pane-logs").region.height > 10 and table.region.height > 0


async def test_open_in_browser_without_a_display_says_where(
    fake_desktop: StatefulDesktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("o")
        await wait_for(pilot, lambda: app._notifications, what="a notification")
        message = next(iter(app._notifications)).message
        # A single-use ticket for the viewer, never the API token.
        assert f"Open {fake_desktop.url}/viewer/?ticket=ticket-1 within a minute" in message
        assert fake_desktop.token not in message


async def test_keys_reach_the_log_viewer_that_is_shown(
    fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.row_count == 4, what="rows")
        await pilot.press("down")  # xfce4: a second log viewer, the first one hidden
        await wait_for(pilot, lambda: len(app.screen.query(LogViewer)) == 2, what="viewers")
        await pilot.press("3", "slash")
        shown = next(v for v in app.screen.query(LogViewer) if v.display)
        assert shown.process == "xfce4"
        assert shown.has_class("-searching")
        assert app.focused is not None and app.focused.id == "log-search"
        assert shown.query_one("#log-search").region.height == 1


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_a_key_typed_right_after_a_pane_key_goes_to_that_pane(
    size: tuple[int, int], fake_desktop: StatefulDesktop, tmp_path: Path
) -> None:
    """ "3/" typed fast: both keys are read before either is handled, so the pane's focus
    must be set by the time the second one is."""
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=size) as pilot:
        table = app.screen.query_one(ProcessTable)
        await wait_for(pilot, lambda: table.row_count == 4, what="rows")
        await wait_for(pilot, lambda: len(app.screen.query(LogViewer)) == 1, what="the viewer")
        assert table.has_focus
        app.post_message(events.Key("3", "3"))
        app.post_message(events.Key("slash", "/"))
        viewer = app.screen.query_one(LogViewer)
        await wait_for(pilot, lambda: viewer.has_class("-searching"), what="the search")
        assert app.focused is not None and app.focused.id == "log-search"
