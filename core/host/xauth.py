"""The display's X authority: one MIT-MAGIC-COOKIE-1 file that Xvfb and every X client share."""

from __future__ import annotations

import os
import struct
from pathlib import Path

__all__ = ["write_xauthority"]

_FAMILY_WILD = 0xFFFF


def write_xauthority(path: Path, cookie: bytes) -> None:
    """Write an Xauthority file (mode 0600) holding ``cookie`` for any display.

    One MIT-MAGIC-COOKIE-1 entry of family Wild with no address and no display number:
    libXau matches it for every display, so it survives Xvfb coming back on another
    number, and Xvfb ``-auth`` loads it as the only cookie it accepts.
    """

    def counted(data: bytes) -> bytes:
        return struct.pack(">H", len(data)) + data

    entry = (
        struct.pack(">H", _FAMILY_WILD)
        + counted(b"")
        + counted(b"")
        + counted(b"MIT-MAGIC-COOKIE-1")
        + counted(cookie)
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(entry)
