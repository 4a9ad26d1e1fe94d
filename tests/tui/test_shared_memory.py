"""Shared memory objects for kitty's frames: made private and new, removed when left over."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tui import shared_memory

pytestmark = pytest.mark.skipif(not shared_memory.available(), reason="no /dev/shm here")


def path_of(name: str) -> Path:
    return Path("/dev/shm") / name.lstrip("/")


def test_an_object_holds_the_data_and_only_its_owner_reads_it() -> None:
    name = shared_memory.create(b"\x01\x02\x03" * 1000)
    try:
        assert name.startswith(f"/{shared_memory.PREFIX}{os.getpid()}-")
        assert path_of(name).read_bytes() == b"\x01\x02\x03" * 1000
        assert stat.S_IMODE(path_of(name).stat().st_mode) == 0o600
        other = shared_memory.create(b"x")
        shared_memory.unlink(other)
        assert other != name  # every object is new
    finally:
        shared_memory.unlink(name)
    assert not path_of(name).exists()
    shared_memory.unlink(name)  # gone already: nothing happens


def test_unlink_touches_nothing_but_our_objects(tmp_path: Path) -> None:
    other = Path("/dev/shm") / f"not-ours-{os.getpid()}"
    other.write_bytes(b"keep")
    try:
        shared_memory.unlink(f"/{other.name}")
        shared_memory.unlink(f"/{shared_memory.PREFIX}../{other.name}")
        assert other.read_bytes() == b"keep"
    finally:
        other.unlink()


def test_sweep_removes_what_a_dead_dashboard_left_and_keeps_a_live_ones() -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    left = Path("/dev/shm") / f"{shared_memory.PREFIX}{dead.stdout.strip()}-0123456789ab"
    left.write_bytes(b"an unread frame")
    mine = shared_memory.create(b"a frame on its way")
    try:
        assert shared_memory.sweep() >= 1
        assert not left.exists()
        assert path_of(mine).exists()
    finally:
        left.unlink(missing_ok=True)
        shared_memory.unlink(mine)
