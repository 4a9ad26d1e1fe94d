"""A stop signal ends leap0-tui even when its orderly exit cannot finish."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.tui.test_e2e_tmux import ROOT


def test_an_exit_that_hangs_ends_anyway_with_the_local_desktops_stopped(tmp_path: Path) -> None:
    stopped = tmp_path / "stopped"
    # As when Textual's exit blocks on a terminal that is gone: the main thread never
    # returns, and signals are no use to it.
    script = textwrap.dedent(
        f"""
        import queue
        from tui.shutdown import exit_at_the_latest
        exit_at_the_latest(0.5, lambda: open({str(stopped)!r}, "w").close(), 129)
        queue.Queue(1).put(None); queue.Queue(0).get()
        """
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, timeout=20, capture_output=True, text=True
    )
    assert done.returncode == 129, done.stderr
    assert stopped.exists()
    assert 0.4 < time.monotonic() - started < 10


def test_an_orderly_exit_is_not_cut_short(tmp_path: Path) -> None:
    stopped = tmp_path / "stopped"
    script = textwrap.dedent(
        f"""
        from tui.shutdown import exit_at_the_latest
        exit_at_the_latest(5.0, lambda: open({str(stopped)!r}, "w").close(), 129)
        print("done")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, timeout=20, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == "done\n", done.stderr
    assert not stopped.exists()  # the timer's thread does not keep the process alive
