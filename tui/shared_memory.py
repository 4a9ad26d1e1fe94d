"""POSIX shared memory objects for kitty's graphics (``t=s``): pixels without the escape code.

A kitty on the same machine reads a frame's pixels from a shared memory object and unlinks
it, so the dashboard neither compresses nor base64-encodes them and the terminal neither
decodes nor inflates them (the costliest part of a live preview in kitty: see
``benchmarks/real_terminals.py``). A kitty over SSH has no such object: the terminal probe
asks kitty to read one first (:mod:`tui.terminal_probe`) and only a kitty that could is
sent frames this way.

On Linux a POSIX shared memory object named ``/name`` is the file ``/dev/shm/name``
(``shm_open`` in glibc), written here with plain file calls. Each object is new
(``O_EXCL``, so nothing already there is written through), readable by its owner only
(``0600``: a desktop's picture is no one else's), and named unpredictably. No Textual here.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from pathlib import Path
from typing import Final

__all__ = ["PREFIX", "available", "create", "kitty_payload", "sweep", "unlink"]

_DIRECTORY: Final = Path("/dev/shm")

PREFIX: Final = "leap0-"
"""Every object's name starts with this (after the ``/``)."""


def available() -> bool:
    """This system keeps POSIX shared memory objects as files in ``/dev/shm`` (Linux)."""
    return _DIRECTORY.is_dir() and os.access(_DIRECTORY, os.W_OK | os.X_OK)


def create(data: bytes | memoryview) -> str:
    """A new object holding ``data``; returns its name (``/leap0-…``), as ``shm_open`` takes
    it. Whoever reads it unlinks it (kitty does). Raises ``OSError`` (``/dev/shm`` full or
    missing): nothing is left behind then."""
    name = f"{PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
    path = _DIRECTORY / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        os.close(fd)
        unlink(f"/{name}")
        raise
    os.close(fd)
    return f"/{name}"


def kitty_payload(name: str) -> str:
    """The object ``name`` as a kitty graphics command with ``t=s`` carries it: in base64."""
    return base64.standard_b64encode(name.encode()).decode("ascii")


def sweep() -> int:
    """Remove this user's objects left by dashboards that are gone (a kitty killed before it
    read the last frames sent to it); returns how many. Never raises."""
    removed = 0
    try:
        entries = list(os.scandir(_DIRECTORY))
    except OSError:
        return 0
    uid = os.getuid()
    for entry in entries:
        pid_text = entry.name[len(PREFIX) :].partition("-")[0]
        if not entry.name.startswith(PREFIX) or not pid_text.isdigit():
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != uid or _alive(int(pid_text)):
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def unlink(name: str) -> None:
    """Remove the object ``name`` (from :func:`create`) if it is still there."""
    if name.startswith(f"/{PREFIX}") and "/" not in name[1:]:
        with contextlib.suppress(OSError):
            (_DIRECTORY / name[1:]).unlink()
