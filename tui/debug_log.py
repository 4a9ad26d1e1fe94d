"""The debug log: every log record of the process to a file, never to the terminal Textual owns."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

__all__ = ["FILE_NAME", "setup"]

FILE_NAME = "leap0-tui.log"

MAX_BYTES = 2_000_000
"""Size at which the log is rotated; two old files are kept."""


def setup(directory: Path) -> Path | None:
    """Send log records to :data:`FILE_NAME` in ``directory`` (created if need be); debug
    records too when ``LEAP0_DEBUG`` is set. The file's path, or ``None`` when it cannot be
    written (then records are dropped)."""
    root = logging.getLogger()
    level = logging.DEBUG if os.environ.get("LEAP0_DEBUG") else logging.INFO
    path: Path | None = directory / FILE_NAME
    handler: logging.Handler
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            directory / FILE_NAME, maxBytes=MAX_BYTES, backupCount=2, encoding="utf-8"
        )
    except OSError:
        handler, path = logging.NullHandler(), None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
