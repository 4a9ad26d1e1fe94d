"""The host's child processes: spawning, helper commands, stopping process groups, reaping.

Everything the host starts goes through :func:`spawn`, so the host knows which children
asyncio waits for. The host makes itself a *child subreaper* (:func:`become_subreaper`):
a descendant whose parent exits (xfce4-session's helpers, ``ssh-agent``, ``gpg-agent``
that daemonise with ``setsid``) is re-parented to the host rather than to init, and
:data:`reaper` collects it, so none is left as an orphan or a zombie (some init processes,
e.g. in containers, never reap).

Every child gets ``PR_SET_PDEATHSIG`` (:func:`spawn`): the kernel sends it SIGTERM when
the host dies, even by SIGKILL, so Xvfb, x11vnc, websockify and dbus-run-session do not
outlive it. The signal fires when the *thread* that forked the child ends, so children are
spawned from the event loop's thread, the main one. What they start in turn (xfce4's
family) is caught by the watchdog (:mod:`core.host.watchdog`) by its tag:

Each long-running child carries ``LEAP0_HOST_ID`` (and ``LEAP0_HOST_PROCESS``, the managed
process it belongs to) in its environment; descendants inherit it, so :func:`kill_tagged`
finds even those that left the process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from core.host.errors import HostUnavailableError

__all__ = [
    "HOST_ID_ENV",
    "PROCESS_ENV",
    "CommandResult",
    "ProcEntry",
    "become_subreaper",
    "debian_package",
    "group_members",
    "kill_tagged",
    "missing_message",
    "proc_table",
    "reaper",
    "release_shm",
    "require",
    "run_command",
    "shm_segments",
    "signal_child",
    "spawn",
    "start_ticks",
    "stop_group",
    "tagged_pids",
    "which",
]

log = logging.getLogger(__name__)

HOST_ID_ENV = "LEAP0_HOST_ID"
"""Environment variable naming the host run a process belongs to (inherited by descendants)."""

PROCESS_ENV = "LEAP0_HOST_PROCESS"
"""Environment variable naming the managed process (``xvfb`` ...) a process belongs to."""

_DEBIAN_PACKAGES = {
    "Xvfb": "xvfb",
    "xfce4-session": "xfce4-session",
    "dbus-run-session": "dbus-daemon",
    "x11vnc": "x11vnc",
    "websockify": "websockify",
    "xdotool": "xdotool",
    "ffmpeg": "ffmpeg",
    "wmctrl": "wmctrl",
    "xprop": "x11-utils",
    "xmodmap": "x11-xserver-utils",
}

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1


def debian_package(program: str) -> str:
    """The Debian package that provides ``program`` (a best guess for unknown ones)."""
    return _DEBIAN_PACKAGES.get(program, program.lower())


def missing_message(program: str) -> str:
    """One line telling the user which Debian package provides a missing program."""
    package = debian_package(program)
    return (
        f"{program} is not installed: install the Debian package {package} "
        f"(sudo apt-get install {package})"
    )


def which(program: str) -> str | None:
    """The full path of ``program`` on ``PATH``, or ``None``."""
    return shutil.which(program)


def require(program: str) -> None:
    """Raise :class:`HostUnavailableError` naming the Debian package when ``program`` is
    not on ``PATH``."""
    if which(program) is None:
        raise HostUnavailableError(missing_message(program))


@functools.cache
def _prctl() -> Any:
    """libc's ``prctl``, resolved once in the host (a forked child only calls it)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _dying_with(parent: int, sig: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child sent ``sig`` when ``parent`` dies."""
    prctl = _prctl()
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the host died before the prctl
            os._exit(1)

    return preexec


def become_subreaper() -> bool:
    """Make this process the subreaper of its descendants (Linux); ``False`` if refused."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


# ── the process table ──────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class ProcEntry:
    """One line of the process table, read from ``/proc/<pid>/stat``."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    comm: str


def _read_stat(pid: int) -> ProcEntry | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
    except OSError:
        return None
    close = raw.rfind(")")
    if close < 0:
        return None
    fields = raw[close + 2 :].split()
    try:
        return ProcEntry(
            pid=pid,
            ppid=int(fields[1]),
            pgid=int(fields[2]),
            sid=int(fields[3]),
            state=fields[0],
            comm=raw[raw.find("(") + 1 : close],
        )
    except (IndexError, ValueError):
        return None


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (tells a reused pid from the
    original); ``None`` when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode(errors="replace")
        return int(raw[raw.rfind(")") + 2 :].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def proc_table() -> list[ProcEntry]:
    """Every process visible in ``/proc`` now (zombies included, state ``Z``)."""
    out: list[ProcEntry] = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            entry = _read_stat(int(name))
            if entry is not None:
                out.append(entry)
    return out


def tagged_pids(host_id: str, process: str | None = None) -> list[int]:
    """Processes whose environment says they belong to this host run (and ``process``).

    Zombies have no readable environment and are not listed; other users' processes are
    skipped.
    """
    host_tag = f"{HOST_ID_ENV}={host_id}".encode()
    process_tag = f"{PROCESS_ENV}={process}".encode() if process else None
    me = os.getpid()
    out: list[int] = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if host_tag in env and (process_tag is None or process_tag in env):
            out.append(int(name))
    return out


# ── spawning and reaping ───────────────────────────────────────────────────────


class ChildReaper:
    """Reaps the orphans re-parented to the host, never a child asyncio waits for.

    asyncio reaps the children it spawned (with a pidfd per child); reaping one of those
    first would make asyncio report exit status 255. So :func:`spawn` records each child
    here, and :meth:`reap` skips them and does nothing while a spawn is under way (the
    new child's pid is not known yet).
    """

    def __init__(self) -> None:
        self._children: dict[int, asyncio.subprocess.Process] = {}
        self._spawning = 0
        self._scheduled: asyncio.TimerHandle | None = None

    @contextlib.contextmanager
    def spawning(self) -> Iterator[None]:
        """While a child is being spawned: :meth:`reap` waits (its pid is not known yet)."""
        self._spawning += 1
        try:
            yield
        finally:
            self._spawning -= 1

    def track(self, proc: asyncio.subprocess.Process) -> None:
        self._children[proc.pid] = proc

    def reap(self) -> int:
        """Collect every exited adopted child now; returns how many were collected."""
        if self._spawning:
            self.schedule()
            return 0
        for pid in [pid for pid, proc in self._children.items() if proc.returncode is not None]:
            del self._children[pid]
        me = os.getpid()
        reaped = 0
        for entry in proc_table():
            if entry.ppid != me or entry.pid in self._children or entry.state != "Z":
                continue
            with contextlib.suppress(ChildProcessError):
                pid, _ = os.waitpid(entry.pid, os.WNOHANG)
                reaped += 1 if pid else 0
        return reaped

    def schedule(self, delay: float = 0.05) -> None:
        """Reap soon, from the running loop (coalesces a burst of ``SIGCHLD``)."""
        if self._scheduled is not None and not self._scheduled.cancelled():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        def run() -> None:
            self._scheduled = None
            self.reap()

        self._scheduled = loop.call_later(delay, run)


reaper = ChildReaper()
"""The one reaper of this process (a subreaper is a per-process property)."""


async def spawn(
    argv: list[str], *, die_with_host: bool = True, **kwargs: Any
) -> asyncio.subprocess.Process:
    """``asyncio.create_subprocess_exec(*argv, **kwargs)``, recorded with :data:`reaper`.

    With ``die_with_host`` the child is sent SIGTERM when the host dies (any way, SIGKILL
    included); call it from the main thread (see the module docstring). Raises
    ``OSError`` (``FileNotFoundError`` ...) when the program cannot be run.
    """
    if die_with_host:
        preexec = _dying_with(os.getpid(), signal.SIGTERM)
        if preexec is not None:
            kwargs["preexec_fn"] = preexec
    with reaper.spawning():
        proc = await asyncio.create_subprocess_exec(*argv, **kwargs)
        reaper.track(proc)
    return proc


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a helper command did: its exit status and its decoded output."""

    returncode: int
    stdout: str
    stderr: str


async def run_command(
    argv: list[str],
    *,
    env: Mapping[str, str],
    stdin: bytes | None = None,
    time_limit: float = 10.0,
) -> CommandResult:
    """Run a short helper command (xdotool, wmctrl ...) to completion.

    The command is killed when it outlives ``time_limit`` seconds or the caller is cancelled.
    Raises :class:`HostUnavailableError` when the program is missing (naming its Debian
    package) or does not finish in time.
    """
    program = argv[0]
    require(program)
    try:
        proc = await spawn(
            argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
        )
    except OSError as exc:
        raise HostUnavailableError(f"cannot run {program}: {exc}") from exc
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), time_limit)
    except TimeoutError as exc:
        raise HostUnavailableError(f"{program} did not finish within {time_limit:g} s") from exc
    finally:
        if proc.returncode is None:
            signal_child(proc, signal.SIGKILL)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(proc.wait())
    return CommandResult(
        returncode=proc.returncode if proc.returncode is not None else -1,
        stdout=out.decode(errors="replace"),
        stderr=err.decode(errors="replace"),
    )


# ── shared memory left behind ──────────────────────────────────────────────────

_IPC_RMID = 0
_SHM_DEST = 0o1000


def shm_segments(creators: set[int], since: float) -> list[int]:
    """SysV shared-memory segments made by ``creators`` since ``since`` (epoch seconds),
    not yet marked for removal.

    x11vnc holds ~50 segments and removes them when it exits normally; killed with
    SIGKILL it cannot, and a few dozen such kills exhaust the system's segments
    (``shmget: No space left on device`` for every later x11vnc).
    """
    found: list[int] = []
    try:
        with open("/proc/sysvipc/shm") as f:
            header = f.readline().split()
            rows = [line.split() for line in f]
        col = {name: header.index(name) for name in ("shmid", "perms", "cpid", "ctime")}
    except (OSError, ValueError):
        return found
    for row in rows:
        try:
            cpid, ctime = int(row[col["cpid"]]), int(row[col["ctime"]])
            shmid, perms = int(row[col["shmid"]]), int(row[col["perms"]], 8)
        except (IndexError, ValueError):
            continue
        if cpid in creators and ctime >= int(since) and not perms & _SHM_DEST:
            found.append(shmid)
    return found


def release_shm(creators: set[int], since: float) -> int:
    """Mark :func:`shm_segments` for removal (the kernel frees each at its last detach).

    Only for processes that have exited: a segment still attached (by the X server, until
    it notices the client is gone) stays usable until then. Returns how many were marked.
    """
    ids = shm_segments(creators, since)
    if not ids:
        return 0
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return 0
    removed = sum(1 for shmid in ids if libc.shmctl(shmid, _IPC_RMID, None) == 0)
    if removed:
        log.info("released %d shared-memory segment(s) left by pids %s", removed, sorted(creators))
    return removed


def group_members(pgid: int) -> set[int]:
    """Pids in process group ``pgid`` now."""
    return {e.pid for e in proc_table() if e.pgid == pgid}


# ── stopping ───────────────────────────────────────────────────────────────────


def signal_child(proc: asyncio.subprocess.Process, sig: int) -> None:
    """Send ``sig`` to a child that asyncio waits for, unless it has been reaped.

    Not ``Process.send_signal``: that polls first (``waitpid``) and may reap the child
    before asyncio does, which then reports exit status 255. Until asyncio reaps it, the
    pid cannot be reused, so ``kill`` hits the right process (or its zombie).
    """
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, sig)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _signal_pids(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _group_alive(pgid: int) -> bool:
    """Whether any non-zombie process is still in group ``pgid`` (zombies get reaped)."""
    return any(e.pgid == pgid and e.state != "Z" for e in proc_table())


async def _wait_until(condition: Any, within: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + within
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        reaper.reap()
        await asyncio.sleep(interval)


async def stop_group(
    pgid: int,
    leader: asyncio.subprocess.Process | None = None,
    *,
    first_signal: int = signal.SIGTERM,
    grace: float = 5.0,
) -> bool:
    """Stop every process in group ``pgid``: ``first_signal``, then SIGKILL after ``grace`` s.

    ``leader`` is the group's asyncio child, if it is still one (waited for, so it leaves
    no zombie). Returns ``True`` when the group went away before the SIGKILL.
    """

    def gone() -> bool:
        return (leader is None or leader.returncode is not None) and not _group_alive(pgid)

    _signal_group(pgid, first_signal)
    polite = await _wait_until(gone, grace)
    if not polite:
        log.warning("process group %s did not stop within %.1f s; killing it", pgid, grace)
        _signal_group(pgid, signal.SIGKILL)
        await _wait_until(gone, 5.0)
    if leader is not None:
        with contextlib.suppress(ProcessLookupError):
            await asyncio.wait_for(leader.wait(), 2.0)
    reaper.reap()
    return polite


async def kill_tagged(host_id: str, process: str | None = None, *, grace: float = 2.0) -> int:
    """SIGTERM, then SIGKILL after ``grace`` s, every process tagged with this host run.

    Catches descendants that left their process group (``setsid`` daemons). Returns how
    many were found.
    """
    pids = tagged_pids(host_id, process)
    if not pids:
        return 0
    log.info("stopping %d leftover process(es) of %s: %s", len(pids), process or "host", pids)
    _signal_pids(pids, signal.SIGTERM)
    if not await _wait_until(lambda: not tagged_pids(host_id, process), grace):
        _signal_pids(tagged_pids(host_id, process), signal.SIGKILL)
        await _wait_until(lambda: not tagged_pids(host_id, process), 3.0)
    reaper.reap()
    return len(pids)
