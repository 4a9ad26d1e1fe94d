"""``leap0-tui COMMAND``: every command as a user's script runs it, against the session's
real local host, piped and on a pseudo-terminal; the JSON shapes and the exit codes."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.host.harness import REPO, HostProcess
from tests.support.cutting_proxy import Cut, cutting_proxy
from tests.support.imports import loaded_modules
from tests.support.loopback import serve

pytestmark = pytest.mark.timeout(120)


class Leap0:
    """Runs ``python -m tui ...`` as a user would, isolated from the user's own config."""

    def __init__(self, host: HostProcess, cwd: Path) -> None:
        self.host = host
        self.cwd = cwd
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "LEAP0_CONFIG": str(cwd / "no-config.toml"),
            "LEAP0_DESKTOP_TOKEN": host.token,
            "NO_COLOR": "",
        }
        self.env.pop("LEAP0_API_KEY", None)
        self.env.pop("LEAP0_PROFILE", None)

    def argv(self, *args: str, target: bool = True) -> list[str]:
        where = ["--url", self.host.url] if target else []
        return [sys.executable, "-m", "tui", *args, *where]

    def __call__(
        self,
        *args: str,
        target: bool = True,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args, target=target),
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=90,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """The command running, its output read as it comes (stop it with a signal)."""
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("\n") == 1, "piped JSON is one line"
        return json.loads(result.stdout)


@pytest.fixture
def leap0(local_host: HostProcess, tmp_path: Path) -> Leap0:
    return Leap0(local_host, tmp_path)


def _on_pty(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, answer: bytes | None = None
) -> tuple[int, str]:
    """Run ``argv`` with a pseudo-terminal for stdin, stdout and stderr; type ``answer`` once
    a prompt shows. The exit status and everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.chdir(cwd)
        os.execve(argv[0], list(argv), dict(env))
    output = b""
    answered = answer is None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"[y/N]" in output:
                os.write(fd, answer)  # type: ignore[arg-type]
                answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


# ── status, wait, target selection ──


def test_status_prints_columns_and_one_json_document(leap0: Leap0) -> None:
    result = leap0("status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("status: running")
    assert lines[1].split() == ["PROCESS", "STATE", "PID"]
    assert [line.split()[0] for line in lines[2:]] == ["xvfb", "xfce4", "x11vnc", "novnc"]
    assert "\x1b[" not in result.stdout  # piped: no colour

    status = leap0.json("status")
    assert set(status) == {"status", "items", "running", "total"}
    assert status["status"] == "running" and status["running"] == status["total"] == 4
    assert set(status["items"][0]) == {"name", "running", "pid", "stdout_log", "stderr_log"}


def test_a_target_may_come_before_the_command(leap0: Leap0) -> None:
    argv = [sys.executable, "-m", "tui", "--url", leap0.host.url, "status", "--json"]
    result = subprocess.run(
        argv, cwd=leap0.cwd, env=leap0.env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 4


def test_exit_codes_for_a_refused_token_an_unreachable_desktop_and_no_desktop(
    leap0: Leap0, tmp_path: Path
) -> None:
    refused = leap0("status", env={"LEAP0_DESKTOP_TOKEN": "wrong"})
    assert refused.returncode == 3
    assert refused.stderr.count("\n") == 1
    assert "401" in refused.stderr and leap0.host.url in refused.stderr
    assert "missing or wrong token" in refused.stderr  # the server's own words

    with serve(Starlette()) as url:
        pass  # a port that was just closed
    unreachable = leap0("status", "--url", url, target=False)
    assert unreachable.returncode == 6
    assert "connection refused" in unreachable.stderr and url in unreachable.stderr

    nothing = leap0("status", target=False)
    assert nothing.returncode == 2
    assert "no desktop named" in nothing.stderr
    assert "leap0-tui host" in nothing.stderr

    bad_url = leap0("status", "--url", "ftp://x", target=False)
    assert bad_url.returncode == 2


def test_token_on_the_command_line_works_and_warns(leap0: Leap0) -> None:
    # --token=T: a random token may start with "-".
    result = leap0("status", f"--token={leap0.host.token}", env={"LEAP0_DESKTOP_TOKEN": ""})
    assert result.returncode == 0
    assert "visible to every user" in result.stderr


def test_wait_exits_0_on_a_ready_desktop_and_1_when_the_time_runs_out(leap0: Leap0) -> None:
    ready = leap0("wait", "--timeout", "30", "--json")
    assert ready.returncode == 0, ready.stderr
    assert json.loads(ready.stdout)["ready"] is True

    with cutting_proxy(leap0.host.url) as proxy:
        proxy.down = True
        late = leap0("wait", "--timeout", "1.5", "--url", proxy.url, target=False)
    assert late.returncode == 1
    assert "not ready after 1.5 s" in late.stderr


def _lines(stream: Any, count: int, limit: float = 30.0) -> list[str]:
    """``count`` lines from ``stream``, or what came within ``limit`` seconds."""
    got: list[str] = []
    reader = threading.Thread(
        target=lambda: got.extend(stream.readline() for _ in range(count)), daemon=True
    )
    reader.start()
    reader.join(limit)
    return got


def test_status_watch_prints_a_line_per_change_until_ctrl_c(leap0: Leap0) -> None:
    watch = leap0.popen("status", "--watch")
    try:
        table = _lines(watch.stdout, 6)  # printed once the stream is live
        assert table[0].startswith("status: running"), table
        with httpx.Client(base_url=leap0.host.url, timeout=60) as http:
            answer = http.post(
                "/api/process/x11vnc/restart",
                headers={"Authorization": f"Bearer {leap0.host.token}"},
            )
        assert answer.status_code == 200
        lines = _lines(watch.stdout, 2)
        assert len(lines) == 2, lines
        assert "degraded 3/4 (x11vnc down)" in lines[0], lines
        assert "running 4/4" in lines[1], lines
    finally:
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=20) == 130


# ── processes ──


def test_restart_needs_yes_without_a_terminal(leap0: Leap0) -> None:
    refused = leap0("restart", "novnc")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr

    unknown = leap0("restart", "nope", "--yes")
    assert unknown.returncode == 4
    assert "xvfb, xfce4, x11vnc, novnc" in unknown.stderr

    restarted = leap0.json("restart", "novnc", "--yes")
    assert restarted["status"]["name"] == "novnc" and restarted["status"]["running"]
    assert leap0("wait", "--timeout", "30").returncode == 0


def test_restart_asks_on_a_terminal(leap0: Leap0) -> None:
    code, output = _on_pty(leap0.argv("restart", "novnc"), leap0.env, leap0.cwd, b"n\n")
    assert code == 1, output
    assert f"Restart novnc on {leap0.host.url}? [y/N]" in output
    assert "Not restarting: nothing was done." in output

    code, output = _on_pty(leap0.argv("restart", "novnc"), leap0.env, leap0.cwd, b"y\n")
    assert code == 0, output
    assert "pid" in output
    assert leap0("wait", "--timeout", "30").returncode == 0


def test_colour_on_a_terminal_only_and_never_with_no_color(leap0: Leap0) -> None:
    code, output = _on_pty(leap0.argv("status"), leap0.env, leap0.cwd)
    assert code == 0 and "\x1b[32mrunning" in output
    code, output = _on_pty(leap0.argv("status"), {**leap0.env, "NO_COLOR": "1"}, leap0.cwd)
    assert code == 0 and "\x1b[" not in output


def test_logs_prints_the_log_and_follows_it(leap0: Leap0) -> None:
    result = leap0("logs", "xfce4")
    assert result.returncode == 0
    assert "leap0 host: starting xfce4" in result.stdout
    assert leap0("logs", "nope").returncode == 4

    follow = leap0.popen("logs", "novnc", "-f")
    try:
        assert follow.stdout is not None
        time.sleep(2.5)  # the first fetch is printed
        before = leap0("logs", "novnc").stdout.count("leap0 host: starting novnc")
        assert leap0("restart", "novnc", "--yes").returncode == 0
        seen = 0
        deadline = time.monotonic() + 20
        text = ""
        while seen <= before and time.monotonic() < deadline:
            line = follow.stdout.readline()
            text += line
            seen = text.count("leap0 host: starting novnc")
        assert seen > 0, text
    finally:
        follow.send_signal(signal.SIGINT)
        assert follow.wait(timeout=20) == 130
    assert leap0("wait", "--timeout", "30").returncode == 0


# ── screenshot ──


def test_screenshot_to_a_new_timestamped_file_to_a_file_and_to_stdout(
    leap0: Leap0, tmp_path: Path
) -> None:
    first = leap0("screenshot")
    assert first.returncode == 0, first.stderr
    path = Path(first.stdout.strip())
    assert path.parent == tmp_path and path.name.startswith("screenshot-")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1440, 900)

    saved = leap0.json("screenshot", "-o", "corner.jpg", "--format", "jpeg", "--quality", "60",
                       "--region", "0,0,320,200")  # fmt: skip
    assert saved == {"path": "corner.jpg", "bytes": saved["bytes"], "format": "jpeg"}
    with Image.open(tmp_path / "corner.jpg") as image:
        assert image.format == "JPEG" and image.size == (320, 200)

    exists = leap0("screenshot", "-o", "corner.jpg")
    assert exists.returncode == 1 and "--force" in exists.stderr
    assert leap0("screenshot", "-o", "corner.jpg", "--force").returncode == 0

    raw = subprocess.run(
        leap0.argv("screenshot", "-o", "-"), cwd=tmp_path, env=leap0.env, capture_output=True
    )
    assert raw.returncode == 0 and raw.stdout.startswith(b"\x89PNG\r\n\x1a\n")

    assert leap0("screenshot", "--quality", "50").returncode == 2  # JPEG only
    assert leap0("screenshot", "--region", "1,2,3").returncode == 2
    outside = leap0("screenshot", "--region", "0,0,5000,10")
    assert outside.returncode == 1 and "400" in outside.stderr


# ── recordings ──


def test_record_recordings_download_and_rm(leap0: Leap0, tmp_path: Path) -> None:
    started = leap0.json("record", "start")
    assert started["active"] is True and started["id"]
    again = leap0("record", "start")
    assert again.returncode == 5 and "409" in again.stderr
    time.sleep(1.5)
    stopped = leap0.json("record", "stop")
    assert stopped["id"] == started["id"] and stopped["active"] is False
    assert "not recording" in leap0("record", "status").stdout

    listed = leap0.json("recordings")
    assert isinstance(listed, list)
    (mine,) = [r for r in listed if r["id"] == started["id"]]
    assert set(mine) >= {"id", "file_name", "size_bytes", "created_at", "active"}

    downloaded = leap0.json("recordings", "download", mine["id"], "-o", "videos/")
    path = Path(downloaded["path"])
    assert path == Path("videos") / mine["file_name"]
    on_host = Path(leap0.host.recordings_dir) / mine["file_name"]
    assert (tmp_path / path).read_bytes() == on_host.read_bytes()
    exists = leap0("recordings", "download", mine["id"], "-o", "videos/")
    assert exists.returncode == 1 and "--force" in exists.stderr

    assert leap0("recordings", "rm", mine["id"]).returncode == 2  # no terminal, no --yes
    assert leap0.json("recordings", "rm", mine["id"], "--yes") == {
        "id": mine["id"],
        "deleted": True,
    }
    gone = leap0("recordings", "download", mine["id"])
    assert gone.returncode == 4 and "404" in gone.stderr
    assert leap0("recordings", "rm", mine["id"], "--yes").returncode == 4


def test_a_download_cut_by_the_network_resumes_by_itself(leap0: Leap0, tmp_path: Path) -> None:
    started = leap0.json("record", "start")
    time.sleep(3)
    leap0.json("record", "stop")
    (mine,) = [r for r in leap0.json("recordings") if r["id"] == started["id"]]
    size = mine["size_bytes"]
    assert size > 4000
    with cutting_proxy(leap0.host.url) as proxy:
        # The first connection carries the metadata and a third of the body; the second
        # is cut half-way too.
        proxy.cuts.extend([Cut(size // 3, reset=True), Cut(size // 2)])
        result = leap0(
            "recordings", "download", mine["id"], "-o", "cut.mp4", "--url", proxy.url,
            target=False,
        )  # fmt: skip
        assert proxy.cut_done >= 2
    assert result.returncode == 0, result.stderr
    assert "waiting to resume (attempt 1" in result.stderr  # piped: a line per wait
    on_host = Path(leap0.host.recordings_dir) / mine["file_name"]
    assert (tmp_path / "cut.mp4").read_bytes() == on_host.read_bytes()
    assert leap0("recordings", "rm", mine["id"], "--yes").returncode == 0


def test_a_download_on_a_terminal_shows_a_progress_bar(leap0: Leap0, tmp_path: Path) -> None:
    started = leap0.json("record", "start")
    time.sleep(1.5)
    leap0.json("record", "stop")
    code, output = _on_pty(
        leap0.argv("recordings", "download", started["id"], "-o", "bar.mp4"),
        leap0.env,
        tmp_path,
    )
    assert code == 0, output
    assert f"{started['id']}.mp4" in output and "━" in output  # rich's bar, with the name
    assert (tmp_path / "bar.mp4").stat().st_size > 0
    assert leap0("recordings", "rm", started["id"], "--yes").returncode == 0


# ── input, display, open ──


def test_input_moves_clicks_and_types(leap0: Leap0) -> None:
    assert leap0("input", "move", "300", "200").returncode == 0
    shown = leap0.json("display")
    assert set(shown) == {"display", "pointer", "windows"}
    assert shown["pointer"] == {"x": 300, "y": 200}
    assert set(shown["display"]) == {"display", "width", "height"}
    assert any(w["class"] for w in shown["windows"])

    assert leap0.json("input", "click", "310", "210", "--button", "1") == {"x": 310, "y": 210}
    assert leap0.json("input", "type", "-") == {"ok": True}
    assert leap0("input", "type", "-", stdin="typed from stdin").returncode == 0
    assert leap0("input", "key", "Escape").returncode == 0
    assert leap0("input", "hotkey", "ctrl", "a").returncode == 0
    assert leap0("input", "scroll", "down", "--amount", "2").returncode == 0
    assert leap0("input", "scroll", "sideways").returncode == 2
    outside = leap0("input", "move", "99999", "1")
    assert outside.returncode == 1 and "400" in outside.stderr

    human = leap0("display")
    assert human.stdout.startswith("display :") and "pointer 310,210" in human.stdout


def test_open_prints_a_link_with_a_ticket_never_the_token(leap0: Leap0) -> None:
    result = leap0("open", "--print")
    assert result.returncode == 0
    url = result.stdout.strip()
    assert url.startswith(leap0.host.url + "/viewer/?ticket=")
    assert leap0.host.token not in url
    with httpx.Client(timeout=10) as browser:
        assert browser.get(url).status_code == 303

    shown = leap0.json("open", "--print")
    assert shown["opened"] is False and "ticket=" in shown["url"]


# ── sandboxes ──


@pytest.fixture
def control_plane() -> Iterator[str]:
    """Three sandboxes, paged as the spec says, for the key ``cp-key``."""
    sandboxes = [
        {
            "id": f"sbx-{n}",
            "template_id": "desktop",
            "state": "running" if n != 2 else "paused",
            "created_at": f"2026-12-0{n}T10:00:00Z",
        }
        for n in (1, 2, 3)
    ]

    async def listing(request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer cp-key":
            return JSONResponse({"message": "invalid API key"}, status_code=401)
        page = int(request.query_params.get("page", "1"))
        size = int(request.query_params.get("page_size", "20"))
        state = request.query_params.get("state")
        rows = [s for s in sandboxes if state is None or s["state"] == state]
        return JSONResponse(
            {"items": rows[(page - 1) * size : page * size], "total_items": len(rows)}
        )

    with serve(Starlette(routes=[Route("/v1/sandboxes", listing)])) as url:
        yield url


def test_sandboxes_lists_every_page(leap0: Leap0, control_plane: str) -> None:
    env = {"LEAP0_API_KEY": "cp-key", "LEAP0_BASE_URL": control_plane}
    result = leap0("sandboxes", target=False, env=env)
    assert result.returncode == 0, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == [
        "sbx-1",
        "sbx-2",
        "sbx-3",
    ]
    running = leap0("sandboxes", "--state", "running", "--json", target=False, env=env)
    assert [s["id"] for s in json.loads(running.stdout)] == ["sbx-1", "sbx-3"]

    refused = leap0("sandboxes", target=False, env={**env, "LEAP0_API_KEY": "wrong"})
    assert refused.returncode == 3 and "invalid API key" in refused.stderr
    no_key = leap0("sandboxes", target=False)
    assert no_key.returncode == 2 and "LEAP0_API_KEY" in no_key.stderr
    which = leap0("status", target=False, env=env)
    assert which.returncode == 2 and "--sandbox ID" in which.stderr


# ── the command line itself ──


def test_every_command_has_help_with_an_example(leap0: Leap0) -> None:
    from core.models import PROCESS_NAMES
    from tui.commands import NAMES
    from tui.commands.parser import PROCESSES

    assert PROCESSES == PROCESS_NAMES  # --help's copy, kept free of pydantic

    for name in sorted(NAMES):
        result = leap0(name, "--help", target=False)
        assert result.returncode == 0, name
        assert "examples:" in result.stdout and f"leap0-tui {name}" in result.stdout, name


def test_a_command_parses_with_its_own_parser_as_with_all_of_them() -> None:
    """A command builds only its own parser (start-up); it must be the very one the full
    parser holds: same help, same arguments, same usage errors."""
    import argparse

    from tui.commands import NAMES
    from tui.commands.parser import build_parser

    def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return dict(action.choices)

    everything = commands(build_parser())
    assert set(everything) == NAMES
    for name in NAMES:
        alone = commands(build_parser(only=name))
        assert list(alone) == [name]
        assert alone[name].format_help() == everything[name].format_help(), name
    argv = ["--profile", "lab", "input", "scroll", "down", "--amount", "3", "--url", "http://x"]
    assert build_parser(only="input").parse_args(argv) == build_parser().parse_args(argv)


def test_bash_completion_completes_commands_and_their_words(leap0: Leap0) -> None:
    script = leap0("completion", "bash", target=False).stdout

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in ["leap0-tui", *words])
        code = (
            f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words)}; _leap0_tui; "
            'printf "%s\\n" "${COMPREPLY[@]}"'
        )
        result = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=20)
        return result.stdout.split()

    assert complete("rec") == ["record", "recordings"]
    assert complete("record", "s") == ["start", "stop", "status"]
    assert complete("recordings", "d") == ["download"]
    assert "--json" in complete("status", "--")


def test_a_command_loads_neither_textual_nor_the_dashboard() -> None:
    loaded = loaded_modules(
        "tui.commands.run, tui.commands.status, tui.commands.media, tui.commands.control, "
        "tui.commands.processes, tui.commands.sandboxes, core.session",
        ("textual", "textual_image", "tui.app", "tui.screens", "tui.widgets", "PIL", "rich"),
    )
    assert loaded == []


_PROBE = """
import gc, json, ssl, sys

contexts = []
make_context = ssl.create_default_context


def counted(*args, **kwargs):
    contexts.append(kwargs)
    return make_context(*args, **kwargs)


ssl.create_default_context = counted
from tui.__main__ import main

code = main(sys.argv[2:])
from pydantic import BaseModel
import core.models

report = {
    "exit": code,
    "modules": [name for name, module in sys.modules.items() if module is not None],
    "tls_contexts": len(contexts),
    "models_built": sorted(
        name for name, value in vars(core.models).items()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__pydantic_complete__
    ),
    "frozen": gc.get_freeze_count(),
    "collecting": gc.isenabled(),
}
with open(sys.argv[1], "w") as out:
    json.dump(report, out)
"""


def test_status_loads_only_what_it_uses(leap0: Leap0, tmp_path: Path) -> None:
    """``status --json`` against an http:// desktop, run as a script runs it, costs only
    what it uses (each item was start-up time, benchmarks/cli_startup.py): none of the
    dashboard, rich or Pillow; nothing of the other commands' (downloads, the status
    stream); no TLS context; of the wire models, only the one it reads is built; and
    start-up's objects are frozen out of garbage collection, which is back on."""
    report_path = tmp_path / "report.json"
    probe = [sys.executable, "-c", _PROBE, str(report_path)]
    result = subprocess.run(
        [*probe, "status", "--json", "--url", leap0.host.url],
        cwd=leap0.cwd,
        env=leap0.env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "running"
    report = json.loads(report_path.read_text())
    assert report["exit"] == 0
    watched = (
        *("textual", "textual_image", "tui.app", "tui.screens", "tui.widgets", "PIL", "rich"),
        *("core.downloads", "core.status_stream", "core.status_feed", "httpx_sse"),
    )
    loaded = [m for m in report["modules"] if any(m == w or m.startswith(w + ".") for w in watched)]
    assert loaded == []
    assert report["tls_contexts"] == 0
    assert report["models_built"] == ["DesktopProcessStatusList"]
    assert report["frozen"] > 10_000
    assert report["collecting"]
