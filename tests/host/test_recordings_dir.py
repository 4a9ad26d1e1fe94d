"""Each running host keeps a recordings folder of its own (core/host/recordings_dir.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.host.recordings_dir import LOCK_NAME, RecordingsDirError, claim_recordings_dir
from tests.host.harness import REPO, start_host, stop_host


def test_the_default_folder_taken_the_next_free_sibling_is_claimed(tmp_path: Path) -> None:
    base = tmp_path / "leap0-recordings"
    first = claim_recordings_dir(base, configured=False)
    second = claim_recordings_dir(base, configured=False)
    third = claim_recordings_dir(base, configured=False)
    try:
        assert [first.path, second.path, third.path] == [
            base,
            tmp_path / "leap0-recordings-2",
            tmp_path / "leap0-recordings-3",
        ]
        assert (base / LOCK_NAME).read_text().strip() == str(os.getpid())
    finally:
        second.release()
    # Let go (the host ended): the next host gets it back.
    again = claim_recordings_dir(base, configured=False)
    assert again.path == tmp_path / "leap0-recordings-2"
    for claim in (first, third, again):
        claim.release()


def test_a_configured_folder_held_by_another_host_is_refused(tmp_path: Path) -> None:
    held = claim_recordings_dir(tmp_path / "mine", configured=True)
    try:
        with pytest.raises(RecordingsDirError, match="recordings folder of the host with pid"):
            claim_recordings_dir(tmp_path / "mine", configured=True)
    finally:
        held.release()
    claim_recordings_dir(tmp_path / "mine", configured=True).release()


def test_two_hosts_of_one_user_never_share_a_recordings_folder(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    env.pop("LEAP0_RECORDINGS_DIR", None)
    one = start_host(tmp_path / "one", recordings_dir=None, env=env)
    try:
        two = start_host(tmp_path / "two", recordings_dir=None, env=env)
        try:
            cache = tmp_path / "home" / ".cache"
            assert one.recordings_dir == cache / "leap0-recordings"
            assert two.recordings_dir == cache / "leap0-recordings-2"
            # Naming the first one's folder for a third host is refused, in one line.
            third = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "core.host",
                    "--port",
                    "0",
                    "--run-dir",
                    str(tmp_path / "3"),
                ],
                cwd=REPO,
                env={**env, "LEAP0_RECORDINGS_DIR": str(one.recordings_dir)},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert third.returncode == 1
            assert third.stdout == ""
            assert f"the host with pid {one.pid}" in third.stderr
        finally:
            stop_host(two)
    finally:
        stop_host(one)
