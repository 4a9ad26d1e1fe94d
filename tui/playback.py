"""Playing a recording in the terminal: frames decoded locally with PyAV (FFmpeg's libraries),
streamed from the desktop (HTTP with range requests, the token in a header) or read from a
downloaded file. No Textual here: :class:`Player` hands each frame to a callback, from its
own thread, at the time the frame is due.

One thread owns the decoder: commands (pause, seek, speed, size, close) are put on a queue
it reads between frames, so the decoder is never used from two threads, and a seek or a
close is never more than a frame late.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["SEEK_STEP", "SPEEDS", "Player", "PlayerFrame", "PlayerState"]

log = logging.getLogger("tui")

SEEK_STEP = 5.0
"""Seconds a seek key moves."""

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""The speeds playback steps through."""

OPEN_TIMEOUT = 15.0
"""Seconds to open the recording and to wait for each read from the network."""


@dataclass(frozen=True, slots=True)
class PlayerState:
    """Where playback is: ``position`` and ``duration`` in seconds (``None``: not known)."""

    position: float
    duration: float | None
    paused: bool
    speed: float
    ended: bool = False


@dataclass(frozen=True, slots=True)
class PlayerFrame:
    """One frame, scaled to fit the size asked for, and the state it was shown in."""

    image: Image
    state: PlayerState


@dataclass(frozen=True, slots=True)
class _Command:
    name: str
    value: Any = None


class Player:
    """Plays ``source`` (a URL or a file path) and calls ``on_frame`` with each frame at its
    time, ``on_state`` when only the state changed (paused, ended), ``on_error`` with the
    exception that stopped playback. Call :meth:`start` once and :meth:`close` at the end.
    All callbacks run on the player's thread: they must hand over and return at once.
    """

    def __init__(
        self,
        source: str,
        *,
        headers: Mapping[str, str] | None = None,
        size: tuple[int, int],
        on_frame: Callable[[PlayerFrame], object],
        on_state: Callable[[PlayerState], object] = lambda state: None,
        on_error: Callable[[BaseException], object] = lambda exc: None,
    ) -> None:
        self.source = source
        self.headers = dict(headers or {})
        self._size = size
        self._on_frame = on_frame
        self._on_state = on_state
        self._on_error = on_error
        self._commands: queue.Queue[_Command] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="playback", daemon=True)
        self._paused = False
        self._speed = 1.0
        self._position = 0.0
        self._duration: float | None = None
        self._ended = False

    # ── commands (any thread) ──

    def start(self) -> None:
        self._thread.start()

    def toggle_pause(self) -> None:
        self._commands.put(_Command("pause"))

    def seek(self, delta: float) -> None:
        """Move ``delta`` seconds (negative: back), kept within the recording."""
        self._commands.put(_Command("seek", delta))

    def faster(self, steps: int = 1) -> None:
        """Step through :data:`SPEEDS` (``steps`` < 0: slower)."""
        self._commands.put(_Command("speed", steps))

    def resize(self, size: tuple[int, int]) -> None:
        self._commands.put(_Command("size", size))

    def close(self, wait: float = 2.0) -> None:
        self._commands.put(_Command("close"))
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # ── the player's thread ──

    def _state(self, ended: bool = False) -> PlayerState:
        return PlayerState(
            self._position, self._duration, self._paused, self._speed, ended or self._ended
        )

    def _run(self) -> None:
        try:
            self._play()
        except _Closed:
            pass
        except Exception as exc:
            log.info("playback of %s stopped: %s", self.source.split("?")[0], exc, exc_info=exc)
            self._on_error(exc)

    def _open(self) -> Any:
        import av

        options = {}
        if self.headers:
            options["headers"] = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        return av.open(self.source, options=options, timeout=OPEN_TIMEOUT)

    def _play(self) -> None:
        with self._open() as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if container.duration is not None:
                self._duration = container.duration / 1_000_000
            frames = self._frames(container, stream, None)
            clock = _Clock()
            while True:
                command = self._next_command(block=self._paused)
                if command is not None:
                    frames = self._obey(command, container, stream, frames, clock)
                    continue
                if self._paused:
                    continue
                frame = next(frames, None)
                if frame is None:
                    self._paused = self._ended = True
                    self._on_state(self._state(ended=True))
                    continue
                when = float(frame.time or 0.0)
                if not self._wait_until(clock.due(when, self._speed)):
                    # A command came while waiting: show this frame after obeying it,
                    # unless the command moved playback elsewhere.
                    frames = _prepend(frame, frames)
                    continue
                self._position = when
                self._on_frame(PlayerFrame(self._scaled(frame), self._state()))

    def _frames(self, container: Any, stream: Any, at: float | None) -> Iterator[Any]:
        """Frames from ``at`` seconds on (``None``: from where the decoder is): from the
        keyframe before it, those before ``at`` decoded and dropped."""
        if at is not None:
            container.seek(int(at / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if at is not None and frame.time is not None and frame.time + 1e-6 < at:
                continue
            yield frame

    def _obey(
        self, command: _Command, container: Any, stream: Any, frames: Iterator[Any], clock: _Clock
    ) -> Iterator[Any]:
        if command.name == "close":
            raise _Closed
        if command.name == "pause":
            self._paused = not self._paused
            clock.restart()
            if self._ended and not self._paused:  # play again from the start
                self._ended = False
                self._position = 0.0
                frames = self._frames(container, stream, 0.0)
            self._on_state(self._state())
        elif command.name == "speed":
            index = SPEEDS.index(self._speed) if self._speed in SPEEDS else SPEEDS.index(1.0)
            self._speed = SPEEDS[max(0, min(len(SPEEDS) - 1, index + command.value))]
            clock.restart()
            self._on_state(self._state())
        elif command.name == "size":
            self._size = command.value
        elif command.name == "seek":
            end = self._duration if self._duration is not None else float("inf")
            target = max(0.0, min(end - 0.05, self._position + command.value))
            self._position = target
            self._ended = False
            clock.restart()
            frames = self._frames(container, stream, target)
            if self._paused:  # show where it went
                frame = next(frames, None)
                if frame is not None:
                    self._position = float(frame.time or target)
                    self._on_frame(PlayerFrame(self._scaled(frame), self._state()))
        return frames

    def _next_command(self, *, block: bool) -> _Command | None:
        try:
            return self._commands.get(block=block, timeout=0.5 if block else None)
        except queue.Empty:
            return None

    def _wait_until(self, due: float) -> bool:
        """Sleep until ``due`` (monotonic); ``False`` when a command came first (it is put
        back for the loop to obey)."""
        while True:
            left = due - time.monotonic()
            if left <= 0:
                return True
            try:
                command = self._commands.get(timeout=min(left, 0.05))
            except queue.Empty:
                continue
            self._commands.queue.appendleft(command)  # first in line again
            return False

    def _scaled(self, frame: Any) -> Image:
        width, height = self._size
        source_w, source_h = frame.width, frame.height
        scale = min(width / source_w, height / source_h)
        size = (max(1, round(source_w * scale)), max(1, round(source_h * scale)))
        return frame.to_image(width=size[0], height=size[1])


class _Closed(Exception):
    pass


class _Clock:
    """Maps a frame's time to when it is due: the first frame after a restart is due at
    once, each next one its distance later, divided by the speed."""

    def __init__(self) -> None:
        self._origin: tuple[float, float] | None = None

    def restart(self) -> None:
        self._origin = None

    def due(self, when: float, speed: float) -> float:
        now = time.monotonic()
        if self._origin is None or when < self._origin[1]:
            self._origin = (now, when)
        wall, media = self._origin
        return wall + (when - media) / speed


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest
