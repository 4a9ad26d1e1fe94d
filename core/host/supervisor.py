"""The Supervisor of the four desktop processes the API names: xvfb, xfce4, x11vnc, novnc.

What each one is (program, command line, readiness) is written in :mod:`core.host.stack`.
Each runs in a session (and process group) of its own, its stdout and stderr appended to
``<run_dir>/logs/<name>.stdout.log`` and ``.stderr.log``. The supervisor starts them in the
table's order and waits until each is ready (Xvfb wrote its display number; the window manager
is up; the ports accept connections). A watcher task per child notices an exit at once and
wakes every status subscriber. Nothing is restarted behind the user's back: a process that
died shows ``running: false`` until :meth:`Supervisor.restart` is asked for it.

Restarting ``xvfb`` (and resizing, which restarts it with a new geometry: Xvfb cannot be
resized with xrandr) takes down and brings back the other three, which draw on it.
Restarts try to keep the display number.

A program that is not installed does not stop the host: its process stays not running and
its stderr log says which Debian package to install.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from core.host.errors import HostUnavailableError
from core.host.network import free_port
from core.host.processes import (
    HOST_ID_ENV,
    PROCESS_ENV,
    group_members,
    kill_tagged,
    proc_table,
    release_shm,
    spawn,
    stop_group,
)
from core.host.stack import NOVNC_WEB_DIR, PROCESSES, Launch, ProcessSpec
from core.host.xauth import write_xauthority
from core.logtail import last_lines
from core.models import (
    PROCESS_NAMES,
    DesktopProcessStatus,
    DesktopProcessStatusList,
    OverallStatus,
    ProcessName,
)

__all__ = ["ProcessStartError", "StackConfig", "StatusSubscription", "Supervisor"]

log = logging.getLogger(__name__)

_STOP_GRACE = 5.0
"""Seconds a process group has between SIGTERM and SIGKILL."""

# Variables a nested desktop must not inherit from whatever started the host.
_SCRUBBED_ENV = (
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
    "SESSION_MANAGER",
    "XDG_SESSION_ID",
    "XDG_SESSION_TYPE",
    "XDG_SESSION_CLASS",
    "XAUTHORITY",
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "GPG_AGENT_INFO",
    PROCESS_ENV,
)


class ProcessStartError(Exception):
    """A managed process could not be started or did not become ready; one line why."""


@dataclass(frozen=True, slots=True)
class StackConfig:
    """What the supervisor needs to know to build the desktop.

    ``host_id`` tags every child's environment (see :mod:`core.host.processes`);
    ``vnc_password`` is what x11vnc asks for (VNC uses at most 8 characters).
    """

    width: int
    height: int
    run_dir: Path
    host_id: str
    vnc_password: str
    novnc_web: Path = NOVNC_WEB_DIR


@dataclass(slots=True)
class _Managed:
    """One managed process and what the supervisor knows about it."""

    name: ProcessName
    stdout_log: Path
    stderr_log: Path
    proc: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    stopping: bool = False
    watcher: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def info(self) -> DesktopProcessStatus:
        return DesktopProcessStatus(
            name=self.name,
            running=self.running,
            pid=self.proc.pid if self.running and self.proc is not None else None,
            stdout_log=str(self.stdout_log),
            stderr_log=str(self.stderr_log),
        )

    def open_logs(self) -> tuple[IO[bytes], IO[bytes]]:
        """The stdout and stderr logs, opened for appending (the caller closes them)."""
        out = open(self.stdout_log, "ab")  # noqa: SIM115 (the caller closes it)
        try:
            return out, open(self.stderr_log, "ab")
        except OSError:
            out.close()
            raise

    def note(self, message: str, *, stdout_too: bool = False) -> None:
        """Append a line of the host's own to this process's stderr (and stdout) log."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        line = f"--- {stamp} leap0 host: {message}\n".encode()
        for path in (self.stderr_log, self.stdout_log) if stdout_too else (self.stderr_log,):
            with contextlib.suppress(OSError), open(path, "ab") as f:
                f.write(line)


class StatusSubscription:
    """Woken on every status change; see :meth:`Supervisor.subscribe`.

    It joins ``subscribers`` (the set its supervisor wakes) when made and leaves it when
    closed.
    """

    def __init__(self, subscribers: set[StatusSubscription]) -> None:
        self._subscribers = subscribers
        self._event = asyncio.Event()
        subscribers.add(self)

    def notify(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a change; ``True`` if there was one.

        The flag is cleared on waking, before the caller reads the status, so a change
        that happens while the caller works wakes the next :meth:`wait` at once.
        """
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
            return True
        except TimeoutError:
            return False
        finally:
            self._event.clear()

    def close(self) -> None:
        self._subscribers.discard(self)

    def __enter__(self) -> StatusSubscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Supervisor:
    """Starts, watches, restarts and stops the desktop's four processes.

    All state changes (start, stop, restart, resize) are serialised by one lock; status
    reads never wait for it. Use :meth:`start` once, :meth:`stop` once at the end.
    """

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.width = config.width
        self.height = config.height
        self.vnc_port = free_port()
        self.ws_port = free_port()
        self.log_dir = config.run_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._passwd_file = config.run_dir / "vnc.passwd"
        self.xauthority = config.run_dir / "Xauthority"
        """The display's cookie: X clients need it (``XAUTHORITY``), so other local users,
        who can reach the display's socket, cannot use the desktop around the API's token."""
        self._procs: dict[ProcessName, _Managed] = {
            name: _Managed(
                name=name,
                stdout_log=self.log_dir / f"{name}.stdout.log",
                stderr_log=self.log_dir / f"{name}.stderr.log",
            )
            for name in PROCESS_NAMES
        }
        for managed in self._procs.values():
            managed.stdout_log.touch()
            managed.stderr_log.touch()
        self._display_number: int | None = None
        self._lock = asyncio.Lock()
        self._subscribers: set[StatusSubscription] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._closing = False

    # ── reading ──

    @property
    def display(self) -> str | None:
        """The X display (``":N"``) while Xvfb runs, else ``None``."""
        if self._procs["xvfb"].running and self._display_number is not None:
            return f":{self._display_number}"
        return None

    @property
    def last_display(self) -> str | None:
        """The display Xvfb has or last had, whether or not it runs now."""
        return f":{self._display_number}" if self._display_number is not None else None

    @property
    def closing(self) -> bool:
        return self._closing

    def is_running(self, name: ProcessName) -> bool:
        return self._procs[name].running

    def process(self, name: ProcessName) -> DesktopProcessStatus:
        return self._procs[name].info()

    def status(self) -> DesktopProcessStatusList:
        items = [self._procs[name].info() for name in PROCESS_NAMES]
        running = sum(1 for item in items if item.running)
        overall: OverallStatus = (
            "running" if running == len(items) else "stopped" if running == 0 else "degraded"
        )
        return DesktopProcessStatusList(
            status=overall, items=items, running=running, total=len(items)
        )

    def subscribe(self) -> StatusSubscription:
        """A subscription woken on every status change; close it (or use ``with``)."""
        return StatusSubscription(self._subscribers)

    def x_env(self, display: str) -> dict[str, str]:
        """The environment for a helper command (xdotool, ffmpeg ...) on ``display``."""
        return self._env(None, display)

    # ── changing ──

    async def start(self) -> None:
        """Start all four in order, each once ready; failures leave the process stopped."""
        self._write_passwd()
        write_xauthority(self.xauthority, secrets.token_bytes(16))
        async with self._lock:
            for name in PROCESS_NAMES:
                with contextlib.suppress(ProcessStartError):
                    await self._start_one(name)

    async def restart(self, name: ProcessName) -> DesktopProcessStatus:
        """Stop ``name`` (and, for xvfb, what draws on it), start it again, once ready.

        A process ``name`` needs (xvfb for xfce4 and x11vnc) is started too if it is down.
        Raises :class:`HostUnavailableError` when ``name`` does not come back.
        """
        async with self._lock:
            self._check_open()
            group: list[ProcessName] = list(PROCESS_NAMES) if name == "xvfb" else [name]
            for other in reversed(group):
                await self._stop_one(other)
            needs_display = PROCESSES[name].needs_display
            if needs_display and not self._procs["xvfb"].running:
                group = ["xvfb", *group]
            failure: str | None = None
            for other in group:
                try:
                    await self._start_one(other)
                except ProcessStartError as exc:
                    if other == name or (other == "xvfb" and needs_display):
                        failure = str(exc)
        if failure is not None or not self._procs[name].running:
            raise HostUnavailableError(f"{name} did not restart: {failure or 'it exited'}")
        return self._procs[name].info()

    async def resize(self, width: int, height: int) -> None:
        """Restart the display stack at ``width`` x ``height`` (nothing to do if it has it).

        Raises :class:`HostUnavailableError` when Xvfb does not come back (the old size
        is kept then).
        """
        async with self._lock:
            self._check_open()
            if (width, height) == (self.width, self.height) and self.display is not None:
                return
            old = (self.width, self.height)
            for name in reversed(PROCESS_NAMES):
                await self._stop_one(name)
            self.width, self.height = width, height
            try:
                await self._start_one("xvfb")
            except ProcessStartError as exc:
                self.width, self.height = old
                with contextlib.suppress(ProcessStartError):
                    await self._start_one("xvfb")
                for name in PROCESS_NAMES[1:]:
                    with contextlib.suppress(ProcessStartError):
                        await self._start_one(name)
                raise HostUnavailableError(
                    f"the display did not restart at the new size: {exc}"
                ) from exc
            for name in PROCESS_NAMES[1:]:
                with contextlib.suppress(ProcessStartError):
                    await self._start_one(name)

    def begin_close(self) -> None:
        """Refuse further changes and tell status subscribers (SSE streams) to end."""
        if not self._closing:
            self._closing = True
            self._notify()

    async def stop(self) -> None:
        """Stop every process group (reverse order) and whatever else carries the host's tag."""
        self.begin_close()
        async with self._lock:
            for name in reversed(PROCESS_NAMES):
                await self._stop_one(name)
            await kill_tagged(self.config.host_id)
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for secret in (self._passwd_file, self.xauthority):
            with contextlib.suppress(OSError):
                secret.unlink()

    # ── internals ──

    def _check_open(self) -> None:
        if self._closing:
            raise HostUnavailableError("the desktop host is shutting down")

    def _notify(self) -> None:
        for sub in list(self._subscribers):
            sub.notify()

    def _spawn_background(self, coro: Awaitable[object]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _write_passwd(self) -> None:
        fd = os.open(self._passwd_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.config.vnc_password + "\n")

    def _env(self, name: ProcessName | None, display: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env[HOST_ID_ENV] = self.config.host_id
        if name is not None:
            env[PROCESS_ENV] = name
        if display is not None:
            env["DISPLAY"] = display
        env["XAUTHORITY"] = str(self.xauthority)
        return env

    def _launch_context(self, display: str | None, display_fd: int | None = None) -> Launch:
        return Launch(
            display=display,
            width=self.width,
            height=self.height,
            xauthority=self.xauthority,
            vnc_port=self.vnc_port,
            ws_port=self.ws_port,
            passwd_file=self._passwd_file,
            novnc_web=self.config.novnc_web,
            x_env=self._env(None, display),
            display_fd=display_fd,
        )

    async def _start_one(self, name: ProcessName) -> None:
        """Start ``name`` unless it runs; return once it is ready.

        Raises :class:`ProcessStartError` (and leaves it stopped) when it cannot start.
        """
        managed = self._procs[name]
        spec = PROCESSES[name]
        if managed.running:
            return
        try:
            if self._closing:
                raise ProcessStartError("the desktop host is shutting down")
            missing = spec.missing(self._launch_context(None))
            if missing is not None:
                raise ProcessStartError(missing)
            if spec.needs_display and self.display is None:
                raise ProcessStartError("not started: the display (xvfb) is not running")
            if spec.ready is None:
                await self._start_xvfb(managed, spec)
            else:
                await self._start_generic(managed, spec)
        except ProcessStartError as exc:
            managed.note(f"{name} not started: {exc}")
            log.error("%s: %s", name, exc)
            self._notify()
            raise

    async def _launch(
        self,
        managed: _Managed,
        argv: list[str],
        env: Mapping[str, str],
        pass_fds: tuple[int, ...] = (),
    ) -> asyncio.subprocess.Process:
        managed.note(f"starting {managed.name}: {' '.join(argv)}", stdout_too=True)
        out, err = managed.open_logs()
        try:
            proc = await spawn(
                argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=dict(env),
                start_new_session=True,
                pass_fds=pass_fds,
            )
        except OSError as exc:
            raise ProcessStartError(f"cannot run {argv[0]}: {exc}") from exc
        finally:
            out.close()
            err.close()
        managed.proc = proc
        managed.started_at = time.time()
        managed.stopping = False
        managed.watcher = asyncio.get_running_loop().create_task(self._watch(managed, proc))
        log.info("%s started, pid %s", managed.name, proc.pid)
        self._notify()
        return proc

    async def _watch(self, managed: _Managed, proc: asyncio.subprocess.Process) -> None:
        """Notice the exit of ``proc`` at once; clean up what it left in its group."""
        code = await proc.wait()
        self._notify()
        if managed.proc is proc and not managed.stopping:
            managed.note(f"{managed.name} (pid {proc.pid}) exited with status {code}")
            log.warning("%s (pid %s) exited with status %s", managed.name, proc.pid, code)
            self._spawn_background(self._clean_after(managed, proc))

    async def _clean_after(self, managed: _Managed, proc: asyncio.subprocess.Process) -> None:
        """After an unexpected exit: stop what is left of the group, free its shared memory."""
        members = group_members(proc.pid) | {proc.pid}
        await stop_group(proc.pid, None, grace=2.0)
        release_shm(members - _alive(members), managed.started_at)

    async def _stop_one(self, name: ProcessName) -> None:
        managed = self._procs[name]
        proc = managed.proc
        if proc is None:
            return
        managed.stopping = True
        was_running = proc.returncode is None
        if was_running:
            managed.note(f"stopping {name} (pid {proc.pid})", stdout_too=True)
        members = group_members(proc.pid) | {proc.pid}
        await stop_group(proc.pid, proc, grace=_STOP_GRACE)
        await kill_tagged(self.config.host_id, name, grace=2.0)
        release_shm(members - _alive(members), managed.started_at)
        if managed.watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await managed.watcher
        if was_running:
            log.info("%s stopped", name)
        self._notify()

    async def _fail(self, managed: _Managed, reason: str) -> ProcessStartError:
        """Stop what was started of ``managed`` and build the error to raise."""
        proc = managed.proc
        if proc is not None:
            managed.stopping = True
            await stop_group(proc.pid, proc, grace=2.0)
        tail = " | ".join(last_lines(managed.stderr_log, 3, skip=("---",)))[-300:]
        return ProcessStartError(f"{reason}{': ' + tail if tail else ''}")

    # ── per process ──

    async def _start_xvfb(self, managed: _Managed, spec: ProcessSpec) -> None:
        # Keep the display number across restarts when it is still free.
        if self._display_number is not None:
            try:
                await self._run_xvfb(managed, spec, f":{self._display_number}")
                return
            except ProcessStartError as exc:
                log.info("xvfb: display :%s not available again (%s)", self._display_number, exc)
        await self._run_xvfb(managed, spec, None)

    async def _run_xvfb(self, managed: _Managed, spec: ProcessSpec, display: str | None) -> None:
        read_fd, write_fd = os.pipe()
        argv = spec.argv(self._launch_context(display, write_fd))
        try:
            try:
                proc = await self._launch(managed, argv, self._env("xvfb", None), (write_fd,))
            finally:
                os.close(write_fd)
            text = await _read_until_eof_or(read_fd, proc, spec.ready_timeout)
        finally:
            os.close(read_fd)
        try:
            self._display_number = int(text.strip())
        except ValueError:
            raise await self._fail(managed, "Xvfb did not report a display number") from None
        managed.note(f"xvfb ready on display :{self._display_number}")
        self._notify()

    async def _start_generic(self, managed: _Managed, spec: ProcessSpec) -> None:
        assert spec.ready is not None
        display = self.display
        name = managed.name
        launch = self._launch_context(display)
        proc = await self._launch(managed, spec.argv(launch), self._env(name, display))
        ready = spec.ready(launch)
        timeout = spec.ready_timeout
        deadline = time.monotonic() + timeout
        while True:
            if proc.returncode is not None:
                raise await self._fail(managed, f"{name} exited with status {proc.returncode}")
            if await ready():
                break
            if time.monotonic() >= deadline:
                if spec.when_slow is not None:
                    managed.note(f"{spec.when_slow} after {timeout:g} s; still waiting")
                    log.warning("%s: %s after %g s", name, spec.when_slow, timeout)
                    return
                raise await self._fail(managed, f"{name} not ready after {timeout:g} s")
            await asyncio.sleep(0.05)
        managed.note(f"{name} ready")


def _alive(pids: set[int]) -> set[int]:
    """Which of ``pids`` are still running (zombies count as gone)."""
    return {e.pid for e in proc_table() if e.pid in pids and e.state != "Z"}


async def _read_until_eof_or(fd: int, proc: asyncio.subprocess.Process, within: float) -> str:
    """Read ``fd`` until a newline or EOF, the child's exit, or ``within`` seconds."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    done: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        try:
            data = os.read(fd, 256)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        chunks.append(data)
        if (not data or b"\n" in data) and not done.done():
            done.set_result(None)

    loop.add_reader(fd, readable)
    exited = loop.create_task(proc.wait())
    try:
        waiters: set[asyncio.Future[Any]] = {done, exited}
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        loop.remove_reader(fd)
        exited.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await exited
    return b"".join(chunks).decode(errors="replace")
