"""The host's run folder and its record: who owns it, and cleaning up after a dead host.

Each host writes ``<run_dir>/host.json`` (:class:`RunRecord`): its pid and start time
(clock ticks since boot, so a reused pid is not taken for it), its host id (the tag every
child carries in its environment), its watchdog and the pids of its managed processes.
A copy goes to the registry, ``<tmp>/leap0-hosts-<uid>/<host_id>.json``, so a run folder
given with ``--run-dir`` is found too.

A host that is gone (its pid no longer runs with its start time) is cleaned up by
:func:`clean_up`: by its watchdog at once, or by the next host that starts
(:func:`clean_dead_hosts`) if the watchdog died with it. Cleaning up stops every process
that carries the dead host's tag (clearly its own: the tag is a random id of that run),
frees the shared memory its processes left, removes the VNC password, the X cookie and the
record, and the whole run folder when the host made it itself (no ``--run-dir``). A folder
given with ``--run-dir`` is the user's: its logs are kept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.host.processes import kill_tagged, release_shm, start_ticks

__all__ = [
    "RECORD_NAME",
    "SECRETS",
    "TEMP_PREFIX",
    "RunRecord",
    "clean_dead_hosts",
    "clean_up",
    "registry_dir",
]

log = logging.getLogger(__name__)

RECORD_NAME = "host.json"
TEMP_PREFIX = "leap0-host-"
"""Run folders the host makes itself (``tempfile.mkdtemp(prefix=...)``)."""
SECRETS = ("vnc.passwd", "Xauthority")
"""Files of a run folder that must not outlive its host."""


def registry_dir() -> Path:
    """Where every host of this user leaves a copy of its record."""
    return Path(tempfile.gettempdir()) / f"leap0-hosts-{os.getuid()}"


@dataclass(slots=True)
class RunRecord:
    """What a run folder says about the host that runs in it."""

    pid: int
    start_ticks: int
    host_id: str
    run_dir: str
    owns_run_dir: bool
    """The host made the folder (no ``--run-dir``): removed whole when the host is gone."""
    started_at: float
    watchdog: int | None = None
    children: dict[str, int] = field(default_factory=dict)
    """The managed processes' pids, by name, as last written."""

    @classmethod
    def read(cls, path: Path) -> RunRecord | None:
        """The record at ``path``, or ``None`` when it is missing or not one."""
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None

    @property
    def path(self) -> Path:
        return Path(self.run_dir) / RECORD_NAME

    @property
    def registry_entry(self) -> Path:
        return registry_dir() / f"{self.host_id}.json"

    def alive(self) -> bool:
        """Whether the host that wrote this still runs."""
        return start_ticks(self.pid) == self.start_ticks

    def write(self) -> None:
        """Write the record to the run folder and the registry (each atomically, 0600)."""
        text = json.dumps(asdict(self))
        paths = [self.path]
        if _own_registry():
            paths.append(self.registry_entry)
        for path in paths:
            tmp = path.with_name(path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)

    def forget(self) -> None:
        """Remove the record, the secrets and (when the host made it) the run folder."""
        run_dir = Path(self.run_dir)
        for name in (*SECRETS, RECORD_NAME):
            with contextlib.suppress(OSError):
                (run_dir / name).unlink()
        if self.owns_run_dir and _made_by_a_host(run_dir):
            shutil.rmtree(run_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.registry_entry.unlink()


def _own_registry() -> bool:
    """Make the registry if needed; ``False`` unless it is a folder of this user's own
    (in a shared ``/tmp`` someone else could have put something there first)."""
    registry = registry_dir()
    with contextlib.suppress(FileExistsError, OSError):
        registry.mkdir(mode=0o700)
    try:
        st = registry.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()


def _made_by_a_host(run_dir: Path) -> bool:
    """A folder :func:`tempfile.mkdtemp` made for a host: never anything else."""
    try:
        parent = run_dir.resolve().parent
        return (
            run_dir.name.startswith(TEMP_PREFIX) and parent == Path(tempfile.gettempdir()).resolve()
        )
    except OSError:
        return False


async def clean_up(record: RunRecord) -> int:
    """Stop what the gone host of ``record`` left running and remove its traces.

    Returns how many processes were stopped.
    """
    stopped = await kill_tagged(record.host_id)
    release_shm(set(record.children.values()), record.started_at)
    record.forget()
    return stopped


def _records() -> dict[str, RunRecord]:
    """Every record found, in the registry and in host-made run folders, by host id."""
    found: dict[str, RunRecord] = {}
    paths = list(registry_dir().glob("*.json")) if _own_registry() else []
    paths += Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*/{RECORD_NAME}")
    for path in paths:
        record = RunRecord.read(path)
        if record is not None:
            found.setdefault(record.host_id, record)
    return found


async def clean_dead_hosts() -> int:
    """Clean up after every host of this user that is gone; returns how many there were."""
    dead = [record for record in _records().values() if not record.alive()]
    for record in dead:
        stopped = await clean_up(record)
        log.info(
            "cleaned up after host %s (pid %s, gone): %d process(es) stopped, %s removed",
            record.host_id,
            record.pid,
            stopped,
            record.run_dir if record.owns_run_dir else "its secrets",
        )
    return len(dead)
