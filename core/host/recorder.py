"""Screen recordings: ffmpeg x11grab at 12 fps into H.264 (yuv420p) MP4 files.

One recording at a time. Its id is ``rec_<milliseconds since the epoch>`` and its file
``<id>.mp4`` in the recordings directory (``LEAP0_RECORDINGS_DIR``, else
``~/.cache/leap0-recordings``). ffmpeg is stopped with SIGINT (SIGTERM, then SIGKILL, only
if it does not finish), so the MP4 is finalised and playable; ``+faststart`` puts the index
first, so a player can start before the download ends.

Ids resolve only to the host's own recordings: an id must match ``rec_<digits>``, and the
file must be a regular file (not a symlink) directly in the recordings directory. Nothing
else is ever read or deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from core.host.errors import (
    HostConflictError,
    HostNotFoundError,
    HostUnavailableError,
)
from core.host.processes import reaper, require, signal_child, spawn
from core.logtail import last_lines
from core.models import DesktopRecordingStatus, DesktopRecordingSummary
from core.routes import Routes

__all__ = ["FPS", "MIME_TYPE", "RECORDING_ID", "Recorder", "default_recordings_dir"]

log = logging.getLogger(__name__)

FPS = 12
MIME_TYPE = "video/mp4"
RECORDING_ID = re.compile(r"rec_[0-9]{1,19}")
"""What a recording id looks like; anything else is unknown (404) without a file lookup."""

_START_TIMEOUT = 5.0
"""Seconds ffmpeg may take to open the display and create its output file."""

_STOP_TIMEOUT = 20.0
"""Seconds ffmpeg may take to finish the file after SIGINT (it rewrites it for faststart)."""


def default_recordings_dir() -> tuple[Path, bool]:
    """``LEAP0_RECORDINGS_DIR``, else ``~/.cache/leap0-recordings``; and whether it was
    configured (see :mod:`core.host.recordings_dir` for why that matters)."""
    configured = os.environ.get("LEAP0_RECORDINGS_DIR")
    if configured:
        return Path(configured).expanduser(), True
    return Path.home() / ".cache" / "leap0-recordings", False


def _created_at(recording_id: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(recording_id[4:]) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


@dataclass(slots=True)
class _Active:
    id: str
    path: Path
    proc: asyncio.subprocess.Process
    started_at: datetime
    display: str
    resolution: str
    stopping: bool = False
    watcher: asyncio.Task[None] | None = None


class Recorder:
    """Starts and stops ffmpeg, and manages the recordings directory.

    ``log_path`` receives ffmpeg's stderr.
    """

    def __init__(self, directory: Path, log_path: Path) -> None:
        self.directory = directory
        self.log_path = log_path
        self._active: _Active | None = None
        self._last: DesktopRecordingStatus | None = None
        self._lock = asyncio.Lock()

    # ── state ──

    @property
    def active_id(self) -> str | None:
        active = self._active
        return active.id if active is not None and active.proc.returncode is None else None

    def status(self) -> DesktopRecordingStatus:
        """The active recording, else the last one this host made, else the newest file."""
        active = self._active
        if active is not None and active.proc.returncode is None:
            return self._status(active, active=True, stopped_at=None)
        if self._last is not None:
            return self._last
        items = self.list()
        if not items:
            return DesktopRecordingStatus(active=False)
        newest = items[0]
        path = self.directory / f"{newest.id}.mp4"
        try:
            stopped = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            stopped = None
        return DesktopRecordingStatus(
            id=newest.id,
            active=False,
            started_at=newest.created_at,
            stopped_at=stopped,
            download=newest.download,
            mime_type=MIME_TYPE,
            file_name=newest.file_name,
        )

    @staticmethod
    def _status(
        rec: _Active, *, active: bool, stopped_at: datetime | None
    ) -> DesktopRecordingStatus:
        return DesktopRecordingStatus(
            id=rec.id,
            active=active,
            started_at=rec.started_at,
            stopped_at=stopped_at,
            download=Routes.DOWNLOAD_RECORDING.path(recording_id=rec.id),
            mime_type=MIME_TYPE,
            file_name=f"{rec.id}.mp4",
            display=rec.display,
            resolution=rec.resolution,
        )

    # ── start and stop ──

    async def start(
        self, display: str, width: int, height: int, env: Mapping[str, str]
    ) -> DesktopRecordingStatus:
        """Start recording ``display``; returns once ffmpeg has opened the display.

        Raises :class:`HostConflictError` when a recording is active, and
        :class:`HostUnavailableError` when ffmpeg is missing or cannot record.
        """
        async with self._lock:
            if self.active_id is not None:
                raise HostConflictError(f"a recording is already active: {self.active_id}")
            require("ffmpeg")
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise HostUnavailableError(
                    f"cannot create the recordings directory {self.directory}: {exc}"
                ) from exc
            recording_id, path = self._new_id()
            argv = [
                "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-n",
                "-f", "x11grab", "-draw_mouse", "1", "-framerate", str(FPS),
                "-video_size", f"{width}x{height}", "-i", f"{display}+0,0",
                # x264's yuv420p needs even sides: drop a last odd row or column.
                "-vf", "crop=trunc(iw/2)*2:trunc(ih/2)*2",
                "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage",
                "-pix_fmt", "yuv420p", "-r", str(FPS), "-movflags", "+faststart",
                str(path),
            ]  # fmt: skip
            with self._open_log(f"{recording_id}: {' '.join(argv)}") as err:
                try:
                    proc = await spawn(
                        argv,
                        stdin=asyncio.subprocess.DEVNULL,
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=err,
                        env=dict(env),
                        start_new_session=True,
                    )
                except OSError as exc:
                    raise HostUnavailableError(f"cannot run ffmpeg: {exc}") from exc
            active = _Active(
                id=recording_id,
                path=path,
                proc=proc,
                started_at=datetime.now(UTC),
                display=display,
                resolution=f"{width}x{height}",
            )
            if not await self._wait_started(active):
                signal_child(proc, signal.SIGKILL)
                await proc.wait()
                with contextlib.suppress(OSError):
                    path.unlink()
                raise HostUnavailableError(
                    f"ffmpeg could not record display {display}: {self._log_tail()}"
                )
            self._active = active
            active.watcher = asyncio.get_running_loop().create_task(self._watch(active))
            log.info("recording %s started (pid %s)", recording_id, proc.pid)
            return self._status(active, active=True, stopped_at=None)

    async def stop(self) -> DesktopRecordingStatus:
        """Stop the active recording and finalise its file.

        Raises :class:`HostConflictError` when none is active.
        """
        async with self._lock:
            active = self._active
            if active is None or active.proc.returncode is not None:
                raise HostConflictError("no recording is active")
            active.stopping = True
            await _finish(active.proc)
            self._active = None
            self._last = self._status(active, active=False, stopped_at=datetime.now(UTC))
            log.info("recording %s stopped", active.id)
            return self._last

    async def close(self) -> None:
        """Stop the active recording, if any (at shutdown)."""
        with contextlib.suppress(HostConflictError):
            await self.stop()

    async def _wait_started(self, active: _Active) -> bool:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if active.proc.returncode is not None:
                return False
            # ffmpeg opens its input (the display) before it creates the output file.
            if active.path.exists():
                return True
            await asyncio.sleep(0.02)
        return active.proc.returncode is None

    async def _watch(self, active: _Active) -> None:
        code = await active.proc.wait()
        if not active.stopping and self._active is active:
            log.warning("recording %s: ffmpeg exited on its own (status %s)", active.id, code)
            self._active = None
            self._last = self._status(active, active=False, stopped_at=datetime.now(UTC))

    def _new_id(self) -> tuple[str, Path]:
        ms = int(time.time() * 1000)
        while True:
            recording_id = f"rec_{ms}"
            path = self.directory / f"{recording_id}.mp4"
            if not os.path.lexists(path):
                return recording_id, path
            ms += 1

    def _open_log(self, note: str) -> IO[bytes]:
        """ffmpeg's log, opened for appending, with a line of the host's own first."""
        stamp = datetime.now(UTC).isoformat()
        err = open(self.log_path, "ab")  # noqa: SIM115 (the caller closes it)
        err.write(f"--- {stamp} leap0 host: {note}\n".encode())
        err.flush()
        return err

    def _log_tail(self) -> str:
        """The end of ffmpeg's log (not the host's own notes), as one short line."""
        lines = last_lines(self.log_path, 3, skip=("---",), window=2048)
        return " | ".join(lines)[-300:] or "(no detail)"

    # ── the directory ──

    def list(self) -> list[DesktopRecordingSummary]:
        """The recordings in the directory, newest first (the active one included)."""
        items: list[DesktopRecordingSummary] = []
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return items
        for entry in entries:
            name = entry.name
            if not name.endswith(".mp4") or not RECORDING_ID.fullmatch(name[:-4]):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                size = entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
            items.append(self._summary(name[:-4], size))
        items.sort(key=lambda item: int(item.id[4:]), reverse=True)
        return items

    def get(self, recording_id: str) -> DesktopRecordingSummary:
        """One recording's metadata; :class:`HostNotFoundError` if there is no such one."""
        path = self._resolve(recording_id)
        return self._summary(recording_id, path.stat().st_size)

    def file_for_download(self, recording_id: str) -> Path:
        """The file to send. Raises :class:`HostNotFoundError`, or
        :class:`HostConflictError` while the recording is still being written."""
        path = self._resolve(recording_id)
        if recording_id == self.active_id:
            raise HostConflictError(f"{recording_id} is still recording; stop it first")
        return path

    def delete(self, recording_id: str) -> None:
        """Delete a recording's file. Raises :class:`HostNotFoundError`, or
        :class:`HostConflictError` for the active recording."""
        path = self._resolve(recording_id)
        if recording_id == self.active_id:
            raise HostConflictError(f"{recording_id} is being recorded; stop it first")
        try:
            path.unlink()
        except FileNotFoundError as exc:
            raise HostNotFoundError(f"no recording {recording_id}") from exc
        except OSError as exc:
            raise HostUnavailableError(f"cannot delete {recording_id}: {exc}") from exc
        if self._last is not None and self._last.id == recording_id:
            self._last = None

    def _summary(self, recording_id: str, size: int) -> DesktopRecordingSummary:
        return DesktopRecordingSummary(
            id=recording_id,
            file_name=f"{recording_id}.mp4",
            download=Routes.DOWNLOAD_RECORDING.path(recording_id=recording_id),
            mime_type=MIME_TYPE,
            size_bytes=size,
            created_at=_created_at(recording_id),
            active=recording_id == self.active_id,
        )

    def _resolve(self, recording_id: str) -> Path:
        """The file of a recording the host made, or :class:`HostNotFoundError`."""
        shown = recording_id if len(recording_id) <= 64 else recording_id[:61] + "..."
        not_found = HostNotFoundError(f"no recording {shown!r}")
        if not RECORDING_ID.fullmatch(recording_id):
            raise not_found
        directory = self.directory.resolve()
        path = directory / f"{recording_id}.mp4"
        try:
            info = os.lstat(path)
        except OSError:
            raise not_found from None
        if not stat.S_ISREG(info.st_mode) or path.resolve().parent != directory:
            raise not_found
        return path


async def _finish(proc: asyncio.subprocess.Process) -> None:
    """Stop ffmpeg so that it finalises its file: SIGINT, then SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGINT, _STOP_TIMEOUT), (signal.SIGTERM, 5.0)):
        if proc.returncode is not None:
            break
        signal_child(proc, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), wait)
    if proc.returncode is None:
        log.error("ffmpeg (pid %s) did not stop; killing it: the file may be unplayable", proc.pid)
        signal_child(proc, signal.SIGKILL)
        await proc.wait()
    reaper.reap()
