"""Reading a bearer token from a file, so it never has to be on a command line.

Anything on a command line is readable by every local user (``ps``, ``/proc/PID/cmdline``);
a file can be kept to its owner. Nothing here imports pydantic or httpx: the dashboard
reads the file before its first frame.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TokenFile", "TokenFileError", "read_token_file"]


class TokenFileError(Exception):
    """The token file cannot be read, or holds no token; the message is one line."""


@dataclass(frozen=True, slots=True)
class TokenFile:
    """The token a file holds, and a one-line warning when others can read the file."""

    token: str
    warning: str | None = None


def read_token_file(path: str | os.PathLike[str]) -> TokenFile:
    """The token in ``path``: its first line, without surrounding whitespace.

    A file that group or other users may read still works, with a ``warning`` saying so
    (``chmod 600`` fixes it). Raises :class:`TokenFileError` when the file cannot be read
    (missing, a directory, no permission, not UTF-8) or its first line is empty.
    """
    file = Path(path).expanduser()
    try:
        with file.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            first = handle.readline(64 * 1024)
        token = first.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise TokenFileError(f"token file {file}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise TokenFileError(f"cannot read token file {file}: {why}") from exc
    if not token:
        raise TokenFileError(f"token file {file}: the first line is empty")
    warning = None
    if stat.S_IMODE(mode) & (stat.S_IRGRP | stat.S_IROTH):
        warning = (
            f"token file {file} is readable by other users (mode {stat.S_IMODE(mode):o}); "
            f"chmod 600 {file}"
        )
    return TokenFile(token, warning)
