"""Live mode asks for the next screenshot while the last one is decoded and drawn, on the
real local host: still one request at a time, and none left going once live mode ends."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.desktop import AsyncDesktopClient
from tests.host.harness import HostProcess
from tests.tui.conftest import WidgetApp, wait_for
from tests.tui.test_preview import Spy as CountingSpy
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.symbols import SymbolsFrame


class Spy(CountingSpy):
    """The real client, counting requests in flight; notes the frames the preview had
    shown when each request went out."""

    def __init__(self, client: AsyncDesktopClient) -> None:
        super().__init__(client)
        self.preview: ScreenPreview | None = None
        self.shown_at_request: list[int] = []

    async def screenshot(self, *args: Any, **kwargs: Any) -> bytes:
        assert self.preview is not None
        self.shown_at_request.append(self.preview.frame_count)
        return await super().screenshot(*args, **kwargs)


async def test_live_mode_asks_for_the_next_frame_before_drawing_this_one(
    local_host: HostProcess,
    desktop_client: AsyncDesktopClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every frame decoded and drawn, as when the desktop moves: an idle desktop's same
    # bytes are not drawn again, and drawing is what the request ahead overlaps.
    monkeypatch.setattr(ScreenPreview, "_same_frame", lambda self, data, drawn_as: False)
    spy = Spy(desktop_client)
    settings = Settings(download_dir=tmp_path, preview_interval=5.0)
    preview = ScreenPreview(spy, local_host.url, settings, renderer=SymbolsFrame)  # type: ignore[arg-type]
    spy.preview = preview
    async with WidgetApp(preview).run_test(size=(80, 30)) as pilot:
        await wait_for(pilot, lambda: preview.frame_count >= 1)
        before = len(spy.shown_at_request)
        await pilot.press("l")
        await wait_for(pilot, lambda: preview.frame_count >= 6)
        live = spy.shown_at_request[before:]
        # The second live request went out before the first live frame was drawn, and
        # from then on each one while the frame before it was being drawn.
        assert live[1] == live[0], live
        assert all(b - a <= 1 for a, b in itertools.pairwise(live)), live
        assert spy.max_in_flight == 1  # one request at a time all the same

        await pilot.press("l")  # live mode ends: the frame asked ahead is dropped
        await wait_for(pilot, lambda: spy.in_flight == 0)
        requests = len(spy.shown_at_request)
        await pilot.pause(1.5)  # well within the 5 s interval
        assert len(spy.shown_at_request) == requests
