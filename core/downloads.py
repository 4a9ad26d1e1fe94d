"""Streaming recording downloads: to ``<path>.part``, resumable, verified, renamed into place.

:func:`download_recording_to` is what ``AsyncDesktopClient.download_recording_to`` runs. The
choices, and why:

* **Memory does not grow with the file.** The body is read with ``response.aiter_raw()`` and
  each piece httpcore hands over is written at once: what asyncio read in one ``recv`` (up to
  256 KiB; :data:`core.transport.READ_SIZE` lets httpcore take it whole instead of in 64 KiB
  slices, see there). Re-chunking with ``aiter_raw(1 << 20)`` makes httpx join the pieces in
  a ``BytesIO`` first, which copies every byte once more: measured on loopback (500 MB),
  that cost a quarter more CPU and gained no throughput, because such writes already bypass
  Python's file buffer. Peak RSS stays ~50 MB for any size.
* **Writes run on the event loop.** A 64 KiB write into the page cache takes tens of
  microseconds; handing each to ``asyncio.to_thread`` cost more than it saved (measured
  99-146 MB/s against 154-158 MB/s, same machine and file). ``fsync``, which can block for
  seconds on a large file, does run in a thread.
* **Byte offsets are file offsets.** The request asks for ``Accept-Encoding: identity`` and
  the raw body is written, so a ``Range`` offset is the ``.part`` file's size.
* **Resume, or start over, never guess.** After a drop (or a clean end short of the announced
  size) the next request asks for ``Range: bytes=<size of .part>-`` with ``If-Range`` set to
  the first answer's ``ETag`` (or ``Last-Modified``), so a recording replaced meanwhile comes
  back whole. A ``206`` is used only when its ``Content-Range`` starts exactly there; a
  ``200`` means the server ignored the range (or the file changed) and the ``.part`` is
  truncated and rewritten from the start. A ``.part`` left by an earlier call is resumed the
  same way, only if its side file ``<path>.part.json`` (written before the first byte:
  ``{"source": URL, "size": N, "validator": V}``) says it holds this recording of this
  desktop at this size; its validator goes in ``If-Range``. A ``.part`` without one, or of
  another recording or desktop (two desktops can both have a ``rec_1.mp4``), is started
  over: completing it with this recording's remainder would give a file of the right size
  and the wrong bytes, which no size check notices. A ``.part`` longer than the recording
  is started over too.
* **It resumes by itself, for a while.** A broken or refused connection, a timeout, 429, 502,
  503, 504, or a body that ends short is retried from the ``.part``'s end with the
  transport's :class:`~core.transport.RetryPolicy` back-off (doubling up to its
  ``max_delay``; ``Retry-After`` honoured), for ``retry_seconds`` (default 5 minutes) after
  the last byte arrived: every outage gets the whole while, so a long download survives many
  cuts, and a desktop that stays away is given up on. Meanwhile the progress callback says
  so (``state`` ``"waiting"`` with the attempt and a countdown, once a second, then
  ``"resuming"``); :func:`progress_line` words it. The metadata request that comes first
  (the recording's size) is such an attempt too: it waits and is retried the same way, in
  the same while, not with the transport's own quicker retries, so a desktop away at the
  start is waited for as one away in the middle. What waiting cannot fix fails at once:
  401/403, 404, 409, other statuses, a full disk (``OSError``), a size mismatch. Cancelling
  the task stops it at once, waiting or not.
* **Verified before it is visible.** The final size must equal the recording's
  ``size_bytes`` (from the metadata request) and the size the server announced
  (``Content-Length`` / ``Content-Range``). Then the ``.part`` is fsynced and renamed over
  the target with :func:`os.replace` (atomic on one file system), and the directory is
  fsynced so the rename survives a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import json
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from core.defaults import DEFAULT_DOWNLOAD_RETRY_SECONDS
from core.errors import (
    Leap0ConnectionError,
    Leap0DownloadError,
    Leap0Error,
    Leap0RateLimitError,
    Leap0ServerError,
    Leap0TimeoutError,
    retry_after_of,
)
from core.formatting import format_bytes, format_duration
from core.models import DesktopRecordingSummary
from core.references import SandboxRef, checked_recording_id
from core.routes import Routes
from core.transport import AsyncTransport, Endpoint, parse_response

__all__ = [
    "PROGRESS_INTERVAL",
    "DownloadProgress",
    "DownloadState",
    "ProgressCallback",
    "RecordingSource",
    "download_recording_to",
    "part_path",
    "part_source_path",
    "progress_line",
]

PROGRESS_INTERVAL = 0.1
"""Least seconds between two progress reports (the last one is always sent)."""

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


class DownloadState(enum.StrEnum):
    """What a download is doing at the time of a report."""

    TRANSFERRING = "transferring"
    """Bytes are arriving (or the first request is on its way)."""
    WAITING = "waiting"
    """The connection broke; the next attempt is ``next_attempt_in`` seconds away."""
    RESUMING = "resuming"
    """Attempt ``attempt`` is asking for the rest; no byte of it yet."""
    COMPLETE = "complete"
    """Every byte is in the ``.part``; it is being verified and renamed (the last report)."""


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """How far a download is. Sizes in bytes, times in seconds.

    ``received`` counts the whole ``.part``, bytes resumed from an earlier call included;
    ``rate`` and ``eta`` count only what this call transferred, so a resumed download does
    not report an impossible speed. ``total`` is ``None`` when neither the recording's
    metadata nor the server said how big the file is; ``eta`` is ``None`` then, before the
    first byte, and while waiting.

    After a cut, ``state`` is :attr:`DownloadState.WAITING` (reported once a second,
    ``next_attempt_in`` counting down) and then :attr:`DownloadState.RESUMING`; ``attempt``
    is the resume attempt of this outage (1, 2, ...; 0 while transferring normally),
    ``last_error`` the one-line reason of the cut, ``gives_up_in`` how long retrying goes on
    if nothing gets through. :func:`progress_line` says it all in one line.
    """

    received: int
    total: int | None
    elapsed: float
    rate: float
    eta: float | None
    state: DownloadState = DownloadState.TRANSFERRING
    attempt: int = 0
    next_attempt_in: float | None = None
    last_error: str | None = None
    gives_up_in: float | None = None

    @property
    def fraction(self) -> float | None:
        """``received / total`` in 0..1, or ``None`` when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, self.received / self.total)


ProgressCallback = Callable[[DownloadProgress], object]
"""Called on the event loop with each report; it must return quickly (post a message)."""


def progress_line(progress: DownloadProgress) -> str:
    """One line for a status bar or a terminal, e.g. ``"12.5 MiB / 300.0 MiB (4 %), 85.2
    MiB/s, 3 s left"``, ``"waiting to resume (attempt 3, next in 8 s)"``, ``"resuming
    (attempt 3)"``. The reason of a wait is in ``progress.last_error``, not here."""
    if progress.state is DownloadState.WAITING:
        when = math.ceil(progress.next_attempt_in or 0)
        return f"waiting to resume (attempt {progress.attempt}, next in {when} s)"
    if progress.state is DownloadState.RESUMING:
        return f"resuming (attempt {progress.attempt})"
    size = format_bytes(progress.received)
    if progress.total is not None:
        size += f" / {format_bytes(progress.total)}"
        if progress.fraction is not None:
            size += f" ({progress.fraction * 100:.0f} %)"
    if progress.state is DownloadState.COMPLETE:
        return f"complete, {size}"
    parts = [size]
    if progress.rate > 0:
        parts.append(f"{format_bytes(progress.rate)}/s")
    if progress.eta is not None and progress.rate > 0:
        parts.append(f"{format_duration(progress.eta)} left")
    return ", ".join(parts)


class RecordingSource(Protocol):
    """What a download needs of the client (an ``AsyncDesktopClient``): where the desktop
    answers, and the transport to ask over."""

    @property
    def transport(self) -> AsyncTransport: ...

    def endpoint(self, sandbox: SandboxRef) -> Endpoint: ...


def part_path(path: Path) -> Path:
    """Where the download to ``path`` is written until it is complete: ``<path>.part``."""
    return path.with_name(path.name + ".part")


def part_source_path(path: Path) -> Path:
    """Where the download to ``path`` says what its ``.part`` holds: ``<path>.part.json``."""
    return path.with_name(path.name + ".part.json")


async def download_recording_to(
    client: RecordingSource,
    sandbox: SandboxRef,
    recording_id: str,
    path: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    http_timeout: float | None = None,
    retry_seconds: float = DEFAULT_DOWNLOAD_RETRY_SECONDS,
) -> Path:
    """Stream recording ``recording_id`` of ``sandbox`` to the file ``path``; return the path.

    The file appears only when complete and verified: the body goes to ``<path>.part``
    (resumed if one is there), which is renamed to ``path`` at the end. ``progress``, if
    given, gets a :class:`DownloadProgress` at most every :data:`PROGRESS_INTERVAL` seconds
    while bytes arrive, on every change of state, once a second while waiting to resume,
    and once when the transfer is complete. ``http_timeout`` bounds connecting and each
    read (seconds), not the whole download. A cut connection is resumed by itself for up to
    ``retry_seconds`` after the last byte arrived (0: not at all), and so is the metadata
    request before it. See the module docstring for the resume and retry rules.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is false; raised before any
            request (and again before the rename, should the file have appeared meanwhile,
            in which case the complete ``.part`` is kept).
        Leap0ValidationError: a malformed ``sandbox`` or ``recording_id``; nothing is sent.
        Leap0NotFoundError, Leap0AuthError: from the metadata request or the download.
        Leap0ConflictError: the recording is still being written (the local host answers
            409); a server that serves a growing file anyway ends in a size mismatch.
        Leap0ConnectionError, Leap0TimeoutError, Leap0ServerError, Leap0RateLimitError:
            the last failure (of the metadata request or the download), once
            ``retry_seconds`` passed without a byte; the ``.part`` is kept. A 5xx other
            than 502, 503, 504 at once.
        Leap0ResponseError: the metadata is not a valid recording summary.
        Leap0DownloadError: the finished file's size is not what the recording's metadata
            or the server announced; the ``.part`` is kept for inspection or a later resume.
        OSError: writing failed, e.g. the disk is full (``errno.ENOSPC``) or the directory
            does not exist; propagated as is, the ``.part`` kept.
        asyncio.CancelledError: propagated; the ``.part`` is kept for a later resume.
    """
    target = Path(path)
    _refuse_existing(target, overwrite)
    endpoint = client.endpoint(sandbox)
    checked = checked_recording_id(recording_id)
    transfer = _Transfer(
        client=client,
        endpoint=endpoint,
        metadata_route=Routes.RECORDING.path(recording_id=checked),
        route=Routes.DOWNLOAD_RECORDING.path(recording_id=checked),
        part=part_path(target),
        source_file=part_source_path(target),
        what=f"download of recording {recording_id}",
        http_timeout=http_timeout,
        progress=progress,
        retry_seconds=retry_seconds,
    )
    await transfer.run()
    transfer.verify()
    _refuse_existing(target, overwrite)
    await asyncio.to_thread(_commit, transfer.part, target)
    with contextlib.suppress(OSError):
        transfer.source_file.unlink()
    return target


def _refuse_existing(target: Path, overwrite: bool) -> None:
    if not overwrite and target.exists():
        raise FileExistsError(
            errno.EEXIST, "file exists; pass overwrite=True to replace it", str(target)
        )


def _commit(part: Path, target: Path) -> None:
    """Make ``part``'s bytes durable, rename it to ``target`` atomically, persist the rename."""
    fd = os.open(part, os.O_WRONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(part, target)
    if hasattr(os, "O_DIRECTORY"):  # POSIX: a directory can be fsynced; not on Windows
        dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


_WAIT_STATUSES = frozenset({502, 503, 504})
"""Statuses of a desktop, or a proxy in front of it, that is away for now."""


def _resumable(exc: Leap0Error) -> bool:
    """Whether waiting can fix a failed attempt: a broken or refused connection, a timeout
    (here a stalled read that a new request may well get past), 429, and a gateway or
    desktop that is away for now (502, 503, 504)."""
    if isinstance(exc, Leap0ConnectionError | Leap0TimeoutError | Leap0RateLimitError):
        return True
    return isinstance(exc, Leap0ServerError) and exc.status_code in _WAIT_STATUSES


def _header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    return int(value) if value is not None and value.isdigit() else None


class _Meter:
    """Turns byte counts and state changes into :class:`DownloadProgress` reports; byte
    reports are throttled to one per :data:`PROGRESS_INTERVAL`."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._started = time.monotonic()
        self._last = float("-inf")
        self.transferred = 0
        """Bytes this call received over the network (what the rate is made of)."""

    def add(self, count: int, received: int, total: int | None) -> None:
        """Count ``count`` more bytes; report if the last report is old enough."""
        self.transferred += count
        if self._callback is not None and time.monotonic() - self._last >= PROGRESS_INTERVAL:
            self.report(received, total)

    def report(
        self,
        received: int,
        total: int | None,
        state: DownloadState = DownloadState.TRANSFERRING,
        *,
        attempt: int = 0,
        next_attempt_in: float | None = None,
        last_error: str | None = None,
        gives_up_in: float | None = None,
    ) -> None:
        if self._callback is None:
            return
        now = self._last = time.monotonic()
        elapsed = now - self._started
        rate = self.transferred / elapsed if elapsed > 0 else 0.0
        eta = None
        if total is not None and rate > 0 and state is not DownloadState.WAITING:
            eta = max(0, total - received) / rate
        self._callback(
            DownloadProgress(
                received,
                total,
                elapsed,
                rate,
                eta,
                state,
                attempt,
                next_attempt_in,
                last_error,
                gives_up_in,
            )
        )


class _Transfer:
    """One download's state across attempts: the recording's size, the ``.part`` size,
    totals and validator.

    ``received`` always equals the ``.part`` file's size (between writes), so a resume
    asks for exactly what is missing. Until the metadata has come (``described``) both
    are unknown and nothing is written.
    """

    def __init__(
        self,
        *,
        client: RecordingSource,
        endpoint: Endpoint,
        metadata_route: str,
        route: str,
        part: Path,
        source_file: Path,
        what: str,
        http_timeout: float | None,
        progress: ProgressCallback | None,
        retry_seconds: float,
    ) -> None:
        self.client = client
        self.retry_seconds = max(0.0, retry_seconds)
        self.endpoint = endpoint
        self.metadata_route = metadata_route
        self.route = route
        self.part = part
        self.described = False  # the metadata has come
        self.expected: int | None = None  # the recording's size_bytes, once described
        self.what = what
        self.http_timeout = http_timeout
        self.source_file = source_file
        self.source = endpoint.url(route)
        self.total: int | None = None  # the size the server announced, once it did
        self.validator: str | None = None  # ETag or Last-Modified, for If-Range
        self.received = 0
        self.meter = _Meter(progress)
        self.attempt = 0  # the resume attempt in flight, 0 when none

    def _resumable_part(self) -> int:
        """The size of a ``.part`` an earlier call left of this very recording, else 0.

        Its validator is taken too. A ``.part`` of anything else is left alone here: the
        first attempt asks for the whole file and rewrites it.
        """
        try:
            size = self.part.stat().st_size
            said = json.loads(self.source_file.read_text())
        except (OSError, ValueError):
            return 0
        if not isinstance(said, dict) or said.get("source") != self.source:
            return 0
        if said.get("size") != self.expected:
            return 0
        validator = said.get("validator")
        self.validator = validator if isinstance(validator, str) else None
        return size

    def _say_source(self) -> None:
        """Write what the ``.part`` holds, before any byte of it is written."""
        said = {"source": self.source, "size": self.expected, "validator": self.validator}
        self.source_file.write_text(json.dumps(said))

    @property
    def announced(self) -> int | None:
        """The best-known size: the server's word, else the metadata's."""
        return self.total if self.total is not None else self.expected

    def complete(self) -> bool:
        return self.total is not None and self.received >= self.total

    async def run(self) -> None:
        """Ask for the metadata, then attempt the transfer, until the announced size is
        reached or retries run out."""
        policy = self.client.transport.retry
        attempt = 0  # resume attempts since the last byte arrived
        outage_since: float | None = None  # when the last attempt that got bytes ended
        while True:
            # What the .part held when this attempt's request went out (None: not known yet).
            before: int | None = self.received if self.described else None
            failure: Leap0Error | None = None
            ended_cleanly = False
            self.attempt = attempt
            try:
                if not self.described:
                    await self._describe()
                    before = self.received
                if not self.complete():
                    ended_cleanly = await self._attempt()
            except Leap0Error as exc:
                if not _resumable(exc):
                    raise
                failure = exc
            if self.complete() or (ended_cleanly and self.total is None):
                break
            now = time.monotonic()
            if outage_since is None or (before is not None and self.received > before):
                outage_since, attempt = now, 0
            attempt += 1
            left = outage_since + self.retry_seconds - now
            if left <= 0:
                if failure is not None:
                    raise failure
                of = "an unknown number of" if self.announced is None else self.announced
                raise Leap0DownloadError(
                    f"{self.what} from {self.endpoint.label} stopped at {self.received} of "
                    f"{of} bytes; the partial file is kept at {self.part}",
                    desktop=self.endpoint.label,
                )
            delay = min(left, policy.delay(attempt - 1, retry_after_of(failure)))
            reason = str(failure) if failure else "the server ended the body early"
            await self._wait(delay, attempt, reason, left)
        self.meter.report(self.received, self.announced, DownloadState.COMPLETE)

    async def _wait(self, delay: float, attempt: int, reason: str, left: float) -> None:
        """Sleep ``delay`` seconds before resume attempt ``attempt``, reporting the wait once
        a second (on whole seconds of the countdown); cancellable at any moment."""
        until = time.monotonic() + delay
        gives_up_at = time.monotonic() + left
        while (remaining := until - time.monotonic()) > 0:
            self.meter.report(
                self.received,
                self.announced,
                DownloadState.WAITING,
                attempt=attempt,
                next_attempt_in=remaining,
                last_error=reason,
                gives_up_in=max(0.0, gives_up_at - time.monotonic()),
            )
            step = remaining % 1.0  # to the next whole second of the countdown
            await asyncio.sleep(min(remaining, step if step > 0.01 else 1.0))
        self.meter.report(
            self.received,
            self.announced,
            DownloadState.RESUMING,
            attempt=attempt,
            last_error=reason,
            gives_up_in=max(0.0, gives_up_at - time.monotonic()),
        )

    async def _describe(self) -> None:
        """Ask for the recording's metadata (one request: the retries are :meth:`run`'s),
        then take what an earlier call left in the ``.part``, if it fits."""
        what = "get recording"
        response = await self.client.transport.request(
            Routes.RECORDING.method,
            self.endpoint,
            self.metadata_route,
            http_timeout=self.http_timeout,
            idempotent=False,  # sent once here: run() retries it with the body's back-off
            what=what,
        )
        summary = parse_response(DesktopRecordingSummary, response, what, self.endpoint.label)
        self.expected = summary.size_bytes
        self.received = self._resumable_part()
        self.described = True
        if self.expected is not None and self.received >= self.expected:
            if self.received == self.expected:  # an earlier call got everything
                self.total = self.expected
            else:
                self._truncate()  # longer than the recording: not a prefix of it

    async def _attempt(self) -> bool:
        """One request from the ``.part``'s end. True when the body ended without error.

        A ``416`` or a ``206`` for another range truncates the ``.part`` and returns False,
        so the next attempt starts from zero.
        """
        offset = self.received
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if self.validator:
                headers["If-Range"] = self.validator
        async with self.client.transport.stream(
            Routes.DOWNLOAD_RECORDING.method,
            self.endpoint,
            self.route,
            headers=headers,
            http_timeout=self.http_timeout,
            expected=(200, 206, 416),
            what=self.what,
        ) as response:
            if not self._accept(response, offset):
                return False
            # 200: a whole body (the range was ignored, or there was none); 206: the rest.
            mode = "ab" if response.status_code == 206 else "wb"
            if mode == "wb":
                self.received = 0
            await asyncio.to_thread(self._say_source)
            # Opening may block (a network file system); the writes are cheap, see the top.
            file = await asyncio.to_thread(open, self.part, mode)
            with file:
                async for piece in response.aiter_raw():
                    file.write(piece)
                    self.received += len(piece)
                    if self.attempt:  # a resume that got through: say so at once
                        self.attempt = 0
                        self.meter.report(self.received, self.announced)
                    self.meter.add(len(piece), self.received, self.announced)
        return True

    def _accept(self, response: httpx.Response, offset: int) -> bool:
        """Learn the total and validator from ``response``; False if its body is unusable."""
        status = response.status_code
        if status == 416:
            # The .part is not shorter than the file: complete if exactly as long.
            match = _UNSATISFIED_RANGE.fullmatch(response.headers.get("content-range", ""))
            if match and int(match.group(1)) == offset:
                self.total = offset
            else:
                self._truncate()
            return False
        if status == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
            if not offset or match is None or int(match.group(1)) != offset:
                self._truncate()
                return False
            self.total = None if match.group(3) == "*" else int(match.group(3))
        else:
            self.total = _header_int(response, "content-length")
        etag = response.headers.get("etag")
        strong_etag = etag if etag and not etag.startswith("W/") else None
        self.validator = strong_etag or response.headers.get("last-modified")
        return True

    def _truncate(self) -> None:
        with open(self.part, "wb"):
            pass
        self.received = 0

    def verify(self) -> None:
        """Raise :class:`Leap0DownloadError` unless the ``.part`` has the announced size."""
        sizes = {
            "the recording's size_bytes": self.expected,
            "the size the server announced": self.total,
        }
        for source, size in sizes.items():
            if size is not None and size != self.received:
                raise Leap0DownloadError(
                    f"{self.what} from {self.endpoint.label} ended with {self.received} bytes, "
                    f"but {source} is {size}; the partial file is kept at {self.part}",
                    desktop=self.endpoint.label,
                )
