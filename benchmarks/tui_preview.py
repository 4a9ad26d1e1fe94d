"""Benchmark: the screenshot preview's frame rate in live mode and what it costs in CPU.

    ./dev bench tui_preview [--seconds 8] [--size 120x36] [--renderers halfcell-frame,...]

Starts a local desktop host (1440x900, as a Leap0 desktop), mounts one ``ScreenPreview``
filling a headless Textual app of ``--size`` cells (120x36: the issue's terminal; the
preview pane of the real dashboard is smaller, so this is the costly end), and measures,
for each renderer and each screen:

* **live**: frames per second the preview shows with ``l`` (live mode) on, and the
  process's CPU time over wall time (the app's event loop and its decoding thread; the
  host is another process) - goal: >= 10 fps;
* **default**: CPU over wall time at the default refresh (``Settings().preview_interval``,
  1 s) - goal: under 10 % of a core;
* **paused**: CPU over wall time with the preview paused (the app's idle floor).

Screens: ``static`` (the xfce desktop, nothing moving) and ``busy`` (a maximised xterm
redrawing a full screen of text ten times a second, so nearly every frame differs nearly
everywhere). The busy screen is throttled on purpose: the local host shares this machine,
and an xterm scrolling flat out takes enough CPU from it to double the screenshot latency,
which would measure the host's contention rather than the preview.

Renderers: ``halfcell-frame`` (:class:`tui.widgets.halfcell.HalfcellFrame`, what
the preview uses where the terminal has no Kitty or Sixel graphics, e.g. under tmux),
``symbols`` (:class:`tui.widgets.symbols.SymbolsFrame`, Chafa's mosaics: the ``symbols``
mode, what ``auto`` picks without graphics), ``halfcell`` (textual-image's own
``HalfcellImage``, the named baseline) and ``unicode`` (textual-image's ``UnicodeImage``).
Kitty and Sixel are not measured here: a headless app writes to no terminal; see
``real_terminals.py`` for every mode in real terminals (xterm, mlterm, kitty under Xvfb).

The app is headless (``App.run_test``): everything up to the strips Textual would write is
measured; writing the escape sequences to a real terminal is not. Prints one table and the
ratios against the baseline. Everything it writes lives in one directory under /tmp,
removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widget import Widget
from textual_image.widget import HalfcellImage, UnicodeImage

from core.config import Settings
from core.desktop import AsyncDesktopClient
from core.transport import AsyncTransport
from tui.local import LocalHost
from tui.widgets.halfcell import HalfcellFrame
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.symbols import SymbolsFrame

RENDERERS: dict[str, type[Widget]] = {
    "halfcell-frame": HalfcellFrame,
    "symbols": SymbolsFrame,
    "halfcell": HalfcellImage,
    "unicode": UnicodeImage,
}
BASELINE = "halfcell"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    screen: str
    renderer: str
    live_fps: float
    live_cpu: float
    live_latency_ms: float
    host_cpu_per_frame_ms: float
    default_cpu: float
    default_frames: int
    paused_cpu: float


class Harness(App[None]):
    """One preview filling the screen."""

    def __init__(self, preview: ScreenPreview) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        yield self.preview


def host_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (the host's API server)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def measure(
    client: AsyncDesktopClient,
    url: str,
    host_pid: int,
    screen: str,
    name: str,
    size: tuple[int, int],
    seconds: float,
    download_dir: Path,
) -> Result:
    settings = Settings(download_dir=download_dir)
    # Each renderer is measured itself, live mode included (no half-cell stand-in).
    preview = ScreenPreview(client, url, settings, renderer=RENDERERS[name], live_stand_in=False)
    app = Harness(preview)
    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + 30
        while preview.frame is None:
            if time.monotonic() > deadline:
                raise SystemExit(f"no frame after 30 s: {preview.error}")
            await pilot.pause(0.05)

        # Live mode.
        await pilot.press("l")
        await pilot.pause(1.0)  # warm up
        frames, cpu, wall = preview.frame_count, time.process_time(), time.monotonic()
        host = host_cpu_seconds(host_pid)
        latencies: list[float] = []
        end = wall + seconds
        while time.monotonic() < end:
            await pilot.pause(0.1)
            if preview.frame is not None:
                latencies.append(preview.frame.latency)
        wall = time.monotonic() - wall
        shown = preview.frame_count - frames
        live_fps = shown / wall
        live_cpu = (time.process_time() - cpu) / wall
        host_per_frame = (host_cpu_seconds(host_pid) - host) / max(1, shown)
        latencies.sort()

        # The default refresh.
        await pilot.press("l")
        await pilot.pause(1.5)
        frames, cpu, wall = preview.frame_count, time.process_time(), time.monotonic()
        await pilot.pause(max(seconds, 10.0))
        wall = time.monotonic() - wall
        default_cpu = (time.process_time() - cpu) / wall
        default_frames = preview.frame_count - frames

        # Paused.
        await pilot.press("p")
        await pilot.pause(1.0)
        cpu, wall = time.process_time(), time.monotonic()
        await pilot.pause(max(seconds / 2, 4.0))
        paused_cpu = (time.process_time() - cpu) / (time.monotonic() - wall)

    return Result(
        screen=screen,
        renderer=name,
        live_fps=live_fps,
        live_cpu=live_cpu,
        live_latency_ms=1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        host_cpu_per_frame_ms=1000 * host_per_frame,
        default_cpu=default_cpu,
        default_frames=default_frames,
        paused_cpu=paused_cpu,
    )


def start_busy_screen(
    display: str,
    xauthority: str | None,
    loop: str = "ls -l /usr/bin | tail -80; sleep 0.1",
    font_size: int = 10,
) -> subprocess.Popen[bytes]:
    """A maximised xterm on ``display`` running the shell ``loop`` again and again (by
    default, redrawing a screen of text ten times a second)."""
    env = dict(os.environ, DISPLAY=display, XAUTHORITY=xauthority or "")
    return subprocess.Popen(
        ["xterm", "-maximized", "-fa", "Monospace", "-fs", str(font_size),
         "-e", "sh", "-c", f"while :; do {loop}; done"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


async def run(args: argparse.Namespace, work: Path) -> list[Result]:
    width, height = (int(part) for part in args.size.lower().split("x"))
    env = dict(os.environ, LEAP0_RECORDINGS_DIR=str(work / "recordings"))
    host = LocalHost(log_path=work / "host.log", env=env)
    print("starting a local desktop host…", flush=True)
    desktop = await asyncio.to_thread(host.start)
    results: list[Result] = []
    try:
        async with AsyncDesktopClient(AsyncTransport(api_key=desktop.token)) as client:
            info = await client.display_info(desktop.url)
            print(f"desktop {desktop.url}: {info.width}x{info.height} on {info.display}")
            await asyncio.sleep(2.0)  # let xfce finish drawing
            for screen in ("static", "busy"):
                busy = None
                if screen == "busy":
                    busy = start_busy_screen(info.display, desktop.xauthority)
                try:
                    if busy is not None:
                        await asyncio.sleep(2.0)
                    for name in args.renderers.split(","):
                        result = await measure(
                            client,
                            desktop.url,
                            desktop.pid,
                            screen,
                            name,
                            (width, height),
                            args.seconds,
                            work / "downloads",
                        )
                        results.append(result)
                        print(
                            f"  {screen:6} {name:15} live {result.live_fps:5.1f} fps "
                            f"{100 * result.live_cpu:5.1f} % CPU · default "
                            f"{100 * result.default_cpu:4.1f} % · paused "
                            f"{100 * result.paused_cpu:4.1f} %",
                            flush=True,
                        )
                finally:
                    if busy is not None:
                        stop(busy)
    finally:
        await asyncio.to_thread(host.stop)
    return results


def report(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(
        f"Preview of a 1440x900 desktop in a {args.size} app, JPEG q70 frames, "
        f"{args.seconds:g} s per live measurement; CPU = this process's CPU time / wall time"
    )
    header = (
        f"{'screen':7} {'renderer':15} {'live fps':>8} {'live CPU':>8} {'app/frame':>9} "
        f"{'latency':>8} {'host/frame':>10} {'1 s CPU':>8} {'paused':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.screen:7} {r.renderer:15} {r.live_fps:8.1f} {100 * r.live_cpu:7.1f}% "
            f"{1000 * r.live_cpu / max(r.live_fps, 1e-9):7.1f}ms "
            f"{r.live_latency_ms:6.0f}ms {r.host_cpu_per_frame_ms:8.1f}ms "
            f"{100 * r.default_cpu:7.1f}% {100 * r.paused_cpu:6.1f}%"
        )
    print(
        "app/frame: this process's CPU per frame shown in live mode (what the preview itself "
        "costs); latency: median screenshot request, asking to decoded; host/frame: the host "
        "API process's CPU per frame (Xvfb not counted)"
    )
    print()
    print(f"Against textual-image's HalfcellImage ({BASELINE!r}):")
    by_key = {(r.screen, r.renderer): r for r in results}
    for r in results:
        base = by_key.get((r.screen, BASELINE))
        if base is None or r.renderer == BASELINE:
            continue
        fps_ratio = r.live_fps / base.live_fps if base.live_fps else float("inf")
        cpu_ratio = r.default_cpu / base.default_cpu if base.default_cpu else float("nan")
        print(
            f"  {r.screen:7} {r.renderer:15} live fps x{fps_ratio:.2f}, "
            f"CPU at the default refresh x{cpu_ratio:.2f}"
        )
    print()
    main = [r for r in results if r.renderer == "halfcell-frame"]
    if main:
        worst_fps = min(r.live_fps for r in main)
        worst_cpu = max(r.default_cpu for r in main)
        print(
            f"Goals (halfcell-frame, worst screen): live {worst_fps:.1f} fps (>= 10: "
            f"{'met' if worst_fps >= 10 else 'NOT met'}), default refresh "
            f"{100 * worst_cpu:.1f} % of a core (< 10 %: "
            f"{'met' if worst_cpu < 0.10 else 'NOT met'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="live measurement length")
    parser.add_argument("--size", default="120x36", help="app size in cells (120x36)")
    parser.add_argument(
        "--renderers",
        default=",".join(RENDERERS),
        help=f"comma-separated, of: {', '.join(RENDERERS)}",
    )
    args = parser.parse_args()
    unknown = set(args.renderers.split(",")) - set(RENDERERS)
    if unknown:
        parser.error(f"unknown renderer(s): {', '.join(sorted(unknown))}")
    work = Path(tempfile.mkdtemp(prefix="leap0-bench-preview-"))
    try:
        results = asyncio.run(run(args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, args)


if __name__ == "__main__":
    main()
