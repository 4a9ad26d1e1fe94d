"""The embedded local desktop: ``core.host`` run as a child process, and always stopped.

With no Leap0 API key, ``leap0-tui`` shows a desktop of its own. :class:`LocalHost` starts
``python -m core.host --port 0`` in a process group of its own, reads the one JSON line the
host prints on stdout when it is ready (``{"url": ..., "token": ..., ...}``) and stops the
whole group when the app ends: SIGTERM, a bounded wait, then SIGKILL for whatever is left.

Nothing here touches Textual. :meth:`LocalHost.start` blocks (the host takes seconds to
bring up Xvfb and xfce4), so the app calls it from a worker thread; :meth:`LocalHost.stop`
is idempotent and safe to call from ``atexit``, a signal handler and the app's shutdown.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from core.logtail import last_lines

__all__ = ["LocalDesktop", "LocalHost", "LocalHostError"]

log = logging.getLogger(__name__)

READY_TIMEOUT = 120.0
"""Seconds the host may take to print its ready line (first start of xfce4 can be slow)."""

STOP_TIMEOUT = 10.0
"""Seconds the host may take to stop its desktop after SIGTERM before it is killed."""


class LocalHostError(Exception):
    """The local desktop host could not be started; the message is one line for the UI."""


@dataclass(frozen=True, slots=True)
class LocalDesktop:
    """What the host's ready line says: where its desktop API answers, and the token."""

    url: str
    token: str | None
    pid: int
    xauthority: str | None = None
    """The X cookie file, for an X client of one's own on the desktop's display."""


def default_command() -> list[str]:
    """``python -m core.host --port 0`` with the running interpreter."""
    return [sys.executable, "-m", "core.host", "--port", "0"]


class LocalHost:
    """One local desktop host child process.

    ``log_path`` receives the host's stderr (and anything on stdout besides the ready
    line), so nothing the host prints reaches the terminal Textual owns.
    """

    def __init__(
        self,
        *,
        log_path: Path,
        command: Sequence[str] | None = None,
        ready_timeout: float = READY_TIMEOUT,
        stop_timeout: float = STOP_TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> None:
        self.log_path = log_path
        self.command = list(command or default_command())
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.env = env
        self.desktop: LocalDesktop | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.RLock()
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    @property
    def stopping(self) -> bool:
        """:meth:`stop` has been called: the host's exit from then on is expected."""
        return self._stopping

    # ── starting ──

    def start(self) -> LocalDesktop:
        """Start the host and wait for its ready line. Blocks; call from a thread.

        Raises :class:`LocalHostError` when the host cannot be run, exits, prints no ready
        line within ``ready_timeout`` seconds, or is stopped meanwhile. The host is stopped
        before the error is raised.
        """
        with self._lock:
            if self._stopping:
                raise LocalHostError("local desktop: stopped before it started")
            if self.desktop is not None:
                return self.desktop
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "ab", buffering=0)  # noqa: SIM115 (kept open)
            self._log.write(f"\n=== {time.ctime()}: {' '.join(self.command)}\n".encode())
            try:
                self._proc = subprocess.Popen(
                    self.command,
                    # A pipe we never write to: the host may treat its EOF as "parent gone".
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._log,
                    start_new_session=True,
                    env=self.env,
                )
            except OSError as exc:
                raise LocalHostError(
                    f"local desktop: cannot run {self.command[0]} ({exc})"
                ) from exc
        log.info("local host started, pid %s", self._proc.pid)
        try:
            desktop = self._read_ready_line(self._proc)
        except LocalHostError:
            self.stop()
            raise
        self.desktop = desktop
        threading.Thread(
            target=self._drain, args=(self._proc,), name="local-host-stdout", daemon=True
        ).start()
        return desktop

    def _read_ready_line(self, proc: subprocess.Popen[bytes]) -> LocalDesktop:
        assert proc.stdout is not None
        deadline = time.monotonic() + self.ready_timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LocalHostError(
                        f"local desktop: no ready line after {self.ready_timeout:.0f} s "
                        f"(see {self.log_path})"
                    )
                if not selector.select(timeout=min(left, 0.5)):
                    if self._stopping:
                        raise LocalHostError("local desktop: stopped before it was ready")
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    raise LocalHostError(self._exit_message(proc))
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    desktop = self._parse_ready(line, proc.pid)
                    if desktop is not None:
                        return desktop

    def _parse_ready(self, line: bytes, pid: int) -> LocalDesktop | None:
        """The desktop a ready line announces; other lines go to the log."""
        # Here, not at the top: pydantic is a big import, and the app's first frame comes
        # before it (the host takes seconds to get ready anyway).
        from pydantic import ValidationError

        from core.models import HostReady

        try:
            ready = HostReady.model_validate_json(line)
        except ValidationError:
            self._log_stdout(line + b"\n")
            return None
        return LocalDesktop(url=ready.url, token=ready.token, pid=pid, xauthority=ready.xauthority)

    def _exit_message(self, proc: subprocess.Popen[bytes]) -> str:
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        reason = self._last_log_line()
        how = f"exited with code {code}" if code is not None else "closed its output"
        detail = f": {reason}" if reason else ""
        return f"local desktop host {how} before it was ready{detail} (log: {self.log_path})"

    def _last_log_line(self) -> str:
        """The last non-empty line the host wrote to its log (not our ``===`` start notes),
        shortened for a status line."""
        lines = last_lines(self.log_path, 1, skip=("===",))
        return lines[-1][:160] if lines else ""

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        """Copy the host's later stdout to the log so its pipe never fills up."""
        assert proc.stdout is not None
        with contextlib.suppress(OSError, ValueError):
            for line in proc.stdout:
                self._log_stdout(line)

    def _log_stdout(self, line: bytes) -> None:
        """Keep a line the host printed on stdout (newline included) in its log."""
        if self._log is not None:
            self._log.write(b"[stdout] " + line)

    def wait(self) -> int | None:
        """Block until the host exits; its return code (``None`` if it was never started)."""
        proc = self._proc
        return proc.wait() if proc is not None else None

    def on_unexpected_exit(self, callback: Callable[[int | None], None]) -> None:
        """Call ``callback(returncode)`` from a thread of its own when the host exits
        without :meth:`stop` (it crashed, or was killed from outside)."""

        def watch() -> None:
            code = self.wait()
            if not self._stopping:
                callback(code)

        threading.Thread(target=watch, name="local-host-watch", daemon=True).start()

    # ── stopping ──

    def stop(self) -> None:
        """Stop the host and everything in its process group. Idempotent; blocks at most
        about ``stop_timeout`` + 5 seconds."""
        with self._lock:
            self._stopping = True
            proc = self._proc
            if proc is None:
                return
            if proc.poll() is None:
                log.info("stopping local host, pid %s", proc.pid)
                self._signal_group(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    log.warning("local host did not stop in %.0f s; killing it", self.stop_timeout)
            # Whatever is left in the group (the host's own children) goes too.
            self._signal_group(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            if self._log is not None:
                with contextlib.suppress(OSError):
                    self._log.close()
                self._log = None

    @staticmethod
    def _signal_group(pgid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)
