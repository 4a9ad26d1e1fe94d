"""Playing a recording in the preview pane, on the real local host: ``enter`` on a row of
the recordings pane streams it (the token in a header, never in the URL), space, the
arrows and +/- drive it, escape brings the live preview back; an active recording is
refused in one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.desktop import AsyncDesktopClient
from tests.host.harness import HostProcess
from tests.tui.conftest import make_app, wait_for
from tui.widgets.recording_player import RecordingPlayer
from tui.widgets.recordings import RecordingsBrowser
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.status_line import StatusLine


async def test_enter_plays_a_recording_in_the_preview_and_escape_returns_to_live(
    local_host: HostProcess, tmp_path: Path, desktop_client: AsyncDesktopClient
) -> None:
    started = await desktop_client.start_recording(local_host.url)
    await asyncio.sleep(3)
    await desktop_client.stop_recording(local_host.url)
    try:
        app = make_app(local_host.url, local_host.token, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            browser = app.screen.query_one(RecordingsBrowser)
            preview = app.screen.query_one(ScreenPreview)
            await pilot.press("4")
            await wait_for(pilot, lambda: started.id in browser._shown, what="the recording")
            browser.select(started.id)
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(pilot, lambda: bool(app.screen.query(RecordingPlayer)), what="player")
            player = app.screen.query_one(RecordingPlayer)
            assert "token" not in player._source and local_host.token not in player._source
            assert player._headers["Authorization"] == f"Bearer {local_host.token}"
            assert not preview.display and app.focused is player
            await wait_for(pilot, lambda: player.frame_count >= 3, what="frames shown")
            frame = player.query_one("#frame")
            assert frame.content_region.area > 0
            status = player.query_one("#status", StatusLine)
            state = player.state
            assert state is not None and state.duration is not None and state.duration > 2
            assert " / 0:0" in status.text and "1x" in status.text
            # A loaded machine may have played the 3 s to the end already: space plays again.
            assert "playing" in status.text or "ended" in status.text, status.text
            if "ended" in status.text:
                await pilot.press("space")
                await wait_for(pilot, lambda: "playing" in status.text, what="playing again")

            await pilot.press("space")
            await wait_for(pilot, lambda: "paused" in status.text, what="paused")
            shown = player.frame_count
            await pilot.pause(0.5)
            assert player.frame_count == shown
            await pilot.press("plus")
            await wait_for(pilot, lambda: "2x" in status.text, what="2x")
            await pilot.press("right")  # past the end: kept within the recording
            await wait_for(pilot, lambda: player.frame_count > shown, what="the seek shown")
            assert player.state is not None and player.state.position > 2
            await pilot.press("left")
            await wait_for(
                pilot,
                lambda: player.state is not None and player.state.position < 1,
                what="back to the start",
            )

            requests = preview.request_count
            await pilot.press("escape")
            await wait_for(pilot, lambda: not app.screen.query(RecordingPlayer), what="closed")
            assert preview.display
            await pilot.press("2")
            await wait_for(pilot, lambda: preview.request_count > requests, what="live again")
            assert not player._player or not player._player.alive
    finally:
        await desktop_client.delete_recording(local_host.url, started.id)


async def test_an_active_recording_is_not_played(
    local_host: HostProcess, tmp_path: Path, desktop_client: AsyncDesktopClient
) -> None:
    started = await desktop_client.start_recording(local_host.url)
    try:
        app = make_app(local_host.url, local_host.token, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            browser = app.screen.query_one(RecordingsBrowser)
            await pilot.press("4")
            await wait_for(pilot, lambda: started.id in browser._shown, what="the recording")
            browser.select(started.id)
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(
                pilot,
                lambda: any("still being recorded" in n.message for n in app._notifications),
                what="the refusal",
            )
            assert not app.screen.query(RecordingPlayer)
            messages = [n.message for n in app._notifications]
            assert all("\n" not in m for m in messages if "still being recorded" in m)
    finally:
        await desktop_client.stop_recording(local_host.url)
        await desktop_client.delete_recording(local_host.url, started.id)
