"""The happy paths against the real local desktop host: a live feed and a real download."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from core import AsyncDesktopClient, DownloadProgress, FeedState, FeedUpdate, StatusFeed
from core.downloads import part_path
from tests.feed.updates import take_until
from tests.host.harness import HostProcess


async def test_the_feed_is_live_on_the_hosts_heartbeats(
    desktop_client: AsyncDesktopClient, local_host: HostProcess
) -> None:
    await desktop_client.wait_until_ready(local_host.url)

    async with StatusFeed(desktop_client, local_host.url) as feed:
        lives = 0

        def third_live(update: FeedUpdate) -> bool:
            nonlocal lives
            lives += update.state is FeedState.LIVE
            return lives == 3

        updates = await take_until(feed, third_live, limit=15.0)

    assert [u.state for u in updates] == [FeedState.CONNECTING] + [FeedState.LIVE] * 3
    last = updates[-1]
    assert last.status is not None and last.status.status == "running"
    assert sorted(item.name for item in last.status.items) == [
        "novnc",
        "x11vnc",
        "xfce4",
        "xvfb",
    ]
    times = [u.received_at for u in updates[1:] if u.received_at is not None]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == 2
    assert all(gap < 3.0 for gap in gaps)  # a heartbeat every 2 s, well inside stale_after


async def test_a_real_recording_downloads_to_a_verified_file(
    desktop_client: AsyncDesktopClient, local_host: HostProcess, tmp_path: Path
) -> None:
    url = local_host.url
    started = await desktop_client.start_recording(url)
    assert started.id is not None
    try:
        await asyncio.sleep(1.5)
    finally:
        await desktop_client.stop_recording(url)
    target = tmp_path / "recording.mp4"
    reports: list[DownloadProgress] = []
    try:
        saved = await desktop_client.download_recording_to(
            url, started.id, target, progress=reports.append
        )
        summary = await desktop_client.get_recording(url, started.id)
        whole = await desktop_client.download_recording(url, started.id)
    finally:
        await desktop_client.delete_recording(url, started.id)

    assert saved == target
    data = target.read_bytes()
    assert data == whole
    assert len(data) == summary.size_bytes
    assert data[4:8] == b"ftyp"  # an MP4
    assert not part_path(target).exists()
    assert reports[-1].received == reports[-1].total == len(data)
