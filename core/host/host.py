"""The local desktop: the supervised display stack, screen capture, input and recorder.

:class:`DesktopHost` is what the HTTP app (:mod:`core.host.app`) serves. It owns no HTTP:
it can be driven directly (tests, benchmarks) with :meth:`DesktopHost.start` and
:meth:`DesktopHost.stop`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from core.host.errors import HostUnavailableError
from core.host.input import XInput
from core.host.network import url_host, viewer_host
from core.host.recorder import Recorder
from core.host.screen import ScreenCapture
from core.host.stack import NOVNC_WEB_DIR
from core.host.supervisor import StackConfig, Supervisor
from core.models import DesktopProcessStatus, ProcessName

__all__ = ["DesktopHost", "HostConfig", "new_host_id", "vnc_password_for"]

log = logging.getLogger(__name__)


def vnc_password_for(token: str) -> str:
    """The VNC password derived from the API token (VNC reads at most 8 characters).

    Derived, not the token itself, so the noVNC link (which carries it) does not reveal
    the token.
    """
    digest = hmac.new(token.encode(), b"leap0-host-vnc", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:8]


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
    """The API's listening address; noVNC listens there too."""


class DesktopHost:
    """One local desktop: its :class:`Supervisor`, :class:`ScreenCapture` and :class:`Recorder`."""

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.host_id = config.host_id or new_host_id()
        self.vnc_password = vnc_password_for(config.token)
        self.supervisor = Supervisor(
            StackConfig(
                width=config.width,
                height=config.height,
                run_dir=config.run_dir,
                host_id=self.host_id,
                vnc_password=self.vnc_password,
                novnc_web=config.novnc_web,
                viewer_bind=config.bind,
            )
        )
        self.capture = ScreenCapture(xauthority=self.supervisor.xauthority)
        self.recorder = Recorder(config.recordings_dir, self.supervisor.log_dir / "recording.log")
        self._typing = asyncio.Lock()

    @property
    def closing(self) -> bool:
        return self.supervisor.closing

    async def start(self) -> None:
        """Start the display stack; returns when every process is ready or has failed."""
        await self.supervisor.start()

    async def stop(self) -> None:
        """Finish the recording, stop every process the host started, release the capture."""
        self.supervisor.begin_close()
        try:
            await self.recorder.close()
        except Exception:
            log.exception("stopping the recording failed")
        await self.supervisor.stop()
        self.capture.close()

    # ── what routes need ──

    def display(self) -> str:
        """The running display (``":N"``); :class:`HostUnavailableError` when Xvfb is down."""
        display = self.supervisor.display
        if display is None:
            raise HostUnavailableError("the display is not running (xvfb is stopped): restart xvfb")
        return display

    def screen_size(self) -> tuple[int, int]:
        return self.supervisor.width, self.supervisor.height

    def input(self) -> XInput:
        """xdotool on the running display."""
        return XInput(self.supervisor.x_env(self.display()), self._typing)

    async def restart(self, name: ProcessName) -> DesktopProcessStatus:
        """Restart ``name``; a recording of the display is finished first when xvfb goes."""
        if name == "xvfb":
            await self.recorder.close()
        return await self.supervisor.restart(name)

    async def resize(self, width: int, height: int) -> None:
        """Restart the display stack at a new size (finishing any recording first)."""
        if (width, height) != self.screen_size() or self.supervisor.display is None:
            await self.recorder.close()
        await self.supervisor.resize(width, height)

    def viewer_url(self, via: str | None = None) -> str:
        """noVNC's page on websockify's port, connecting with the VNC password.

        ``via`` is the host name the browser reached the API by. When noVNC listens on
        loopback only, the page is on 127.0.0.1 whatever it was; otherwise it is on ``via``
        (a browser on another machine reaches the viewer the way it reached us).
        """
        if not self.supervisor.is_running("novnc"):
            raise HostUnavailableError("the noVNC web client (novnc) is not running")
        port = self.supervisor.ws_port
        host = viewer_host(self.config.bind, via)
        query = urlencode(
            {
                "host": host,
                "port": port,
                "path": "websockify",
                "autoconnect": "true",
                "reconnect": "true",
                "resize": "scale",
                "password": self.vnc_password,
            }
        )
        return f"http://{url_host(host)}:{port}/vnc.html?{query}"
