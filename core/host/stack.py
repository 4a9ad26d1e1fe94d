"""What each of the desktop's four processes is: its program, command line and readiness.

::

    xvfb    Xvfb on a free display (``-displayfd``), WIDTHxHEIGHTx24, ``-noreset``
    xfce4   dbus-run-session -- xfce4-session        (a D-Bus session of its own;
            ready once its window manager and panel are up, after a restart too)
    x11vnc  x11vnc on 127.0.0.1:VNC_PORT, password from a 0600 file
    novnc   websockify 127.0.0.1:WS_PORT -> 127.0.0.1:VNC_PORT (the host serves noVNC's
            files from /usr/share/novnc and joins the browser's WebSocket to it)

One :class:`ProcessSpec` per process, in :data:`PROCESSES`; the supervisor
(:mod:`core.host.supervisor`) reads it and does the starting, watching and stopping.
No I/O here but the readiness checks themselves.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from core.host.errors import HostUnavailableError
from core.host.network import port_ready
from core.host.processes import missing_message, run_command, which
from core.models import ProcessName

__all__ = ["NOVNC_WEB_DIR", "PROCESSES", "Launch", "ProcessSpec", "ReadyCheck"]

NOVNC_WEB_DIR = Path("/usr/share/novnc")
"""Where Debian's ``novnc`` package keeps the web client."""

ReadyCheck = Callable[[], Awaitable[bool]]
"""Asked again and again until it says ``True`` (the process is ready) or time runs out."""


@dataclass(frozen=True, slots=True)
class Launch:
    """What a process's command line and readiness check are built from, when it starts."""

    display: str | None
    """xvfb: the display to take again (``None``: any free one); the others: the display."""
    width: int
    height: int
    xauthority: Path
    vnc_port: int
    ws_port: int
    passwd_file: Path
    novnc_web: Path
    x_env: Mapping[str, str]
    """The environment for a helper command (xprop) on ``display``."""
    display_fd: int | None = None
    """xvfb: the pipe Xvfb writes its display number to (``-displayfd``)."""


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    """One managed process: what must be installed, how it is started, when it is ready."""

    name: ProcessName
    programs: tuple[str, ...]
    """Programs that must be on ``PATH`` (a missing one is named with its Debian package)."""
    argv: Callable[[Launch], list[str]]
    ready: Callable[[Launch], ReadyCheck] | None
    """``None``: ready once it reports its display number on ``display_fd`` (Xvfb)."""
    ready_timeout: float
    """Seconds it may take to become ready."""
    needs_display: bool = False
    """Draws on the display: cannot start without xvfb."""
    when_slow: str | None = None
    """``None``: not ready in time is a failure. Else what is still missing then, and the
    process is kept (a slow session is still a session)."""
    also_needs: Callable[[Launch], str | None] | None = None
    """A further check before starting: one line why it cannot start, or ``None``."""

    def missing(self, launch: Launch) -> str | None:
        """One line saying what is not installed, or ``None`` when all of it is."""
        for program in self.programs:
            if which(program) is None:
                return missing_message(program)
        return self.also_needs(launch) if self.also_needs is not None else None


def _xvfb_argv(launch: Launch) -> list[str]:
    assert launch.display_fd is not None
    argv = ["Xvfb"]
    if launch.display is not None:
        argv.append(launch.display)
    return [
        *argv,
        "-displayfd", str(launch.display_fd),
        "-screen", "0", f"{launch.width}x{launch.height}x24",
        "-nolisten", "tcp",
        "-noreset",
        "-auth", str(launch.xauthority),
        "-dpi", "96",
    ]  # fmt: skip


def _x11vnc_argv(launch: Launch) -> list[str]:
    assert launch.display is not None
    return [
        "x11vnc",
        "-display", launch.display,
        "-rfbport", str(launch.vnc_port),
        "-localhost",
        "-noipv6",
        "-forever",
        "-shared",
        "-passwdfile", str(launch.passwd_file),
        "-norc",
        "-noxdamage",
    ]  # fmt: skip


def _websockify_argv(launch: Launch) -> list[str]:
    return [
        "websockify",
        f"127.0.0.1:{launch.ws_port}",
        f"127.0.0.1:{launch.vnc_port}",
    ]


_WINDOW_ID = re.compile(r"window id # (0x[0-9a-fA-F]+)")


def _session_up(launch: Launch) -> ReadyCheck:
    """The window manager and (when installed) the panel are up.

    The root window's ``_NET_SUPPORTING_WM_CHECK`` outlives the window manager that set
    it (an X server keeps root properties), so after a restart it names the old one's
    window: the window it names must exist and name itself (as EWMH says), which only a
    running window manager's does. The panel is up once ``wmctrl -lx`` lists it.
    """

    async def xprop(*args: str) -> str | None:
        result = await run_command(["xprop", *args], env=launch.x_env, time_limit=5.0)
        return result.stdout if result.returncode == 0 else None

    async def check() -> bool:
        try:
            root = await xprop("-root", "_NET_SUPPORTING_WM_CHECK")
            found = _WINDOW_ID.search(root or "")
            if found is None:
                return False
            own = await xprop("-id", found[1], "_NET_SUPPORTING_WM_CHECK")
            own_id = _WINDOW_ID.search(own or "")
            if own_id is None or int(own_id[1], 16) != int(found[1], 16):
                return False
        except HostUnavailableError:
            return True  # no xprop to ask: take the session as it is
        if which("xfce4-panel") is None or which("wmctrl") is None:
            return True
        try:
            listing = await run_command(["wmctrl", "-lx"], env=launch.x_env, time_limit=5.0)
        except HostUnavailableError:
            return True
        return listing.returncode == 0 and "xfce4-panel" in listing.stdout.lower()

    return check


def _novnc_web_client(launch: Launch) -> str | None:
    if (launch.novnc_web / "vnc.html").is_file():
        return None
    return (
        f"noVNC's web client is not in {launch.novnc_web}: install the Debian "
        "package novnc (sudo apt-get install novnc)"
    )


PROCESSES: dict[ProcessName, ProcessSpec] = {
    "xvfb": ProcessSpec(
        name="xvfb",
        programs=("Xvfb",),
        argv=_xvfb_argv,
        ready=None,
        ready_timeout=15.0,
    ),
    "xfce4": ProcessSpec(
        name="xfce4",
        programs=("dbus-run-session", "xfce4-session"),
        argv=lambda launch: ["dbus-run-session", "--", "xfce4-session"],
        ready=_session_up,
        ready_timeout=30.0,  # the first start is the slow one
        needs_display=True,
        when_slow="no window manager or panel",
    ),
    "x11vnc": ProcessSpec(
        name="x11vnc",
        programs=("x11vnc",),
        argv=_x11vnc_argv,
        ready=lambda launch: port_ready(launch.vnc_port, banner=b"RFB "),
        ready_timeout=15.0,
        needs_display=True,
    ),
    "novnc": ProcessSpec(
        name="novnc",
        programs=("websockify",),
        argv=_websockify_argv,
        ready=lambda launch: port_ready(launch.ws_port),
        ready_timeout=15.0,
        also_needs=_novnc_web_client,
    ),
}
"""Every managed process, in the order they start."""
