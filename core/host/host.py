"""The local desktop: the supervised display stack, screen capture, input and recorder.

:class:`DesktopHost` is what the HTTP app (:mod:`core.host.app`) serves. It owns no HTTP:
it can be driven directly (tests, benchmarks) with :meth:`DesktopHost.start` and
:meth:`DesktopHost.stop`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from core.host.errors import HostUnavailableError
from core.host.input import XInput
from core.host.recorder import Recorder
from core.host.screen import Encoding, Region, ScreenCapture
from core.host.stack import NOVNC_WEB_DIR
from core.host.supervisor import StackConfig, StatusSubscription, Supervisor
from core.host.windows import list_windows
from core.logtail import read_tail
from core.models import (
    DesktopPointerPosition,
    DesktopProcessStatus,
    DesktopProcessStatusList,
    DesktopRecordingStatus,
    DesktopRecordingSummary,
    DesktopWindow,
    ProcessName,
)

__all__ = ["DesktopHost", "HostConfig", "new_host_id"]

log = logging.getLogger(__name__)


VNC_PASSWORD_CHARS = 8
"""VNC reads at most 8 characters of a password."""


def new_host_id() -> str:
    """A fresh id for one run of the host (tags its processes)."""
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class HostConfig:
    """Settings of one host run; ``run_dir`` holds its logs and the VNC password file."""

    token: str
    run_dir: Path
    recordings_dir: Path
    width: int = 1440
    height: int = 900
    host_id: str = ""
    novnc_web: Path = NOVNC_WEB_DIR
    bind: str = "127.0.0.1"
    """The API's listening address (the viewer is served there too, through the API's port;
    x11vnc and websockify listen on loopback only)."""


class DesktopHost:
    """One local desktop: its :class:`Supervisor`, :class:`ScreenCapture` and :class:`Recorder`.

    The one object the HTTP routes and the command line talk to.
    """

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.host_id = config.host_id or new_host_id()
        # Random for each run: only this host and a browser holding a viewer session
        # (core.host.viewer) ever need it.
        self.vnc_password = secrets.token_urlsafe(VNC_PASSWORD_CHARS)[:VNC_PASSWORD_CHARS]
        self._supervisor = Supervisor(
            StackConfig(
                width=config.width,
                height=config.height,
                run_dir=config.run_dir,
                host_id=self.host_id,
                vnc_password=self.vnc_password,
                novnc_web=config.novnc_web,
            )
        )
        self._capture = ScreenCapture(xauthority=self._supervisor.xauthority)
        self._recorder = Recorder(config.recordings_dir, self._supervisor.log_dir / "recording.log")
        self._typing = asyncio.Lock()

    # ── the host's life ──

    @property
    def closing(self) -> bool:
        return self._supervisor.closing

    @property
    def xauthority(self) -> Path:
        """The display's cookie file (``XAUTHORITY`` for X clients)."""
        return self._supervisor.xauthority

    @property
    def last_display(self) -> str | None:
        """The display Xvfb has or last had, whether or not it runs now."""
        return self._supervisor.last_display

    @property
    def recordings_dir(self) -> Path:
        return self._recorder.directory

    async def start(self) -> None:
        """Start the display stack; returns when every process is ready or has failed."""
        await self._supervisor.start()

    def begin_close(self) -> None:
        """Refuse further changes and end the status streams (:meth:`stop` follows)."""
        self._supervisor.begin_close()

    async def stop(self) -> None:
        """Finish the recording, stop every process the host started, release the capture."""
        self._supervisor.begin_close()
        try:
            await self._recorder.close()
        except Exception:
            log.exception("stopping the recording failed")
        await self._supervisor.stop()
        self._capture.close()

    # ── the display ──

    def display(self) -> str:
        """The running display (``":N"``); :class:`HostUnavailableError` when Xvfb is down."""
        display = self._supervisor.display
        if display is None:
            raise HostUnavailableError("the display is not running (xvfb is stopped): restart xvfb")
        return display

    def screen_size(self) -> tuple[int, int]:
        return self._supervisor.width, self._supervisor.height

    async def resize(self, width: int, height: int) -> None:
        """Restart the display stack at a new size (finishing any recording first)."""
        if (width, height) != self.screen_size() or self._supervisor.display is None:
            await self._recorder.close()
        await self._supervisor.resize(width, height)

    async def windows(self) -> list[DesktopWindow]:
        """The display's top-level windows (503 when the display or wmctrl is missing)."""
        return await list_windows(self._supervisor.x_env(self.display()))

    async def screenshot(self, region: Region, encoding: Encoding, quality: int | None) -> bytes:
        """``region`` of the display as PNG or JPEG (it must lie on the screen)."""
        return await self._capture.capture(self.display(), region, encoding, quality)

    # ── input: xdotool on the running display (503 when it is down) ──

    def _input(self) -> XInput:
        return XInput(self._supervisor.x_env(self.display()), self._typing)

    async def pointer(self) -> DesktopPointerPosition:
        return await self._input().position()

    async def move(self, x: int, y: int) -> DesktopPointerPosition:
        return await self._input().move(x, y)

    async def click(self, x: int | None, y: int | None, button: int) -> DesktopPointerPosition:
        return await self._input().click(x, y, button)

    async def drag(
        self, from_x: int, from_y: int, to_x: int, to_y: int, button: int
    ) -> DesktopPointerPosition:
        return await self._input().drag(from_x, from_y, to_x, to_y, button)

    async def scroll(self, direction: str, amount: int) -> DesktopPointerPosition:
        return await self._input().scroll(direction, amount)

    async def type_text(self, text: str) -> None:
        await self._input().type_text(text)

    async def press(self, key: str) -> None:
        await self._input().press(key)

    async def hotkey(self, keys: list[str]) -> None:
        await self._input().hotkey(keys)

    # ── recordings ──

    def recording_status(self) -> DesktopRecordingStatus:
        return self._recorder.status()

    async def start_recording(self) -> DesktopRecordingStatus:
        """Record the running display at its size (503 when it is down)."""
        display = self.display()
        width, height = self.screen_size()
        env = self._supervisor.x_env(display)
        return await self._recorder.start(display, width, height, env)

    async def stop_recording(self) -> DesktopRecordingStatus:
        return await self._recorder.stop()

    def recordings(self) -> list[DesktopRecordingSummary]:
        return self._recorder.list()

    def recording(self, recording_id: str) -> DesktopRecordingSummary:
        return self._recorder.get(recording_id)

    def delete_recording(self, recording_id: str) -> None:
        self._recorder.delete(recording_id)

    def recording_file(self, recording_id: str) -> Path:
        """The finished recording's file, to send."""
        return self._recorder.file_for_download(recording_id)

    # ── processes ──

    def status(self) -> DesktopProcessStatusList:
        return self._supervisor.status()

    def subscribe(self) -> StatusSubscription:
        """Woken on every status change; close it (or use ``with``)."""
        return self._supervisor.subscribe()

    def process(self, name: ProcessName) -> DesktopProcessStatus:
        return self._supervisor.process(name)

    def process_logs(self, name: ProcessName, limit: int) -> str:
        """The end of ``name``'s stdout log: at most ``limit`` bytes, whole lines."""
        return read_tail(Path(self._supervisor.process(name).stdout_log), limit)

    def process_errors(self, name: ProcessName, limit: int) -> str:
        """The end of ``name``'s stderr log: at most ``limit`` bytes, whole lines."""
        return read_tail(Path(self._supervisor.process(name).stderr_log), limit)

    async def restart(self, name: ProcessName) -> DesktopProcessStatus:
        """Restart ``name``; a recording of the display is finished first when xvfb goes."""
        if name == "xvfb":
            await self._recorder.close()
        return await self._supervisor.restart(name)

    # ── the viewer ──

    def viewer_upstream(self) -> tuple[int, str]:
        """websockify's loopback port and the VNC password, for the viewer's WebSocket
        (:mod:`core.host.viewer`)."""
        if not self._supervisor.is_running("novnc"):
            raise HostUnavailableError("the noVNC bridge (novnc) is not running")
        return self._supervisor.ws_port, self.vnc_password
