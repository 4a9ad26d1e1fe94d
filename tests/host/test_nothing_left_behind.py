"""A host killed with SIGKILL leaves nothing: no process, no listener, no run folder.

Each host here makes its run folder under a ``$TMPDIR`` of the test's own (no
``--run-dir``), as the dashboard's embedded host does, so the next host finds what a dead
one left there and nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from core.host.processes import proc_table, start_ticks, tagged_pids
from core.host.runfolder import RECORD_NAME, SECRETS
from tests.host.harness import (
    HostProcess,
    listening_sockets,
    start_host,
    started_processes,
    stop_host,
)

SETTLE = 15.0
"""Seconds what a dead host left may take to go (SIGTERM, then SIGKILL after 2 s)."""


def _listening_ports() -> set[int]:
    """Every TCP port in LISTEN state on this machine."""
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _alive(processes: Mapping[int, int | None]) -> list[str]:
    """Which of ``processes`` (pid: start ticks) still run (zombies hold nothing: gone)."""
    states = {e.pid: e for e in proc_table()}
    return [
        f"{pid} {states[pid].comm}"
        for pid, ticks in processes.items()
        if pid in states and states[pid].state != "Z" and start_ticks(pid) == ticks
    ]


def _wait_for(condition: Callable[[], bool], within: float = SETTLE) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class Hosts:
    """Hosts sharing one ``$TMPDIR``; every one still running is stopped at the end."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.tmpdir = base / "tmp"
        self.tmpdir.mkdir()
        self.started: list[HostProcess] = []

    def start(self) -> HostProcess:
        env = dict(os.environ)
        env["TMPDIR"] = str(self.tmpdir)
        where = self.base / f"host{len(self.started)}"
        host = start_host(where, recordings_dir=where / "recordings", env=env, given_run_dir=False)
        self.started.append(host)
        return host


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[Hosts]:
    made = Hosts(tmp_path)
    yield made
    for host in made.started:
        if host.process.poll() is None:
            stop_host(host)


def _record(host: HostProcess) -> dict[str, object]:
    record = json.loads((host.run_dir / RECORD_NAME).read_text())
    assert record["pid"] == host.pid and record["host_id"] == host.host_id, record
    assert record["start_ticks"] == start_ticks(host.pid), record
    assert isinstance(record["children"], dict)
    assert set(record["children"]) == {"xvfb", "xfce4", "x11vnc", "novnc"}, record
    return record


def _ports(processes: Mapping[int, int | None]) -> set[int]:
    """The ports ``processes`` listen on."""
    return {port for _, port in listening_sockets(processes)}


def test_a_host_killed_with_sigkill_leaves_no_process_listener_or_secret(
    hosts: Hosts,
) -> None:
    host = hosts.start()
    record = _record(host)
    assert all((host.run_dir / name).is_file() for name in SECRETS)
    processes = started_processes(host)
    recorded = {int(pid) for pid in record["children"].values()}  # type: ignore[attr-defined]
    assert recorded <= set(processes), (recorded, processes)
    ports = _ports({host.pid: None, **processes})
    assert len(ports) >= 3, ports  # the API, x11vnc, websockify

    os.kill(host.pid, signal.SIGKILL)
    host.process.wait(10)

    gone = _wait_for(
        lambda: (
            not _alive(processes)
            and not ports & _listening_ports()
            and not tagged_pids(host.host_id)
            and not host.run_dir.exists()
        )
    )
    assert gone, (
        f"left: {_alive(processes)}, listening: {ports & _listening_ports()}, "
        f"run folder: {sorted(p.name for p in host.run_dir.glob('*'))}\n{host.log_tail()}"
    )
    assert not list((hosts.tmpdir / f"leap0-hosts-{os.getuid()}").glob("*.json"))


def test_the_next_host_cleans_up_after_one_whose_watchdog_died_too(hosts: Hosts) -> None:
    first = hosts.start()
    record = _record(first)
    processes = started_processes(first)
    # Host and watchdog at once: only PR_SET_PDEATHSIG acts (on the four managed ones).
    os.kill(int(record["watchdog"]), signal.SIGKILL)  # type: ignore[call-overload]
    os.kill(first.pid, signal.SIGKILL)
    first.process.wait(10)
    assert first.run_dir.exists()

    second = hosts.start()
    assert _wait_for(lambda: not _alive(processes) and not tagged_pids(first.host_id)), (
        f"left: {_alive(processes)}\n{second.log_tail()}"
    )
    assert not first.run_dir.exists()
    assert second.run_dir.exists()
    assert "cleaned up after host " + first.host_id in second.log_tail(20_000)

    # A clean stop removes the folder the host made.
    stop_host(second)
    assert not second.run_dir.exists()


def test_a_clean_stop_keeps_a_given_run_folder_without_its_secrets(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    host = start_host(run_dir, recordings_dir=tmp_path / "recordings")
    assert (run_dir / RECORD_NAME).is_file()
    stop_host(host)
    assert (run_dir / "logs" / "xvfb.stderr.log").is_file()
    assert not [name for name in (*SECRETS, RECORD_NAME) if (run_dir / name).exists()]
