"""Which modules an import pulls in, asked of a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["loaded_modules"]

REPO = Path(__file__).resolve().parents[2]


def loaded_modules(modules: str, watched: tuple[str, ...]) -> list[str]:
    """The packages of ``watched`` (each itself or any module below it) that are loaded
    after ``import {modules}`` in a new interpreter run from the checkout, sorted."""
    code = (
        f"import sys, {modules}\n"
        f"watched = {watched!r}\n"
        "print('\\n'.join(sorted(m for m, module in sys.modules.items()\n"
        "    if module is not None  # None: marked not importable (core's httpx._main)\n"
        "    and any(m == w or m.startswith(w + '.') for w in watched))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    return out.split()
