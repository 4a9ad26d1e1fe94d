"""RecordingsBrowser: against the real local host (start, stop, download, delete), against
fake desktops for what the host will not do on demand, and its look in a snapshot."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, ProgressBar

from core.config import Settings
from core.desktop import AsyncDesktopClient
from core.downloads import DownloadProgress, DownloadState
from core.models import DesktopRecordingSummary
from core.transport import AsyncTransport, RetryPolicy
from tests.host.harness import HostProcess
from tests.support.fake_desktop import Reply, ScriptedDesktop
from tests.support.loopback import serve
from tests.tui.conftest import WidgetApp, answer_save_dialog, wait_for
from tests.tui.fake_desktop import TOKEN, StatefulDesktop
from tui import clock
from tui.files import free_path
from tui.screens.confirm import ConfirmScreen
from tui.widgets.download_row import DownloadRow
from tui.widgets.recordings import RecordingsBrowser

FROZEN = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC


def status_text(browser: RecordingsBrowser) -> str:
    return str(browser.query_one("#status").render())


def shown(browser: RecordingsBrowser, recording_id: str) -> DesktopRecordingSummary | None:
    return next((r for r in browser.recordings if r.id == recording_id), None)


async def record(client: AsyncDesktopClient, url: str, seconds: float = 1.0) -> str:
    """Make a finished recording on the host; return its id."""
    started = await client.start_recording(url)
    await asyncio.sleep(seconds)
    await client.stop_recording(url)
    assert started.id is not None
    return started.id


async def select(pilot: Pilot[Any], browser: RecordingsBrowser, recording_id: str) -> None:
    await wait_for(pilot, lambda: shown(browser, recording_id) is not None, what=recording_id)
    browser.select(recording_id)
    await pilot.pause()
    assert browser.selected is not None and browser.selected.id == recording_id


def row_for(browser: RecordingsBrowser, recording_id: str) -> DownloadRow | None:
    return next((r for r in browser.downloads if r.recording_id == recording_id), None)


async def finished_download(
    pilot: Pilot[Any], browser: RecordingsBrowser, recording_id: str
) -> DownloadRow:
    """The row of ``recording_id``'s download, once it is done."""
    await wait_for(
        pilot,
        lambda: (row := row_for(browser, recording_id)) is not None and row.state == "done",
        what=f"the download of {recording_id}",
    )
    row = row_for(browser, recording_id)
    assert row is not None
    return row


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(download_dir=tmp_path / "downloads")


@pytest_asyncio.fixture
async def no_active_recording(
    local_host: HostProcess, desktop_client: AsyncDesktopClient
) -> AsyncIterator[None]:
    """Leave the shared host without an active recording, whatever the test did."""
    yield
    status = await desktop_client.recording_status(local_host.url)
    if status.active:
        await desktop_client.stop_recording(local_host.url)


# ── against the real local host ───────────────────────────────────────────────


@pytest.mark.usefixtures("no_active_recording")
async def test_start_stop_and_download_give_the_hosts_file(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    browser = RecordingsBrowser(desktop_client, local_host.url, settings, refresh_interval=0.5)
    app = WidgetApp(browser, focus="DataTable")
    downloaded: list[RecordingsBrowser.RecordingDownloaded] = []

    def hook(message: object) -> None:
        if isinstance(message, RecordingsBrowser.RecordingDownloaded):
            downloaded.append(message)

    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_for(pilot, lambda: "not recording" in status_text(browser), what="the list")
        before = {r.id for r in browser.recordings}
        await pilot.press("R")
        await wait_for(pilot, lambda: any(r.active for r in browser.recordings), what="recording")
        active = next(r for r in browser.recordings if r.active)
        assert active.id not in before
        # Newest first, as the host lists them: the new row on top, not at the bottom.
        table = browser.query_one(DataTable)
        assert [row.key.value for row in table.ordered_rows] == [r.id for r in browser.recordings]
        assert table.ordered_rows[0].key.value == active.id
        assert browser.has_class("-recording")
        assert "● recording" in status_text(browser)
        await pilot.pause(1.5)
        await pilot.press("S")
        await wait_for(
            pilot,
            lambda: (r := shown(browser, active.id)) is not None and not r.active,
            what="the stopped recording",
        )
        await select(pilot, browser, active.id)
        await pilot.press("d")
        row = await finished_download(pilot, browser, active.id)
        saved = row.path
        assert saved.parent == settings.download_dir
        assert "saved" in str(row.query_one("#stats").render())
        from_api = await desktop_client.download_recording(local_host.url, active.id)
        assert saved.read_bytes() == from_api
        summary = shown(browser, active.id)
        assert summary is not None and summary.file_name
        on_host = local_host.recordings_dir / summary.file_name
        if on_host.exists():
            assert saved.read_bytes() == on_host.read_bytes()
        assert len(from_api) == summary.size_bytes
        assert not list(settings.download_dir.glob("*.part"))
        await wait_for(pilot, lambda: bool(downloaded), what="RecordingDownloaded")
        assert downloaded[0].path == saved
        assert app.toasted(str(saved))


async def test_several_downloads_at_once_and_no_file_is_overwritten(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    first = await record(desktop_client, local_host.url)
    second = await record(desktop_client, local_host.url)
    listed = {r.id: r for r in await desktop_client.recordings(local_host.url)}
    # A file by the first one's name is already there: it must survive.
    settings.download_dir.mkdir(parents=True)
    name = listed[first].file_name or f"{first}.mp4"
    mine = settings.download_dir / name
    mine.write_bytes(b"my own file")
    browser = RecordingsBrowser(desktop_client, local_host.url, settings, refresh_interval=0)
    app = WidgetApp(browser, focus="DataTable")
    async with app.run_test(size=(100, 30)) as pilot:
        await select(pilot, browser, first)
        await pilot.press("d")
        await select(pilot, browser, second)
        await pilot.press("d")
        assert len(browser.downloads) == 2  # one row each, side by side
        paths = {
            rid: (await finished_download(pilot, browser, rid)).path for rid in (first, second)
        }
        assert mine.read_bytes() == b"my own file"
        assert paths[first] == mine.with_name(f"{mine.stem}-1{mine.suffix}")
        assert app.toasted(f"saving as {paths[first].name}")
        for rid, path in paths.items():
            assert path.read_bytes() == await desktop_client.download_recording(local_host.url, rid)
    for rid in (first, second):
        await desktop_client.delete_recording(local_host.url, rid)


async def test_download_to_asks_where_asks_before_replacing_and_keeps_that_folder(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings, tmp_path: Path
) -> None:
    recording_id = await record(desktop_client, local_host.url)
    expected = await desktop_client.download_recording(local_host.url, recording_id)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    mine = elsewhere / "mine.mp4"
    mine.write_bytes(b"my own file")
    browser = RecordingsBrowser(desktop_client, local_host.url, settings, refresh_interval=0)
    app = WidgetApp(browser, focus="DataTable")
    async with app.run_test(size=(100, 30)) as pilot:
        await select(pilot, browser, recording_id)

        await answer_save_dialog(pilot, "D", mine, replace="n")
        await pilot.pause(0.3)
        assert mine.read_bytes() == b"my own file" and not browser.downloads
        assert app.toasted("Not downloaded")

        await answer_save_dialog(pilot, "D", mine, replace="y")
        row = await finished_download(pilot, browser, recording_id)
        assert row.path == mine and mine.read_bytes() == expected
        assert browser.download_dir == elsewhere
        assert app.toasted(f"Downloads go to {elsewhere}")

        # A folder given means the suggested name in it; d now saves into the chosen folder.
        row.action_cancel()  # dismiss the finished row
        await answer_save_dialog(pilot, "D", tmp_path)
        row = await finished_download(pilot, browser, recording_id)
        assert row.path.parent == tmp_path
        assert row.path.read_bytes() == expected
        row.action_cancel()
        await pilot.pause()
        await pilot.press("d")
        row = await finished_download(pilot, browser, recording_id)
        assert row.path.parent == tmp_path
    await desktop_client.delete_recording(local_host.url, recording_id)


async def test_delete_asks_then_deletes(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    recording_id = await record(desktop_client, local_host.url)
    browser = RecordingsBrowser(desktop_client, local_host.url, settings, refresh_interval=0)
    app = WidgetApp(browser, focus="DataTable")
    async with app.run_test(size=(100, 30)) as pilot:
        await select(pilot, browser, recording_id)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="a question")
        await pilot.press("n")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
        assert recording_id in {r.id for r in await desktop_client.recordings(local_host.url)}
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="a question")
        await pilot.press("y")
        await wait_for(pilot, lambda: shown(browser, recording_id) is None, what="the row gone")
        table = browser.query_one(DataTable)
        assert recording_id not in {key.value for key in table.rows}
        assert recording_id not in {r.id for r in await desktop_client.recordings(local_host.url)}
        assert app.toasted(f"Recording {recording_id} deleted")
        assert not list(local_host.recordings_dir.glob(f"*{recording_id}*"))


@pytest.mark.usefixtures("no_active_recording")
async def test_active_recording_is_not_deleted_and_the_user_is_told(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    started = await desktop_client.start_recording(local_host.url)
    assert started.id is not None
    browser = RecordingsBrowser(desktop_client, local_host.url, settings, refresh_interval=0)
    app = WidgetApp(browser, focus="DataTable")
    async with app.run_test(size=(100, 30)) as pilot:
        await select(pilot, browser, started.id)
        await pilot.press("delete")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)  # refused before asking
        assert app.toasted("cannot be deleted", "warning")
        await pilot.press("d")  # nor downloaded while it grows
        await pilot.pause(0.2)
        assert not browser.downloads
        assert app.toasted("still being recorded", "warning")
        await pilot.press("R")  # one recording at a time: the host's 409, said plainly
        await wait_for(pilot, lambda: app.toasted("already active"), what="the refusal")
    listed = {r.id: r for r in await desktop_client.recordings(local_host.url)}
    assert listed[started.id].active
    await desktop_client.stop_recording(local_host.url)
    await desktop_client.delete_recording(local_host.url, started.id)


async def test_disk_full_during_download_is_one_line_and_keeps_the_part(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    recording_id = await record(desktop_client, local_host.url)
    summary = await desktop_client.get_recording(local_host.url, recording_id)
    settings.download_dir.mkdir(parents=True)
    target = settings.download_dir / (summary.file_name or f"{recording_id}.mp4")
    part = target.with_name(target.name + ".part")
    os.symlink("/dev/full", part)  # every write to it fails with ENOSPC, as a full disk does
    browser = RecordingsBrowser(desktop_client, local_host.url, settings, refresh_interval=0)
    app = WidgetApp(browser, focus="DataTable")
    async with app.run_test(size=(100, 30)) as pilot:
        await select(pilot, browser, recording_id)
        await pilot.press("d")
        await wait_for(
            pilot,
            lambda: (row := row_for(browser, recording_id)) is not None and row.state == "failed",
            what="the failed download",
        )
        row = row_for(browser, recording_id)
        assert row is not None and row.has_class("-failed")
        stats = str(row.query_one("#stats").render())
        assert "disk full" in stats and part.name in stats
        failures = [m for m, s in app.toasts if s == "error"]
        assert len(failures) == 1 and "\n" not in failures[0] and "disk full" in failures[0]
    assert part.is_symlink()  # the partial file is kept
    assert not target.exists()
    await desktop_client.delete_recording(local_host.url, recording_id)


# ── against fake desktops ─────────────────────────────────────────────────────


@pytest.fixture
def slow_desktop() -> Any:
    """A desktop whose one recording takes a minute to start downloading."""
    fake = ScriptedDesktop()
    summary = {
        "id": "rec_slow",
        "file_name": "rec_slow.mp4",
        "size_bytes": 4096,
        "created_at": "2026-11-28T10:15:00Z",
        "active": False,
    }
    fake.on("GET", "/api/recordings", Reply(json={"items": [summary]}))
    fake.on("GET", "/api/recordings/rec_slow", Reply(json=summary))
    fake.on("GET", "/api/recordings/rec_slow/download", Reply(body=b"\0" * 4096, delay=60))
    with serve(fake) as url:
        yield url


@pytest_asyncio.fixture
async def fake_client() -> AsyncIterator[AsyncDesktopClient]:
    retry = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)
    async with AsyncDesktopClient(AsyncTransport(api_key=TOKEN, timeout=5, retry=retry)) as c:
        yield c


async def test_a_download_is_cancelled_from_its_row_or_the_table(
    slow_desktop: str, fake_client: AsyncDesktopClient, settings: Settings
) -> None:
    browser = RecordingsBrowser(fake_client, slow_desktop, settings, refresh_interval=0)
    app = WidgetApp(browser, focus="DataTable")
    async with app.run_test(size=(100, 30)) as pilot:
        await select(pilot, browser, "rec_slow")
        await pilot.press("d")
        await wait_for(pilot, lambda: len(browser.downloads) == 1, what="a download row")
        row = browser.downloads[0]
        await pilot.press("d")  # the same recording twice at once: refused
        assert len(browser.downloads) == 1
        assert app.toasted("already downloading", "warning")
        row.focus()
        await pilot.press("x")
        assert row.state == "cancelled" and row.has_class("-cancelled")
        assert app.toasted("cancelled")
        await pilot.press("x")  # a finished row goes away
        await wait_for(pilot, lambda: not browser.downloads, what="the row gone")
        browser.query_one(DataTable).focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: len(browser.downloads) == 1, what="a new download row")
        await pilot.press("x")  # from the table: cancels the selected recording's download
        assert browser.downloads[0].state == "cancelled"
    assert not (settings.download_dir / "rec_slow.mp4").exists()


async def test_a_new_recording_goes_where_the_order_puts_it_and_the_cursor_stays(
    fake_desktop: StatefulDesktop, settings: Settings
) -> None:
    older = {
        "id": "rec_1795940000000",
        "file_name": "rec_1795940000000.mp4",
        "size_bytes": 1024,
        "created_at": "2026-11-28T08:13:20Z",
        "active": False,
    }
    async with AsyncDesktopClient(AsyncTransport(api_key=TOKEN)) as client:
        browser = RecordingsBrowser(client, fake_desktop.url, settings, refresh_interval=0.2)
        app = WidgetApp(browser, focus="DataTable")
        async with app.run_test(size=(100, 30)) as pilot:
            table = browser.query_one(DataTable)
            await wait_for(pilot, lambda: table.row_count == 1, what="the list")
            fake_desktop.recordings.append(older)
            await wait_for(pilot, lambda: table.row_count == 2, what="the older one")
            browser.select(older["id"])
            newest = dict(older, id="rec_1795990000000", created_at="2026-11-28T22:06:40Z")
            fake_desktop.recordings.insert(0, newest)
            await wait_for(pilot, lambda: table.row_count == 3, what="the new one")
            keys = [row.key.value for row in table.ordered_rows]
            assert keys == ["rec_1795990000000", "rec_1795947300000", "rec_1795940000000"]
            assert browser.selected is not None and browser.selected.id == older["id"]


async def test_listing_failure_is_a_status_line_and_recovers(
    fake_desktop: StatefulDesktop, fake_client: AsyncDesktopClient, settings: Settings
) -> None:
    fake_desktop.fail_status = 503
    browser = RecordingsBrowser(fake_client, fake_desktop.url, settings, refresh_interval=0.3)
    app = WidgetApp(browser, focus="DataTable")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: browser.error is not None, what="the error")
        line = status_text(browser)
        assert "503" in line and "\n" not in line
        assert browser.has_class("-stale")
        fake_desktop.fail_status = None
        await wait_for(pilot, lambda: browser.error is None, what="recovery")
        assert [r.id for r in browser.recordings] == ["rec_1795947300000"]
        assert not browser.has_class("-stale")


def test_free_path_skips_taken_names_but_resumes_a_part(tmp_path: Path) -> None:
    (tmp_path / "a.mp4").write_bytes(b"x")
    (tmp_path / "a-1.mp4.part").write_bytes(b"half")
    assert free_path(tmp_path, "a.mp4") == tmp_path / "a-1.mp4"  # its .part is resumed
    assert free_path(tmp_path, "a.mp4", [tmp_path / "a-1.mp4"]) == tmp_path / "a-2.mp4"
    assert free_path(tmp_path, "b.mp4") == tmp_path / "b.mp4"


# ── the look ─────────────────────────────────────────────────────────────────


class SnapshotApp(App[None]):
    """The browser on a fake desktop, with its own client, as the real app has one."""

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__()
        self.url = url
        self.settings = settings
        self.client: AsyncDesktopClient | None = None

    def compose(self) -> ComposeResult:
        self.client = AsyncDesktopClient(AsyncTransport(api_key=TOKEN))
        yield RecordingsBrowser(self.client, self.url, self.settings, refresh_interval=0)

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.aclose()


class LateProgress(AsyncDesktopClient):
    """A client whose download reports reach the row late and out of order: all of them
    after the download returned, the last one first (a report queued behind others)."""

    def __init__(self, transport: AsyncTransport) -> None:
        super().__init__(transport)
        self.held: list[DownloadProgress] = []
        self.delivered = 0

    async def download_recording_to(  # type: ignore[override]
        self, *args: Any, progress: Any = None, **kwargs: Any
    ) -> Path:
        path = await super().download_recording_to(*args, progress=self.held.append, **kwargs)
        loop = asyncio.get_running_loop()

        def deliver(report: DownloadProgress) -> None:
            self.delivered += 1
            progress(report)

        for step, report in enumerate(reversed(self.held), start=1):
            loop.call_later(0.02 * step, deliver, report)
        return path


async def test_a_finished_download_stays_finished_when_progress_comes_late(
    settings: Settings,
) -> None:
    size = 2_000_000
    fake = ScriptedDesktop()
    summary = {
        "id": "rec_late",
        "file_name": "rec_late.mp4",
        "size_bytes": size,
        "created_at": "2026-11-28T10:15:00Z",
        "active": False,
    }
    fake.on("GET", "/api/recordings", Reply(json={"items": [summary]}))
    fake.on("GET", "/api/recordings/rec_late", Reply(json=summary))
    fake.on("GET", "/api/recordings/rec_late/download", Reply(body=os.urandom(size)))
    with serve(fake) as url:
        async with LateProgress(AsyncTransport(api_key=TOKEN, timeout=5)) as client:
            browser = RecordingsBrowser(client, url, settings, refresh_interval=0)
            app = WidgetApp(browser, focus="DataTable")
            async with app.run_test(size=(100, 30)) as pilot:
                await select(pilot, browser, "rec_late")
                await pilot.press("d")
                row = await finished_download(pilot, browser, "rec_late")
                held = client.held
                await wait_for(
                    pilot, lambda: client.delivered == len(held), what="the late reports"
                )
                await pilot.pause()
                assert any((r.fraction or 0) < 0.5 for r in held), "no early report came late"
                assert row.state == "done" and row.has_class("-done")
                stats = str(row.query_one("#stats", Label).render())
                assert stats == "saved · 1.9 MiB", stats
                bar = row.query_one("#bar", ProgressBar)
                assert bar.percentage == 1.0
    assert (settings.download_dir / "rec_late.mp4").stat().st_size == size


def test_recordings_snapshot(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(clock, "wall", lambda: FROZEN + 75)
    fake = StatefulDesktop()
    fake.recordings = [
        {
            "id": "rec_1795082400000",
            "file_name": "rec_1795082400000.mp4",
            "size_bytes": 12_582_912,
            "created_at": "2026-11-18T10:00:00Z",
            "active": False,
        },
        {
            "id": "rec_1795084200000",
            "file_name": "rec_1795084200000.mp4",
            "size_bytes": 734_003,
            "created_at": "2026-11-18T10:30:00Z",
            "active": False,
        },
        {
            "id": "rec_1795086325000",
            "file_name": "rec_1795086325000.mp4",
            "size_bytes": 48,
            "created_at": "2026-11-18T11:05:25Z",
            "active": True,
        },
    ]
    settings = Settings(download_dir=tmp_path)

    async def prepare(pilot: Pilot[Any]) -> None:
        browser = pilot.app.query_one(RecordingsBrowser)
        await wait_for(pilot, lambda: len(browser.recordings) == 3, what="the list")
        downloads = browser.query_one("#downloads")
        downloads.display = True
        path = tmp_path / "rec_1795082400000.mp4"
        row = DownloadRow(None, "", "rec_1795082400000", path, start=False)
        await downloads.mount(row)
        row.show_progress(DownloadProgress(5_242_880, 12_582_912, 2.0, 2_621_440, 2.8))
        browser.query_one(DataTable).focus()
        await pilot.pause()

    try:
        with serve(fake.app()) as url:
            assert snap_compare(
                SnapshotApp(url, settings), terminal_size=(100, 16), run_before=prepare
            )
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_a_cut_download_row_says_it_waits_to_resume_and_why(tmp_path: Path) -> None:
    row = DownloadRow(None, "", "rec_1", tmp_path / "rec_1.mp4", start=False)
    async with WidgetApp(row).run_test() as pilot:
        row.show_progress(DownloadProgress(5_242_880, 12_582_912, 2.0, 2_621_440, 2.8))
        stats = row.query_one("#stats", Label)
        assert "5.0 MiB / 12.0 MiB (42 %)" in str(stats.render())
        assert stats.tooltip is None
        row.show_progress(
            DownloadProgress(
                5_242_880,
                12_582_912,
                9.0,
                0.0,
                None,
                state=DownloadState.WAITING,
                attempt=3,
                next_attempt_in=7.2,
                last_error="connection to desktop broke (ReadError)",
            )
        )
        await pilot.pause()
        assert str(stats.render()) == "waiting to resume (attempt 3, next in 8 s)"
        assert stats.tooltip == "connection to desktop broke (ReadError)"
        assert row.state == "downloading"
