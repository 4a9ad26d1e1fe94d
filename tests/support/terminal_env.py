"""The environment a terminal under test runs the app in: nothing of the caller's but PATH.

Shared by the tmux tests (``tests/tui/test_e2e_tmux.py``) and the tmux benchmarks
(``benchmarks/tui_tmux.py``): the user's config, state, cache and locale never leak in.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["clean_terminal_env"]


def clean_terminal_env(home: Path) -> dict[str, str]:
    """A home, config, state and cache of their own under ``home``, a 256-colour xterm, UTF-8."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home / "home"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }
