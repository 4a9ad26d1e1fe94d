"""Which recordings folder a host uses, and keeping it its own while it runs.

Two hosts of one user that shared ``~/.cache/leap0-recordings`` listed, and deleted, each
other's recordings. A host now holds an exclusive lock (``flock``) on a file in its folder
for as long as it runs; the kernel drops it however the host ends, SIGKILL included. With
the default folder taken, the host takes the first free of ``leap0-recordings-2``,
``-3`` ... beside it; a folder named by ``LEAP0_RECORDINGS_DIR`` is used as it is, or
refused when another running host holds it (a user who names one folder for two hosts
means a mistake, not a share).
"""

from __future__ import annotations

import errno
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LOCK_NAME", "MAX_SIBLINGS", "Claim", "RecordingsDirError", "claim_recordings_dir"]

LOCK_NAME = ".leap0-host.lock"
MAX_SIBLINGS = 64


class RecordingsDirError(Exception):
    """No recordings folder can be had; the message is one line."""


@dataclass(frozen=True, slots=True)
class Claim:
    """The folder and the open lock file that keeps it (close ``fd`` to let it go)."""

    path: Path
    fd: int

    def release(self) -> None:
        os.close(self.fd)


def _try(path: Path) -> int | None:
    """The locked descriptor of ``path``'s lock file, or ``None`` when another holds it."""
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _holder(path: Path) -> str:
    try:
        pid = (path / LOCK_NAME).read_text().strip()
    except OSError:
        return "another running host"
    return f"the host with pid {pid}" if pid.isdigit() else "another running host"


def claim_recordings_dir(base: Path, *, configured: bool) -> Claim:
    """Lock ``base`` (or, when it is the default and taken, a free sibling) for this host.

    Raises :class:`RecordingsDirError` when a ``configured`` folder is held by another
    host, every sibling is, or the folder cannot be made (the reason in one line).
    """
    candidates = [base]
    if not configured:
        candidates += [base.with_name(f"{base.name}-{n}") for n in range(2, MAX_SIBLINGS + 1)]
    for path in candidates:
        try:
            fd = _try(path)
        except OSError as exc:
            raise RecordingsDirError(
                f"cannot use {path} for recordings: {exc.strerror or exc}"
            ) from exc
        if fd is not None:
            return Claim(path, fd)
        if configured:
            raise RecordingsDirError(
                f"{path} is the recordings folder of {_holder(path)}: "
                "give this host another (LEAP0_RECORDINGS_DIR)"
            )
    raise RecordingsDirError(f"{base} and its {MAX_SIBLINGS - 1} siblings are all in use")
