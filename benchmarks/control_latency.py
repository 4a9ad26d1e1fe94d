"""Benchmark: a click in control mode until the preview shows its effect.

    ./dev bench control_latency [--rounds 30] [--renderer halfcell|symbols]

Starts a local desktop host (``tui.local.LocalHost``, as ``leap0-tui`` does) and an xterm
on its display that repaints itself red or green at each mouse press it gets (X10 mouse
reports). The dashboard runs headless on it (``App.run_test``, 120x36), in control mode
(``i``: the preview live). Each round clicks on the xterm in the preview (the pilot's
mouse events on the cell over it) and times,

* from the mouse button's release reaching the preview (the click is queued for the
  desktop; the pilot's own pauses before it are not counted);
* **sent**: the desktop answered the click (``ControlSender``'s ``on_sent``);
* **shown**: the preview put on show the first frame in which the xterm has the new
  colour (sampled away from the click, where the pointer mark is not). It can come
  before "sent": the host answers a click after reading the pointer back.

Goal: p95 of "shown" <= 250 ms. Prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from figures import percentile, print_latencies

from core.config import load_settings
from core.desktop import AsyncDesktopClient, DesktopTarget
from core.transport import AsyncTransport
from tui.app import Leap0App
from tui.local import LocalHost
from tui.widgets.halfcell import HalfcellFrame
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.symbols import SymbolsFrame

XTERM_SCRIPT = (
    "stty raw -echo; printf '\\033[?9h\\033[42m\\033[2J'; n=0; "
    "while dd bs=6 count=1 >/dev/null 2>&1; do n=$((1-n)); "
    "if [ $n = 1 ]; then printf '\\033[41m\\033[2J'; else printf '\\033[42m\\033[2J'; fi; done"
)
"""Red at one press, green at the next (X10 mouse mode reports presses alone, 6 bytes)."""

RED, GREEN = (205, 0, 0), (0, 205, 0)


def colour_at(preview: ScreenPreview, point: tuple[int, int]) -> tuple[int, int, int] | None:
    frame = preview.frame
    if frame is None:
        return None
    image = frame.image
    x = point[0] * image.width // frame.width
    y = point[1] * image.height // frame.height
    pixel = image.getpixel((x, y))
    return pixel if isinstance(pixel, tuple) else None  # type: ignore[return-value]


def near(colour: tuple[int, int, int] | None, wanted: tuple[int, int, int]) -> bool:
    return colour is not None and sum(abs(a - b) for a, b in zip(colour, wanted, strict=True)) < 120


async def run(rounds: int, renderer: str) -> None:
    base = Path(tempfile.mkdtemp(prefix="leap0-bench-"))
    host = LocalHost(log_path=base / "host.log")
    print("starting a local desktop host…", flush=True)
    desktop = host.start()
    xterm: asyncio.subprocess.Process | None = None
    try:
        target = DesktopTarget(desktop.url, desktop.token)
        async with AsyncDesktopClient(AsyncTransport(api_key=desktop.token)) as client:
            info = await client.display_info(target)
            env = {
                "DISPLAY": info.display,
                "XAUTHORITY": desktop.xauthority or "",
                "PATH": "/usr/bin:/bin",
            }
            xterm = await asyncio.create_subprocess_exec(
                "xterm", "-geometry", "100x30+200+150", "-e", "sh", "-c", XTERM_SCRIPT, env=env
            )
            await asyncio.sleep(3)  # mapped and painted green
        settings = load_settings(
            url=desktop.url,
            token=desktop.token,
            config_path=base / "none.toml",
            download_dir=base,
            env={},
        )
        frame_class = SymbolsFrame if renderer == "symbols" else HalfcellFrame
        app = Leap0App(settings, image_renderer=frame_class)
        sent: list[float] = []
        shown: list[float] = []
        async with app.run_test(size=(120, 36)) as pilot:
            preview = app.screen.query_one(ScreenPreview)
            sample = (600, 400)  # inside the xterm, away from the click and its mark
            pending: dict[str, Any] = {}
            control_sent = preview._control_sent
            show_frame = preview.show_frame
            send = preview._send

            def spy_send(action: Any) -> None:
                pending.setdefault("queued", time.perf_counter())
                send(action)

            def spy_sent(action: object, result: object) -> None:
                control_sent(action, result)
                pending.setdefault("sent", time.perf_counter())

            def spy_show(frame: Any, *args: Any, **kwargs: Any) -> None:
                show_frame(frame, *args, **kwargs)
                wanted = pending.get("wanted")
                if (
                    wanted is not None
                    and "queued" in pending
                    and "shown" not in pending
                    and near(colour_at(preview, sample), wanted)
                ):
                    pending["shown"] = time.perf_counter()

            preview._control_sent = spy_sent  # type: ignore[method-assign]
            preview._send = spy_send  # type: ignore[method-assign]
            preview.show_frame = spy_show  # type: ignore[method-assign]
            # Before "i": the sender is given the spy.
            await pilot.press("i")
            deadline = time.monotonic() + 30
            while preview.image_box() is None or not near(colour_at(preview, (600, 400)), GREEN):
                if time.monotonic() > deadline:
                    raise SystemExit("benchmark: the xterm never showed green in the preview")
                await asyncio.sleep(0.05)
            box = preview.image_box()
            assert box is not None
            click_cell = tuple(int(v) for v in box.cell_of(300, 250))
            colour = GREEN
            for number in range(rounds):
                colour = RED if colour == GREEN else GREEN
                pending.clear()
                pending["wanted"] = colour
                await pilot.click(preview, offset=click_cell)
                deadline = time.monotonic() + 10
                while "shown" not in pending or "sent" not in pending:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"benchmark: round {number + 1} never showed its colour")
                    await asyncio.sleep(0.002)
                clicked = pending["queued"]
                sent.append((pending["sent"] - clicked) * 1000)
                shown.append((pending["shown"] - clicked) * 1000)
                print(
                    f"round {number + 1:2d}: sent {sent[-1]:6.1f} ms, shown {shown[-1]:6.1f} ms",
                    flush=True,
                )
                await asyncio.sleep(0.3)
            await pilot.press("ctrl+right_square_bracket")
            await pilot.pause()
        print()
        print(f"control latency, {rounds} clicks, {renderer}, 120x36 (ms)")
        print_latencies((("sent", sent), ("shown", shown)), 8)
        p95 = percentile(shown, 95)
        print(f"goal p95 <= 250 ms: {'met' if p95 <= 250 else 'NOT met'} ({p95:.1f} ms)")
    finally:
        if xterm is not None and xterm.returncode is None:
            xterm.terminate()
            await xterm.wait()
        host.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--renderer", default="halfcell", choices=("halfcell", "symbols"))
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.renderer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
