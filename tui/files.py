"""Writing files a user keeps: complete or not at all, and never over one without asking."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_file"]


def write_file(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    The temporary file is flushed to disk and then renamed into place, so ``path`` is
    either absent or complete. Without ``overwrite`` an existing ``path`` is left alone
    (also one that appeared while writing). Creates missing parent directories.
    Blocking: run it in a thread.

    Raises ``FileExistsError`` when ``path`` exists and ``overwrite`` is false, and
    ``OSError`` for anything else that fails (a full disk, no permission); the temporary
    file is removed either way.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists")
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(temp, path)
        else:
            # A hard link fails if the name was taken meanwhile; a rename would replace it.
            try:
                os.link(temp, path)
            except FileExistsError:
                raise
            except OSError:
                # No hard links here (FAT, some network file systems): check, then rename.
                if path.exists():
                    raise FileExistsError(f"{path} exists") from None
                os.replace(temp, path)
            else:
                temp.unlink()
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path
