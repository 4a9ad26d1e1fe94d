"""download_recording_to over real HTTP: resume after drops, Range ignored, verification,
no overwriting, progress and cancellation."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from core import (
    AsyncDesktopClient,
    AsyncTransport,
    DownloadProgress,
    Leap0ConnectionError,
    Leap0DownloadError,
    Leap0NotFoundError,
    RetryPolicy,
)
from core.downloads import (
    PROGRESS_INTERVAL,
    DownloadState,
    part_path,
    part_source_path,
    progress_line,
)
from tests.feed.recording_server import Fault, RecordingServer
from tests.support.cutting_proxy import Cut, cutting_proxy
from tests.support.fake_desktop import TOKEN

REC = "rec_1"
SIZE = 1_500_000  # about 23 of the server's 64 KiB chunks


# File access for the assertions, kept out of the async tests' bodies (ASYNC240).
def contents(path: Path) -> bytes:
    return path.read_bytes()


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def exists(path: Path) -> bool:
    return path.exists()


def leave_part(target: Path, data: bytes, source: str, size: int | None = SIZE) -> None:
    """What an earlier call leaves: the ``.part`` and its side file (the documented form)."""
    write(part_path(target), data)
    said = {"source": source, "size": size, "validator": None}
    part_source_path(target).write_text(json.dumps(said))


def download_url(recordings_url: str, recording_id: str = REC) -> str:
    return f"{recordings_url.rstrip('/')}/api/recordings/{recording_id}/download"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The recording as the server has it: random bytes, so any misplaced byte shows."""
    path = tmp_path / "served" / "rec_1.mp4"
    path.parent.mkdir()
    write(path, os.urandom(SIZE))
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "saved" / "recording.mp4"


@pytest.fixture(autouse=True)
def _saved_dir(target: Path) -> None:
    target.parent.mkdir()


async def test_three_interrupted_transfers_resume_to_an_identical_file(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.publish(REC, source, Fault(300_000), Fault(400_000), Fault(500_000))

    saved = await client.download_recording_to(recordings_url, REC, target)

    assert saved == target
    assert contents(target) == contents(source)
    assert not exists(part_path(target))
    ranges = [s.headers.get("range") for s in recordings.served]
    assert ranges == [None, "bytes=300000-", "bytes=700000-", "bytes=1200000-"]
    assert [s.status for s in recordings.served] == [200, 206, 206, 206]
    # Each resume is conditional on the file being the one first served.
    assert all(s.headers.get("if-range") for s in recordings.served[1:])
    assert recordings.served[0].headers["accept-encoding"] == "identity"


async def test_a_server_that_ignores_range_still_yields_a_correct_file(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.ignore_range = True
    recordings.publish(REC, source, Fault(600_000))

    await client.download_recording_to(recordings_url, REC, target)

    assert contents(target) == contents(source)
    assert [s.status for s in recordings.served] == [200, 200]
    assert recordings.served[1].headers["range"] == "bytes=600000-"


async def test_a_part_left_by_an_earlier_call_is_resumed(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    leave_part(target, contents(source)[:1_000_000], download_url(recordings_url))
    recordings.publish(REC, source)

    await client.download_recording_to(recordings_url, REC, target)

    assert contents(target) == contents(source)
    assert [s.headers.get("range") for s in recordings.served] == ["bytes=1000000-"]
    assert not exists(part_path(target)) and not exists(part_source_path(target))


@pytest.mark.parametrize("leftover", ["without its side file", "of another desktop"])
async def test_a_part_of_anything_else_is_started_over(
    leftover: str,
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    """Another desktop can have a recording of that name and size: resuming its .part would
    give a file of the right size and the wrong bytes, so it starts over."""
    if leftover == "without its side file":
        write(part_path(target), os.urandom(1_000_000))
    else:
        elsewhere = "http://127.0.0.1:9/api/recordings/rec_1/download"
        leave_part(target, os.urandom(1_000_000), elsewhere)
    recordings.publish(REC, source)

    await client.download_recording_to(recordings_url, REC, target)

    assert contents(target) == contents(source)
    assert [s.headers.get("range") for s in recordings.served] == [None]


async def test_a_complete_part_is_verified_and_renamed_without_downloading(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    leave_part(target, contents(source), download_url(recordings_url))
    recordings.publish(REC, source)

    await client.download_recording_to(recordings_url, REC, target)

    assert contents(target) == contents(source)
    assert recordings.served == []


async def test_a_part_longer_than_the_recording_is_started_over(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    leave_part(target, b"x" * (SIZE + 10), download_url(recordings_url))
    recordings.publish(REC, source)

    await client.download_recording_to(recordings_url, REC, target)

    assert contents(target) == contents(source)
    assert [s.headers.get("range") for s in recordings.served] == [None]


async def test_a_size_mismatch_is_caught_and_the_part_kept(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.size_bytes = SIZE + 10  # the metadata promises more than the route serves
    recordings.publish(REC, source)

    with pytest.raises(Leap0DownloadError) as caught:
        await client.download_recording_to(recordings_url, REC, target)

    assert "1500000 bytes" in str(caught.value)
    assert str(SIZE + 10) in str(caught.value)
    assert str(part_path(target)) in str(caught.value)
    assert not exists(target)
    assert contents(part_path(target)) == contents(source)


async def test_an_existing_file_is_not_overwritten(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    write(target, b"keep me")
    recordings.publish(REC, source)

    with pytest.raises(FileExistsError):
        await client.download_recording_to(recordings_url, REC, target)

    assert contents(target) == b"keep me"
    assert recordings.metadata_requests == 0  # refused before any request
    assert recordings.served == []
    assert not exists(part_path(target))


async def test_overwrite_replaces_an_existing_file(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    write(target, b"old")
    recordings.publish(REC, source)

    await client.download_recording_to(recordings_url, REC, target, overwrite=True)

    assert contents(target) == contents(source)


async def test_progress_is_reported_at_most_ten_times_a_second_and_at_the_end(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.chunk_delay = 0.02  # ~23 chunks: about half a second
    recordings.publish(REC, source)
    reports: list[DownloadProgress] = []
    loop = asyncio.get_running_loop()
    started = loop.time()

    await client.download_recording_to(recordings_url, REC, target, progress=reports.append)

    elapsed = loop.time() - started
    assert 3 <= len(reports) <= elapsed / PROGRESS_INTERVAL + 2
    received = [r.received for r in reports]
    assert received == sorted(received)
    last = reports[-1]
    assert (last.received, last.total, last.fraction) == (SIZE, SIZE, 1.0)
    assert last.rate > 0 and last.eta == 0
    assert all(r.total == SIZE for r in reports)
    assert all(r.eta is not None and r.eta >= 0 for r in reports)


async def test_cancelling_keeps_the_part_for_a_later_resume(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.publish(REC, source, Fault(800_000, "stall"))

    task = asyncio.create_task(client.download_recording_to(recordings_url, REC, target))
    assert await asyncio.to_thread(recordings.stalled.wait, 5)
    await asyncio.sleep(0.3)  # the client reads what was sent before the stall
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert not exists(target)
    assert contents(part_path(target)) == contents(source)[:800_000]

    await client.download_recording_to(recordings_url, REC, target)
    assert contents(target) == contents(source)
    resumed = recordings.served[-1].headers
    assert resumed["range"] == "bytes=800000-"
    # The first answer's validator was kept with the .part: a replaced file comes back whole.
    assert resumed["if-range"] == recordings.served[0].response_headers["etag"]


async def test_retrying_stops_once_nothing_got_through_for_retry_seconds(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.publish(REC, source, Fault(100_000), *[Fault(0)] * 1000)
    loop = asyncio.get_running_loop()
    started = loop.time()

    with pytest.raises(Leap0ConnectionError):
        await client.download_recording_to(recordings_url, REC, target, retry_seconds=0.6)

    assert 0.6 <= loop.time() - started < 3
    # FAST_RETRY waits at most 0.2 s: about 0.6 / 0.2 attempts after the first, or more.
    assert len(recordings.served) >= 4
    assert len(contents(part_path(target))) == 100_000


async def test_retry_seconds_zero_fails_at_the_first_cut(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.publish(REC, source, Fault(100_000))

    with pytest.raises(Leap0ConnectionError):
        await client.download_recording_to(recordings_url, REC, target, retry_seconds=0)

    assert len(recordings.served) == 1


async def test_a_download_cut_three_times_by_the_network_completes_by_itself(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    """A TCP proxy cuts the connection three times (twice with a reset): the download waits,
    resumes from the .part each time, and ends byte-identical, the caller none the wiser."""
    recordings.publish(REC, source)
    reports: list[DownloadProgress] = []
    cuts = [Cut(300_000, reset=True), Cut(400_000), Cut(500_000, reset=True)]
    with cutting_proxy(recordings_url) as proxy:
        proxy.cuts.extend(cuts)
        await client.download_recording_to(proxy.url, REC, target, progress=reports.append)
        assert proxy.cut_done == 3

    assert contents(target) == contents(source)
    assert not exists(part_path(target))
    ranges = [s.headers.get("range") for s in recordings.served]
    assert ranges[0] is None and all(r and r.startswith("bytes=") for r in ranges[1:])
    assert len(ranges) == 4
    waits = [r for r in reports if r.state is DownloadState.WAITING]
    assert len({(r.received, r.attempt) for r in waits}) == 3  # one wait per cut
    assert all(r.attempt == 1 and r.next_attempt_in is not None for r in waits)
    assert all(r.last_error and "()" not in r.last_error for r in waits)
    assert all("broke" in (r.last_error or "") for r in waits)
    assert sum(r.state is DownloadState.RESUMING for r in reports) == 3
    assert reports[-1].state is DownloadState.COMPLETE
    assert reports[-1].received == SIZE


async def test_a_metadata_request_cut_or_refused_is_retried_like_the_body(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    """The request for the recording's size comes first: refused (reset at once), cut
    before its answer, cut inside its headers, it waits and is retried as the body is, more
    times than the transport's own retries (3 here), and the download ends byte-identical."""
    recordings.publish(REC, source)
    reports: list[DownloadProgress] = []
    cuts = [Cut(0, reset=True), Cut(0), Cut(60, reset=True), Cut(60)]
    with cutting_proxy(recordings_url) as proxy:
        proxy.cuts.extend(cuts)
        await client.download_recording_to(proxy.url, REC, target, progress=reports.append)
        assert proxy.cut_done == len(cuts)

    assert contents(target) == contents(source)
    assert recordings.metadata_requests >= 1  # the cut ones may not have reached it
    assert [s.headers.get("range") for s in recordings.served] == [None]
    waits = [r for r in reports if r.state is DownloadState.WAITING]
    assert sorted({r.attempt for r in waits}) == [1, 2, 3, 4]  # no byte between them
    assert all(r.received == 0 and r.next_attempt_in is not None for r in waits)
    assert all(r.last_error and "get recording" in r.last_error for r in waits)
    assert all(progress_line(r).startswith(f"waiting to resume (attempt {r.attempt}, next in ")
               for r in waits)  # fmt: skip
    assert [r.attempt for r in reports if r.state is DownloadState.RESUMING] == [1, 2, 3, 4]
    assert reports[-1].state is DownloadState.COMPLETE and reports[-1].received == SIZE


async def test_a_desktop_away_from_the_start_is_given_up_on_after_retry_seconds(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.publish(REC, source)
    reports: list[DownloadProgress] = []
    loop = asyncio.get_running_loop()
    with cutting_proxy(recordings_url) as proxy:
        proxy.down = True
        started = loop.time()
        with pytest.raises(Leap0ConnectionError, match="get recording"):
            await client.download_recording_to(
                proxy.url, REC, target, progress=reports.append, retry_seconds=0.6
            )
        assert 0.6 <= loop.time() - started < 3
        assert proxy.connections >= 4  # FAST_RETRY waits at most 0.2 s

    assert any(r.state is DownloadState.WAITING for r in reports)
    assert recordings.metadata_requests == 0 and recordings.served == []
    assert not exists(part_path(target)) and not exists(target)


async def test_the_wait_is_reported_and_cancelling_it_stops_at_once(
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    recordings.publish(REC, source)
    reports: list[DownloadProgress] = []
    waiting = asyncio.Event()

    def on_progress(progress: DownloadProgress) -> None:
        reports.append(progress)
        if progress.state is DownloadState.WAITING:
            waiting.set()

    slow = RetryPolicy(attempts=1, base_delay=8.0, max_delay=8.0)
    transport = AsyncTransport(api_key=TOKEN, timeout=5.0, retry=slow)
    with cutting_proxy(recordings_url) as proxy:
        async with AsyncDesktopClient(transport) as client:
            proxy.cuts.append(Cut(700_000, reset=True))
            task = asyncio.create_task(
                client.download_recording_to(proxy.url, REC, target, progress=on_progress)
            )
            await asyncio.wait_for(waiting.wait(), 10)
            loop = asyncio.get_running_loop()
            cancelled_at = loop.time()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert loop.time() - cancelled_at < 0.5

    wait = next(r for r in reports if r.state is DownloadState.WAITING)
    assert wait.attempt == 1
    assert wait.next_attempt_in is not None and 7 < wait.next_attempt_in <= 10
    assert wait.gives_up_in is not None and 290 < wait.gives_up_in <= 300
    assert wait.eta is None and wait.total == SIZE and 0 < wait.received < SIZE
    assert progress_line(wait).startswith("waiting to resume (attempt 1, next in ")
    assert not exists(target)
    assert 0 < len(contents(part_path(target))) < SIZE  # kept for a later resume
    assert len(recordings.served) == 1


async def test_a_recording_deleted_during_the_wait_fails_at_once(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    source: Path,
    target: Path,
) -> None:
    """Waiting cannot bring a 404 back: the first answer after the cut ends it."""
    recordings.publish(REC, source, Fault(300_000))

    def delete_when_cut(progress: DownloadProgress) -> None:
        if progress.state is DownloadState.WAITING:
            recordings.files.pop(REC, None)

    with pytest.raises(Leap0NotFoundError):
        await client.download_recording_to(
            recordings_url, REC, target, progress=delete_when_cut, retry_seconds=60
        )

    assert len(recordings.served) == 1  # the 404 is not a download response
    assert len(contents(part_path(target))) == 300_000


def test_progress_lines() -> None:
    mib = 1 << 20
    moving = DownloadProgress(12 * mib, 300 * mib, 1.0, 85.2 * mib, 3.4)
    assert progress_line(moving) == "12.0 MiB / 300.0 MiB (4 %), 85.2 MiB/s, 3 s left"
    waiting = DownloadProgress(
        12 * mib, None, 9.0, 0.0, None, DownloadState.WAITING, 3, 7.2, "broke (ReadError)"
    )
    assert progress_line(waiting) == "waiting to resume (attempt 3, next in 8 s)"
    resuming = DownloadProgress(12, None, 9.0, 0.0, None, DownloadState.RESUMING, 3)
    assert progress_line(resuming) == "resuming (attempt 3)"
    done = DownloadProgress(300 * mib, 300 * mib, 4.0, 75 * mib, 0.0, DownloadState.COMPLETE)
    assert progress_line(done) == "complete, 300.0 MiB / 300.0 MiB (100 %)"


async def test_an_unknown_recording_fails_before_any_file_is_written(
    client: AsyncDesktopClient,
    recordings: RecordingServer,
    recordings_url: str,
    target: Path,
) -> None:
    with pytest.raises(Leap0NotFoundError):
        await client.download_recording_to(recordings_url, "rec_missing", target)

    assert not exists(part_path(target))
    assert not exists(target)
