"""Playing a recording (tui/playback.py): a video made here, and one streamed from the real
local host with its token in a header."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import pytest
from PIL import Image, ImageStat

from core.desktop import AsyncDesktopClient
from tests.host.harness import HostProcess
from tui.playback import Player, PlayerFrame, PlayerState

FPS = 12
SECONDS = 4


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s at 12 fps, 320x200, H.264 as the desktop records; frame n is grey level n*5."""
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 320, 200, "yuv420p"
        stream.options = {"g": "24"}  # a keyframe every 2 s, so seeks decode forward
        for n in range(FPS * SECONDS):
            picture = Image.new("RGB", (320, 200), (n * 5, n * 5, n * 5))
            frame = av.VideoFrame.from_image(picture)
            frame.pts, frame.time_base = n, Fraction(1, FPS)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


class Seen:
    """What a player handed over, and a way to wait for it."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, PlayerFrame]] = []
        self.states: list[PlayerState] = []
        self.errors: list[BaseException] = []
        self._changed = threading.Condition()

    def frame(self, frame: PlayerFrame) -> None:
        with self._changed:
            self.frames.append((time.monotonic(), frame))
            self._changed.notify_all()

    def state(self, state: PlayerState) -> None:
        with self._changed:
            self.states.append(state)
            self._changed.notify_all()

    def error(self, exc: BaseException) -> None:
        with self._changed:
            self.errors.append(exc)
            self._changed.notify_all()

    def until(self, ready: Callable[[], bool], limit: float = 10.0) -> None:
        with self._changed:
            assert self._changed.wait_for(ready, limit), (self.frames[-3:], self.states)

    def player(self, source: str, **kwargs: object) -> Player:
        return Player(
            source,
            size=(160, 160),
            on_frame=self.frame,
            on_state=self.state,
            on_error=self.error,
            **kwargs,  # type: ignore[arg-type]
        )


def grey(frame: PlayerFrame) -> int:
    return round(ImageStat.Stat(frame.image.convert("L")).mean[0])


def test_plays_every_frame_in_order_at_its_time_scaled_to_fit(video: Path) -> None:
    seen = Seen()
    player = seen.player(str(video))
    player.start()
    try:
        seen.until(lambda: any(s.ended for s in seen.states))
    finally:
        player.close()
    assert len(seen.frames) == FPS * SECONDS
    assert seen.frames[0][1].image.size == (160, 100)  # 320x200 fitted into 160x160
    greys = [grey(f) for _, f in seen.frames]
    assert greys == sorted(greys) and abs(greys[-1] - (FPS * SECONDS - 1) * 5) <= 3
    took = seen.frames[-1][0] - seen.frames[0][0]
    assert SECONDS - 0.4 < took < SECONDS + 0.6  # real time, not as fast as it decodes
    assert seen.states[-1].duration == pytest.approx(SECONDS, abs=0.2)


def test_pause_seek_and_speed(video: Path) -> None:
    seen = Seen()
    player = seen.player(str(video))
    player.start()
    try:
        seen.until(lambda: len(seen.frames) >= 3)
        player.toggle_pause()
        seen.until(lambda: any(s.paused for s in seen.states))
        count = len(seen.frames)
        time.sleep(0.5)
        assert len(seen.frames) == count  # paused: nothing more

        player.seek(2.5)  # paused: the frame it went to is shown
        seen.until(lambda: len(seen.frames) > count)
        position = seen.frames[-1][1].state.position
        assert 2.5 <= position <= 2.9
        assert abs(grey(seen.frames[-1][1]) - round(position * FPS) * 5) <= 3

        player.seek(-10)  # not before the start
        seen.until(lambda: seen.frames[-1][1].state.position == 0)

        player.faster()  # 2x
        player.toggle_pause()
        seen.until(lambda: seen.frames[-1][1].state.position >= 1.0)
        recent = [t for t, f in seen.frames if 0.2 <= f.state.position <= 1.0]
        rate = (len(recent) - 1) / (recent[-1] - recent[0])
        assert 20 < rate < 28, rate  # 12 fps at 2x
        assert seen.frames[-1][1].state.speed == 2.0
    finally:
        player.close()
    assert not player.alive
    assert seen.errors == []


def test_a_file_that_is_not_a_video_is_an_error_not_a_crash(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    seen = Seen()
    player = seen.player(str(broken))
    player.start()
    seen.until(lambda: bool(seen.errors))
    assert not player.alive or player.close() is None


async def test_streams_a_recording_from_the_real_host_with_the_token_in_a_header(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    started = await desktop_client.start_recording(local_host.url)
    await asyncio.sleep(2)
    await desktop_client.stop_recording(local_host.url)
    url = f"{local_host.url}/api/recordings/{started.id}/download"
    seen = Seen()
    player = seen.player(url, headers={"Authorization": f"Bearer {local_host.token}"})
    player.start()
    try:
        seen.until(lambda: len(seen.frames) >= 5)
        assert seen.frames[0][1].image.size == (160, 100)  # 1440x900 fitted
    finally:
        player.close()
        await desktop_client.delete_recording(local_host.url, started.id)
    refused = Seen()
    wrong = refused.player(url, headers={"Authorization": "Bearer wrong"})
    wrong.start()
    refused.until(lambda: bool(refused.errors))
    assert "401" in str(refused.errors[0]) or "Unauthorized" in str(refused.errors[0])
