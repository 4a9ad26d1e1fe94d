"""Benchmark: the live preview in real terminal emulators, as the screen shows it.

    ./dev bench real_terminals [--seconds 10] [--sizes 120x36,240x70] [--only xterm-sixel,...]

Starts a local desktop host (1440x900) with a maximised xterm scrolling a line about 30
times a second on it (so every frame differs on the screen), an X display of its own for
the terminals (Xvfb, as shared/TERMINALS.md sets them up), and for each terminal and size
runs the dashboard in that terminal on that desktop (``--url``, the token in the
environment), zooms the preview (``z``) and turns live mode on (``l``), then for
``--seconds``:

* grabs a band across the middle of the preview's picture off the terminal's display
  (mss), up to 60 times a second, and counts **distinct frames/s** (grabs that differ from
  the one before, per second: what the user sees change; a grab between two halves of a
  Sixel draw counts as one more) and **blank grabs** (the band one flat colour: the pane
  cleared and the image not drawn yet; goal 0); the grabs/s are printed too (distinct
  frames/s cannot exceed them);
* counts the frames the **app drew** a second (``benchmarks/frame_probe``, on the app's
  ``PYTHONPATH``): a frame drawn in bands (Sixel) shows as several distinct grabs, so the
  frame-rate goal is checked against the lower of the two; with the app's CPU milliseconds
  a frame drawn (15 frames a second in half a core leave 33);
* reads the CPU time of the **app** (the dashboard's process and its threads; **loop**:
  its main thread alone, where Textual and the HTTP client run, the rest being decoding
  threads and Textual's writer), of the **terminal** and of the terminals' **X server**
  (where xterm and mlterm draw), each over wall time, in % of one core; and how much the
  app **wrote** (MB/s: to the terminal, and for kitty on this machine the frames' shared
  memory objects).

Terminals: ``xterm-sixel`` (xterm -ti vt340, Sixel), ``mlterm`` (Sixel), ``kitty`` (kitty
graphics, direct placement: kitty 0.26 here), ``xterm-symbols`` and ``xterm-halfcell``
(xterm without graphics, the two text renderers). A terminal not installed is skipped with
a line saying so. Goals: >= 15 frames/s, no blank grab and < 50 % of a core (app) for
Sixel and kitty; >= 20 frames/s for symbols.

The grabbing shares the machine: it takes CPU the terminal and the app would otherwise
have (printed as ``grabber`` CPU). Everything written lives in one directory under /tmp,
removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import mss
import mss.tools

from core.desktop import AsyncDesktopClient
from core.transport import AsyncTransport
from tui.local import LocalHost
from tui.widgets.screen_preview import PREVIEW_JPEG_QUALITY

sys.path.insert(0, str(Path(__file__).parent))
from figures import percentile
from tui_preview import start_busy_screen, stop

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GRABS_PER_SECOND = 60
TEXT_ENV = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}


@dataclass(frozen=True)
class Terminal:
    name: str
    program: str
    mode: str  # the app's --graphics
    goal_fps: float


TERMINALS = [
    Terminal("xterm-sixel", "xterm", "sixel", 15),
    Terminal("mlterm", "mlterm", "sixel", 15),
    Terminal("kitty", "kitty", "kitty", 15),
    Terminal("xterm-symbols", "xterm", "symbols", 20),
    Terminal("xterm-halfcell", "xterm", "halfcell", 15),
]


def terminal_command(terminal: Terminal, size: tuple[int, int], app: list[str]) -> list[str]:
    """The command that opens ``terminal`` at ``size`` cells running ``app``."""
    cols, rows = size
    wrapped = ["env", *(f"{k}={v}" for k, v in TEXT_ENV.items()), *app]
    if terminal.program == "xterm":
        sixel = (
            [
                "-ti",
                "vt340",
                "-xrm",
                "XTerm*decTerminalID: vt340",
                "-xrm",
                "XTerm*numColorRegisters: 256",
            ]
            if terminal.mode == "sixel"
            else []
        )
        font = ["-fa", "Monospace", "-fs", "10" if cols <= 160 else "7"]
        return ["xterm", *sixel, "-geometry", f"{cols}x{rows}+0+0", *font, "-e", *wrapped]
    if terminal.program == "mlterm":
        font = ["-w", "12" if cols <= 160 else "9"]
        return ["mlterm", "-g", f"{cols}x{rows}+0+0", *font, "-e", *wrapped]
    font = ["-o", f"font_size={10 if cols <= 160 else 7}"]
    return [
        "kitty",
        "--config",
        "NONE",
        *font,
        "-o",
        f"initial_window_width={cols}c",
        "-o",
        f"initial_window_height={rows}c",
        "-o",
        "remember_window_size=no",
        *app,
    ]


def start_moving_screen(display: str, xauthority: str | None) -> subprocess.Popen[bytes]:
    """A maximised xterm on ``display`` scrolling a new line (a clock to the microsecond)
    about 30 times a second: every frame of the desktop differs from the one before, so
    each frame the terminal shows is a new picture on its screen."""
    loop = "date +'%T.%N  the quick brown fox jumps over the lazy dog'; sleep 0.03"
    return start_busy_screen(display, xauthority, loop=loop, font_size=14)


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU seconds of process ``pid`` and its threads, or of its one thread
    ``thread`` (0 once it is gone)."""
    stat = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    try:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def written_bytes(pid: int) -> int:
    """Bytes process ``pid`` has written so far (``wchar``: to the terminal, mostly)."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every process under ``pid``."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def app_pid(terminal_pid: int) -> int | None:
    """The dashboard's process under the terminal (a python running ``-m tui``)."""
    for pid in descendants(terminal_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tui" in cmdline and any(b"python" in part for part in cmdline[:1]):
            return pid
    return None


def start_display(width: int, height: int) -> tuple[subprocess.Popen[bytes], str]:
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    return server, f":{number}"


def xdotool(display: str, *args: str) -> str:
    result = subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
    )
    return result.stdout.strip()


def window_of(
    display: str, terminal: subprocess.Popen[bytes], errors: Path, timeout: float = 45.0
) -> tuple[str, dict[str, int]]:
    """The terminal's window and its geometry on the screen. Raises ``RuntimeError`` saying
    whether the terminal exited (and the last line it wrote to ``errors``) or has no window
    yet."""
    pid = terminal.pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if terminal.poll() is not None:
            said = errors.read_text(errors="replace").strip().splitlines()
            last = f": {said[-1][:200]}" if said else ""
            raise RuntimeError(f"the terminal exited with {terminal.returncode}{last}")
        ids = xdotool(display, "search", "--pid", str(pid)).split()
        if ids:
            window = ids[-1]
            shape = dict(
                line.split("=", 1)
                for line in xdotool(display, "getwindowgeometry", "--shell", window).split()
            )
            box = {k: int(shape[k.upper()]) for k in ("x", "y", "width", "height")}
            if box["width"] > 50:
                return window, box
        time.sleep(0.3)
    raise RuntimeError(f"no window of pid {pid} on {display} after {timeout:.0f} s (still running)")


def keys(display: str, window: str, *names: str) -> None:
    xdotool(display, "windowfocus", "--sync", window)
    for name in names:
        xdotool(display, "key", "--delay", "80", name)
        time.sleep(0.8)


def flat(pixels: bytes, share: float = 0.97) -> bool:
    """One colour covers ``share`` of a BGRA buffer (sampled)."""
    sample = [pixels[i : i + 3] for i in range(0, len(pixels), 4 * 31)]
    return Counter(sample).most_common(1)[0][1] >= share * len(sample)


def picture_band(window: dict[str, int], size: tuple[int, int]) -> dict[str, int]:
    """A band across the middle of the preview's picture, in pixels: the zoomed preview
    pane's inside (within its border, above its status line and the footer), its middle
    third of rows. The scrolling desktop changes there in every frame; a third of the
    picture grabs three times as fast as the whole, so grabs outpace the frames."""
    cols, rows = size
    cw, ch = window["width"] / cols, window["height"] / rows
    inside = rows - 6  # header, border, status line, border, footer
    return {
        "left": window["x"] + round(2 * cw),
        "top": window["y"] + round((3 + inside // 3) * ch),
        "width": round((cols - 4) * cw),
        "height": round(max(1, inside // 3) * ch),
    }


def frames_shown(count: Path) -> int:
    """Frames the app's preview has shown so far (``benchmarks/frame_probe``)."""
    try:
        return int(count.read_text() or 0)
    except (OSError, ValueError):
        return 0


def measure_one(
    terminal: Terminal,
    size: tuple[int, int],
    display: str,
    server_pid: int,
    url: str,
    token: str,
    seconds: float,
    work: Path,
    profile: Path | None = None,
) -> str:
    home = work / f"home-{terminal.name}-{size[0]}"
    home.mkdir()
    app = [sys.executable, "-m", "tui", "--url", url, "--graphics", terminal.mode]
    env = {
        **os.environ,
        "DISPLAY": display,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'benchmarks' / 'frame_probe'}",
        "FRAME_PROBE_OUT": str(home / "frames"),
        "HOME": str(home),
        "LEAP0_CONFIG": str(home / "config.toml"),
        "LEAP0_DESKTOP_TOKEN": token,
        "LIBGL_ALWAYS_SOFTWARE": "1",
        **TEXT_ENV,
    }
    env.pop("LEAP0_API_KEY", None)
    env.pop("TMUX", None)
    errors = home / "terminal.err"
    with errors.open("wb") as sink:
        process = subprocess.Popen(
            terminal_command(terminal, size, app),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            start_new_session=True,
        )
    try:
        try:
            window, box = window_of(display, process, errors)
        except RuntimeError as exc:
            return f"{terminal.name:15} {size[0]}x{size[1]:<3} not measured: {exc}"
        time.sleep(6.0)  # the app starts and shows its first frame
        pid = app_pid(process.pid)
        if pid is None:
            return f"{terminal.name:15} {size[0]}x{size[1]:<3} the app did not start"
        keys(display, window, "2", "z", "l")
        time.sleep(2.0)  # live mode settles
        with mss.MSS(display=display) as grabber:
            region = picture_band(box, size)
            if os.environ.get("LEAP0_BENCH_SHOTS"):
                shot = grabber.grab({**box, "left": box["x"], "top": box["y"]})
                mss.tools.to_png(
                    shot.rgb,
                    shot.size,
                    output=f"{os.environ['LEAP0_BENCH_SHOTS']}/{terminal.name}-{size[0]}.png",
                )
            before = {
                "app": cpu_seconds(pid),
                "loop": cpu_seconds(pid, pid),
                "terminal": cpu_seconds(process.pid),
                "X": cpu_seconds(server_pid),
                "grabber": time.process_time(),
            }
            wrote = written_bytes(pid)
            drawn = frames_shown(home / "frames")
            profiler = None
            if profile is not None:
                profiler = subprocess.Popen(
                    [
                        "py-spy",
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(int(seconds)),
                        "--rate",
                        "200",
                        "--format",
                        "raw",
                        "--nonblocking",
                        "--output",
                        str(profile / f"{terminal.name}-{size[0]}x{size[1]}.txt"),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            hashes: list[bytes] = []
            blanks: dict[bytes, bool] = {}
            blank = 0
            started = time.monotonic()
            while time.monotonic() - started < seconds:
                tick = time.monotonic()
                pixels = grabber.grab(region).bgra
                digest = hashlib.blake2b(pixels, digest_size=16).digest()
                hashes.append(digest)
                if digest not in blanks:  # a picture seen before is not looked at again
                    blanks[digest] = flat(pixels)
                blank += blanks[digest]
                time.sleep(max(0.0, 1 / GRABS_PER_SECOND - (time.monotonic() - tick)))
            wall = time.monotonic() - started
            wrote = written_bytes(pid) - wrote
            drawn = frames_shown(home / "frames") - drawn
            if profiler is not None:
                profiler.wait(timeout=30)
            cpu = {
                "app": cpu_seconds(pid) - before["app"],
                "loop": cpu_seconds(pid, pid) - before["loop"],
                "terminal": cpu_seconds(process.pid) - before["terminal"],
                "X": cpu_seconds(server_pid) - before["X"],
                "grabber": time.process_time() - before["grabber"],
            }
        changes = sum(1 for a, b in itertools.pairwise(hashes) if a != b)
        fps = changes / wall
        goal = min(fps, drawn / wall) >= terminal.goal_fps and blank == 0
        if terminal.mode in ("sixel", "kitty"):
            goal = goal and cpu["app"] / wall < 0.5
        shares = "  ".join(f"{k} {100 * v / wall:3.0f} %" for k, v in cpu.items())
        # The app's CPU a frame drawn, against what the goal allows (Sixel and kitty: half
        # a core at goal_fps).
        per_frame = f"{1000 * cpu['app'] / drawn:3.0f} ms a frame" if drawn else "no frame"
        return (
            f"{terminal.name:15} {size[0]}x{size[1]:<3} {fps:5.1f} frames/s "
            f"(app drew {drawn / wall:4.1f}, {per_frame})  blank "
            f"{blank:3}/{len(hashes):<4} ({len(hashes) / wall:.0f} grabs/s)  CPU: {shares}  "
            f"app wrote {wrote / wall / 1e6:4.1f} MB/s   "
            f"goal {'met' if goal else 'NOT met'}"
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def start_desktop(work: Path):  # type: ignore[no-untyped-def]
    env = dict(os.environ, LEAP0_RECORDINGS_DIR=str(work / "recordings"))
    host = LocalHost(log_path=work / "host.log", env=env)
    desktop = await asyncio.to_thread(host.start)
    async with AsyncDesktopClient(AsyncTransport(api_key=desktop.token)) as client:
        info = await client.display_info(desktop.url)
    return host, desktop, info


async def screenshot_ms(url: str, token: str, count: int = 20) -> tuple[float, float]:
    """The host's screenshot latency as the preview asks for it (JPEG): median and p90 ms,
    the floor of the preview's frame time (it asks for the next frame after the last)."""
    times: list[float] = []
    async with AsyncDesktopClient(AsyncTransport(api_key=token)) as client:
        for _ in range(count):
            started = time.perf_counter()
            await client.screenshot(url, image_format="jpeg", quality=PREVIEW_JPEG_QUALITY)
            times.append(1000 * (time.perf_counter() - started))
    return percentile(times, 50), percentile(times, 90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sizes", default="120x36,240x70", help="terminal sizes in cells")
    parser.add_argument("--only", default="", help="comma-separated terminal names")
    parser.add_argument(
        "--profile",
        type=Path,
        help="a directory: profile the app with py-spy (on PATH) while measured (raw stacks)",
    )
    args = parser.parse_args()
    chosen = [t for t in TERMINALS if not args.only or t.name in args.only.split(",")]
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        raise SystemExit("Xvfb and xdotool are needed (shared/TERMINALS.md)")
    work = Path(tempfile.mkdtemp(prefix="leap0-bench-terminals-"))
    server, display = start_display(2560, 1600)
    host = None
    try:
        print("starting a local desktop host…", flush=True)
        host, desktop, info = asyncio.run(start_desktop(work))
        busy = start_moving_screen(info.display, desktop.xauthority)
        try:
            time.sleep(3.0)
            print(
                f"desktop {info.width}x{info.height}, scrolling; terminals on {display}; "
                f"{args.seconds:g} s each; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            for terminal in chosen:
                if shutil.which(terminal.program) is None:
                    print(f"{terminal.name:15} skipped: {terminal.program} is not installed")
                    continue
                for size_text in args.sizes.split(","):
                    cols, rows = (int(v) for v in size_text.lower().split("x"))
                    line = measure_one(
                        terminal,
                        (cols, rows),
                        display,
                        server.pid,
                        desktop.url,
                        desktop.token,
                        args.seconds,
                        work,
                        args.profile,
                    )
                    p50, p90 = asyncio.run(screenshot_ms(desktop.url, desktop.token))
                    print(
                        f"{line}   (load {os.getloadavg()[0]:.2f}; screenshot "
                        f"{p50:.0f} ms, p90 {p90:.0f})",
                        flush=True,
                    )
        finally:
            stop(busy)
    finally:
        if host is not None:
            host.stop()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
