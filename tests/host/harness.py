"""Start and stop a real local desktop host (``python -m core.host``) for tests.

:func:`start_host` runs the host as a child process, reads its one JSON ready line and
returns a :class:`HostProcess`. :func:`stop_host` sends SIGTERM, waits, and then checks the
process table: every process the host started (its descendants, and anything carrying its
``LEAP0_HOST_ID``) must be gone, not even left as a zombie. A leftover fails the caller
(after being killed, so one failure does not leak into the next test).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.host.processes import proc_table, tagged_pids
from core.models import HostReady

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 90.0
"""Seconds a host may take to print its ready line (xfce4's first start is slow)."""
STOP_TIMEOUT = 30.0


@dataclass
class HostProcess:
    """A running host: where it answers, its token, and what it said when ready.

    ``ready`` is the whole ready line; ``log_path`` has the host's stderr.
    """

    url: str
    token: str
    pid: int
    display: str
    run_dir: Path
    recordings_dir: Path
    host_id: str
    ready: HostReady
    process: subprocess.Popen[bytes]
    log_path: Path
    extra_stdout: list[bytes] = field(default_factory=list)

    def x_env(self, display: str | None = None) -> dict[str, str]:
        """An environment for X clients (xterm, xdotool) on the host's display."""
        env = dict(os.environ)
        env["DISPLAY"] = display or self.display
        assert self.ready.xauthority is not None, "the ready line names no xauthority"
        env["XAUTHORITY"] = self.ready.xauthority
        return env

    def log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""


def start_host(
    run_dir: Path,
    *,
    recordings_dir: Path | None,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = READY_TIMEOUT,
    given_run_dir: bool = True,
    open_files: int | None = None,
) -> HostProcess:
    """Start ``python -m core.host --port 0`` and wait for its ready line.

    ``recordings_dir`` goes to ``LEAP0_RECORDINGS_DIR`` (``None``: the variable as
    ``env`` has it). ``run_dir`` is given with ``--run-dir`` and holds the host's stderr
    (``host.log``); with ``given_run_dir=False`` it holds only the log, and the host makes
    a run folder of its own under ``$TMPDIR``. ``open_files`` sets the host's limit of
    open files, soft and hard (what its connection cap is made of). stdin is a pipe held
    by the test process, so the host also stops if the tests die. Raises ``RuntimeError`` (with the
    host's log) when no ready line comes in time.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "host.log"
    child_env = dict(os.environ if env is None else env)
    if recordings_dir is not None:  # None: the host's own default (under $HOME)
        child_env["LEAP0_RECORDINGS_DIR"] = str(recordings_dir)
    child_env.pop("LEAP0_HOST_TOKEN", None)
    where = ["--run-dir", str(run_dir)] if given_run_dir else []
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.host", "--port", "0", *where, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=REPO,
            env=child_env,
            preexec_fn=None if open_files is None else _limit_open_files(open_files),
        )
    try:
        line = _read_line(process, timeout)
    except Exception:
        _kill(process)
        raise
    ready = HostReady.model_validate_json(line)
    assert ready.run_dir and (not given_run_dir or Path(ready.run_dir) == run_dir), ready
    assert ready.token and ready.run_dir and ready.recordings_dir and ready.host_id, ready
    return HostProcess(
        url=ready.url,
        token=ready.token,
        pid=process.pid,
        display=ready.display or "",
        run_dir=Path(ready.run_dir),
        recordings_dir=Path(ready.recordings_dir),
        host_id=ready.host_id,
        ready=ready,
        process=process,
        log_path=log_path,
    )


def _limit_open_files(count: int) -> Callable[[], None]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))

    return limit


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"the host printed no ready line within {timeout:g} s")
            if not selector.select(min(left, 0.5)):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"the host exited before it was ready ({process.wait()})")
            buffer += chunk
    line, _, rest = buffer.partition(b"\n")
    assert not rest, f"more than one line on stdout: {rest!r}"
    return line


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ── what the host started ──────────────────────────────────────────────────────


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks (tells a reused pid from the original)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    try:
        return int(raw[raw.rfind(")") + 2 :].split()[19])
    except (IndexError, ValueError):
        return None


def started_processes(host: HostProcess) -> dict[int, int | None]:
    """Every process the host started that exists now, with its start time.

    Its descendants in the process table, plus whatever carries its ``LEAP0_HOST_ID``
    (daemons that left the family).
    """
    table = proc_table()
    children: dict[int, list[int]] = {}
    for entry in table:
        children.setdefault(entry.ppid, []).append(entry.pid)
    found: set[int] = set()
    todo = [host.pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    found.update(tagged_pids(host.host_id))
    return {pid: _start_time(pid) for pid in found}


def leftovers(before: Mapping[int, int | None], host_id: str) -> list[str]:
    """Which of ``before`` still exist (zombies included), plus tagged processes."""
    left: list[str] = []
    for pid, started in before.items():
        now = _start_time(pid)
        if now is not None and now == started:
            left.append(_describe(pid))
    left.extend(_describe(pid) for pid in tagged_pids(host_id) if pid not in before)
    return left


def _describe(pid: int) -> str:
    for entry in proc_table():
        if entry.pid == pid:
            return f"{pid} {entry.comm} (state {entry.state}, ppid {entry.ppid})"
    return str(pid)


def stop_host(
    host: HostProcess, *, how: str = "sigterm", timeout: float = STOP_TIMEOUT
) -> subprocess.CompletedProcess[bytes]:
    """Stop the host (``how``: ``sigterm``, ``sigint`` or ``stdin``) and check it left nothing.

    Returns the host's exit status and the rest of its stdout. Raises ``AssertionError``
    when the host does not exit in time, exits non-zero, or leaves a process behind.
    """
    before = started_processes(host)
    process = host.process
    if how == "stdin":
        assert process.stdin is not None
        process.stdin.close()
    else:
        process.send_signal(signal.SIGINT if how == "sigint" else signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_all(before, host.host_id)
        process.kill()
        process.wait()
        raise AssertionError(
            f"the host did not stop within {timeout:g} s\n{host.log_tail()}"
        ) from None
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    assert process.stdout is not None
    out = process.stdout.read()
    process.stdout.close()
    left = leftovers(before, host.host_id)
    if left:
        _kill_all(before, host.host_id)
        raise AssertionError(
            "processes left behind after shutdown: " + "; ".join(left) + "\n" + host.log_tail()
        )
    return subprocess.CompletedProcess(process.args, process.returncode, out, b"")


def _kill_all(before: Mapping[int, int | None], host_id: str) -> None:
    for pid in {*before, *tagged_pids(host_id)}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def listening_sockets(pids: Iterable[int]) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state held by ``pids``."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found: list[tuple[str, int]] = []
    for table, size in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:
                continue
            hex_addr, hex_port = fields[1].split(":")
            raw = bytes.fromhex(hex_addr)
            # /proc prints each 32-bit word in host (little-endian) order.
            words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
            address = ipaddress.ip_address(b"".join(words) if size == 16 else words[0])
            found.append((str(address), int(hex_port, 16)))
    return found
