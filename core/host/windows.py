"""The display's top-level windows, as the window manager lists them (``wmctrl -lpGx``).

``wmctrl -lpGx`` prints one line per managed window, which maps one to one onto the API's
WindowInfo: id, desktop (-1 for sticky windows), pid, x, y, width, height, class
(``res_name.res_class``), client machine, title. The focused window is the root's
``_NET_ACTIVE_WINDOW``. Without a window manager (xfce4 down) there is no client list and
the list is empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from core.host.errors import HostUnavailableError
from core.host.processes import run_command
from core.models import DesktopWindow

__all__ = ["list_windows", "parse_wmctrl"]


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _window_id(value: str) -> int | None:
    try:
        return int(value, 16 if value.lower().startswith("0x") else 10)
    except ValueError:
        return None


def parse_wmctrl(output: str, active: int | None) -> list[DesktopWindow]:
    """Windows from ``wmctrl -lpGx`` output; ``active`` is the focused window's id."""
    windows: list[DesktopWindow] = []
    for line in output.splitlines():
        parts = line.split(None, 8)
        if len(parts) < 8:
            continue
        wid, desktop, pid, x, y, width, height, klass = parts[:8]
        rest = parts[8] if len(parts) > 8 else ""
        host, _, title = rest.partition(" ")
        number = _window_id(wid)
        pid_value = _int(pid)
        windows.append(
            DesktopWindow(
                id=f"0x{number:08x}" if number is not None else wid,
                desktop=_int(desktop),
                pid=pid_value if pid_value else None,
                x=_int(x),
                y=_int(y),
                width=_int(width),
                height=_int(height),
                window_class=None if klass == "N/A" else klass,
                host=None if host in ("", "N/A") else host,
                title=title.strip(),
                focused=number is not None and number == active,
            )
        )
    return windows


async def _active_window(env: Mapping[str, str]) -> int | None:
    try:
        result = await run_command(["xprop", "-root", "_NET_ACTIVE_WINDOW"], env=env, time_limit=5)
    except HostUnavailableError:
        return None
    # _NET_ACTIVE_WINDOW(WINDOW): window id # 0x1400003
    _, _, tail = result.stdout.partition("#")
    first = tail.strip().split(",")[0].strip()
    number = _window_id(first) if first else None
    return number or None


async def list_windows(env: Mapping[str, str]) -> list[DesktopWindow]:
    """The managed top-level windows of the display in ``env["DISPLAY"]``.

    Raises :class:`HostUnavailableError` when wmctrl is not installed.
    """
    listing, active = await asyncio.gather(
        run_command(["wmctrl", "-lpGx"], env=env, time_limit=5), _active_window(env)
    )
    if listing.returncode != 0:
        return []  # no EWMH window manager running: no client list to read
    return parse_wmctrl(listing.stdout, active)
