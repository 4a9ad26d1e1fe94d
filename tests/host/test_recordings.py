"""Recordings: a real ffmpeg capture, checked with ffprobe; downloads with ranges; safety of ids."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from core.desktop import AsyncDesktopClient
from core.errors import Leap0ConflictError, Leap0NotFoundError
from tests.host.harness import HostProcess
from tests.host.xclients import run

SECONDS = 3.0


@pytest_asyncio.fixture
async def http(local_host: HostProcess) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {local_host.token}"}
    async with httpx.AsyncClient(base_url=local_host.url, headers=headers, timeout=60) as client:
        yield client


async def _probe(path: Path) -> dict[str, object]:
    out = await run(
        [
            "ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
            "-show_entries",
            "stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_read_frames:format=duration",
            "-of", "json", str(path),
        ],
        dict(os.environ),
        within=60,
    )  # fmt: skip
    data = json.loads(out)
    stream = data["streams"][0]
    return {**stream, "duration": float(data["format"]["duration"])}


async def test_a_recording_is_a_playable_mp4_of_its_length_at_12_fps(
    desktop_client: AsyncDesktopClient,
    local_host: HostProcess,
    http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    url = local_host.url
    started = await desktop_client.start_recording(url)
    began = time.monotonic()
    try:
        assert started.active and started.id and started.id.startswith("rec_")
        assert started.file_name == f"{started.id}.mp4"
        assert started.mime_type == "video/mp4"
        assert started.resolution == "1440x900"
        with pytest.raises(Leap0ConflictError):
            await desktop_client.start_recording(url)
        status = await desktop_client.recording_status(url)
        assert status.active and status.id == started.id
        listed = {r.id: r for r in await desktop_client.recordings(url)}
        assert listed[started.id].active
        # While it is being written it can be neither deleted nor downloaded.
        with pytest.raises(Leap0ConflictError):
            await desktop_client.delete_recording(url, started.id)
        assert (await http.get(f"/api/recordings/{started.id}/download")).status_code == 409
        # Something moves on screen meanwhile.
        for i in range(6):
            await desktop_client.move_pointer(url, x=100 + 100 * i, y=100 + 50 * i)
            await asyncio.sleep(SECONDS / 8)
        await asyncio.sleep(max(0.0, SECONDS - (time.monotonic() - began)))
    finally:
        stopped = await desktop_client.stop_recording(url)
    assert not stopped.active and stopped.id == started.id
    assert stopped.stopped_at is not None and started.started_at is not None
    with pytest.raises(Leap0ConflictError):
        await desktop_client.stop_recording(url)

    summary = await desktop_client.get_recording(url, started.id)
    assert not summary.active
    path = local_host.recordings_dir / f"{started.id}.mp4"
    assert summary.size_bytes == path.stat().st_size > 0
    assert summary.download == f"/api/recordings/{started.id}/download"

    probe = await _probe(path)
    assert probe["codec_name"] == "h264"
    assert probe["pix_fmt"] == "yuv420p"
    assert (probe["width"], probe["height"]) == (1440, 900)
    assert probe["r_frame_rate"] == "12/1"
    duration = float(probe["duration"])  # type: ignore[arg-type]
    assert SECONDS - 1.0 <= duration <= SECONDS + 1.5, probe
    frames = int(probe["nb_read_frames"])  # type: ignore[call-overload]
    assert abs(frames - duration * 12) <= 3, probe

    # The whole download is the file; a ranged one is the right slice.
    whole = await desktop_client.download_recording(url, started.id)
    assert whole == path.read_bytes()
    ranged = await http.get(
        f"/api/recordings/{started.id}/download", headers={"Range": "bytes=100-1099"}
    )
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 100-1099/{len(whole)}"
    assert ranged.content == whole[100:1100]
    tail = await http.get(f"/api/recordings/{started.id}/download", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206
    assert tail.content == whole[-500:]
    beyond = await http.get(
        f"/api/recordings/{started.id}/download", headers={"Range": f"bytes={len(whole) + 10}-"}
    )
    assert beyond.status_code == 416

    # Deleted: gone from the list and the disk; a second delete is a 404.
    await desktop_client.delete_recording(url, started.id)
    assert not path.exists()
    assert started.id not in {r.id for r in await desktop_client.recordings(url)}
    with pytest.raises(Leap0NotFoundError):
        await desktop_client.delete_recording(url, started.id)
    with pytest.raises(Leap0NotFoundError):
        await desktop_client.get_recording(url, started.id)


TRAVERSALS = [
    "..",
    "../secret",
    "..%2Fsecret",
    "%2E%2E%2Fsecret",
    "rec_1%2F..%2F..%2Fsecret",
    "rec_1.mp4",
    "rec_..",
    "secret",
    "linked",
    "rec_123linked",
    "rec_424242",
    "REC_1",
    "rec_1 ",
    "%00",
]


@pytest.mark.parametrize("recording_id", TRAVERSALS)
async def test_ids_that_are_not_the_hosts_recordings_answer_404_and_touch_nothing(
    http: httpx.AsyncClient, local_host: HostProcess, recording_id: str
) -> None:
    recordings = local_host.recordings_dir
    recordings.mkdir(parents=True, exist_ok=True)
    outside = recordings.parent / "secret.mp4"
    outside.write_bytes(b"not yours")
    (recordings / "secret.mp4").write_bytes(b"not a recording")
    link = recordings / "rec_424242.mp4"
    if not link.is_symlink():
        link.symlink_to(outside)
    try:
        for method, suffix in (("GET", ""), ("GET", "/download"), ("DELETE", "")):
            response = await http.request(method, f"/api/recordings/{recording_id}{suffix}")
            assert response.status_code == 404, (method, suffix, response.text)
            assert response.json()["message"]
        assert outside.read_bytes() == b"not yours"
        assert (recordings / "secret.mp4").read_bytes() == b"not a recording"
        assert link.is_symlink()
        listed = (await http.get("/api/recordings")).json()["items"]
        assert not any(item["id"] in ("secret", "rec_424242") for item in listed)
    finally:
        link.unlink()
        (recordings / "secret.mp4").unlink()
        outside.unlink()


async def test_recording_status_without_any_recording(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    status = await desktop_client.recording_status(local_host.url)
    assert not status.active
