"""Files a user keeps: their names, and writing them whole, never over one without asking.

No Textual here: the command line saves files the same way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.models import DesktopRecordingSummary

__all__ = [
    "file_name_for",
    "free_path",
    "numbered_names",
    "save_new",
    "screenshot_stem",
    "write_file",
]


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


def file_name_for(recording: DesktopRecordingSummary) -> str:
    """The name a recording is saved under: the server's file name, reduced to a base name."""
    name = Path(recording.file_name or "").name
    if name in ("", ".", "..") or name.startswith("."):
        name = f"{Path(recording.id).name or 'recording'}.mp4"
    return name


def free_path(directory: Path, name: str, taken: Iterable[Path] = ()) -> Path:
    """The first of ``name``, ``stem-1.ext``, ``stem-2.ext`` ... that is free in ``directory``.

    Free means no file by that name exists and no download under way (``taken``) writes
    to it. A ``<name>.part`` left by an earlier download does not make a name taken: the
    download resumes it if it holds this recording of this desktop, else starts it over.
    """
    taken_set = set(taken)
    for candidate_name in numbered_names(name, 10_000):
        candidate = directory / candidate_name
        if candidate in taken_set or candidate.exists() or candidate.is_symlink():
            continue
        return candidate
    raise FileExistsError(errno.EEXIST, "no free file name", str(directory / name))


def numbered_names(name: str, count: int) -> Iterator[str]:
    """``name``, then ``stem-1.ext``, ``stem-2.ext`` ...: ``count`` names in all."""
    base = Path(name)
    yield name
    for n in range(1, count):
        yield f"{base.stem}-{n}{base.suffix}"


def save_new(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` whole (:func:`write_file`) under the first of ``name``,
    ``stem-1.ext`` ... that no file has in ``directory``; never replaces one. Blocking.

    Raises ``FileExistsError`` when a thousand names are taken, ``OSError`` for a failed write.
    """
    for candidate in numbered_names(name, 1000):
        try:
            return write_file(directory / candidate, data)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free file name", str(directory / name))


def screenshot_stem(when: float) -> str:
    """The name a screenshot taken at ``when`` (Unix seconds) is saved under, without its
    extension: ``screenshot-20261202-013045``."""
    return time.strftime("screenshot-%Y%m%d-%H%M%S", time.localtime(when))
