"""Times every callback of the process's asyncio event loop (benchmarks only).

Put this folder on ``PYTHONPATH`` and name a file in ``LOOP_PROBE_OUT``: the process then
writes there, every second, each callback that held the main thread's loop longer than
20 ms, as JSON lines ``{"at": monotonic seconds at its end, "ms": how long, "in": where}``;
``where`` is the project's innermost frame (``tui/...``, ``core/...``) seen 30 ms into the
callback, if any. A callback that holds the loop is a frame that waits
(``benchmarks/fleet_stalls.py``).
"""

from __future__ import annotations

import asyncio.events
import json
import os
import sys
import threading
import time

_OUT = os.environ.get("LOOP_PROBE_OUT")
_LONG = 0.020
_LOOK = 0.030

if _OUT:
    _run = asyncio.events.Handle._run
    _main = threading.main_thread().ident
    _found: list[dict[str, object]] = []
    _lock = threading.Lock()
    _now: dict[str, object] = {"since": None, "seen": None}

    def _timed(self: asyncio.events.Handle) -> None:
        if threading.get_ident() != _main:
            _run(self)
            return
        started = time.perf_counter()
        _now["since"], _now["seen"] = started, None
        try:
            _run(self)
        finally:
            _now["since"] = None
            held = time.perf_counter() - started
            if held > _LONG:
                with _lock:
                    _found.append(
                        {"at": time.monotonic(), "ms": round(held * 1000, 1), "in": _now["seen"]}
                    )

    def _where() -> str | None:
        frame = sys._current_frames().get(_main)
        outer = None
        while frame is not None:
            name = frame.f_code.co_filename
            if "/tui/" in name or "/core/" in name:
                where = f"{name.rsplit('/', 2)[-2]}/{name.rsplit('/', 1)[-1]}"
                return f"{where}:{frame.f_lineno} {frame.f_code.co_name}"
            outer = outer or f"{name.rsplit('/', 1)[-1]} {frame.f_code.co_name}"
            frame = frame.f_back
        return outer

    def _watch() -> None:
        written = time.monotonic()
        while True:
            time.sleep(0.005)
            since = _now["since"]
            late = since is not None and time.perf_counter() - since > _LOOK  # type: ignore[operator]
            if late and _now["seen"] is None:
                _now["seen"] = _where()
            if time.monotonic() - written >= 1.0:
                written = time.monotonic()
                with _lock:
                    found = _found[:]
                    _found.clear()
                if found:
                    with open(_OUT, "a", encoding="utf-8") as out:
                        out.writelines(json.dumps(entry) + "\n" for entry in found)

    asyncio.events.Handle._run = _timed  # type: ignore[method-assign]
    threading.Thread(target=_watch, name="loop-probe", daemon=True).start()
