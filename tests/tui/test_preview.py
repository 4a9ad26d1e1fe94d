"""ScreenPreview: against the real local host (image, pause, hiding, keys, save), against a
fake desktop for failures, and its look in a snapshot."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image, ImageChops, ImageDraw, ImageStat
from textual.geometry import Size
from textual.pilot import Pilot
from textual.widget import Widget
from textual_image.widget import HalfcellImage, UnicodeImage

from core.config import Settings
from core.desktop import AsyncDesktopClient
from core.transport import AsyncTransport, RetryPolicy
from tests.host.harness import HostProcess
from tests.tui.conftest import WidgetApp, wait_for
from tests.tui.fake_desktop import TOKEN, StatefulDesktop
from tui import clock
from tui.cpu_pace import CpuPace
from tui.frames import Frame, PixelNeeds, decode_frame, fit_cells, frame_pixels
from tui.jpeg import _packed_format, decode_jpeg
from tui.widgets.halfcell import HalfcellFrame
from tui.widgets.screen_preview import INTERVAL_STEPS, ScreenPreview
from tui.widgets.sixel_frame import SixelFrame

FROZEN = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC


class Spy:
    """The real client, counting screenshot requests and how many were in flight at once."""

    def __init__(self, client: AsyncDesktopClient) -> None:
        self._client = client
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def screenshot(self, *args: Any, **kwargs: Any) -> bytes:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._client.screenshot(*args, **kwargs)
        finally:
            self.in_flight -= 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def status_text(preview: ScreenPreview) -> str:
    return str(preview.query_one("#status").render())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(download_dir=tmp_path / "downloads", preview_interval=0.25)


# ── against the real local host ───────────────────────────────────────────────


@pytest.mark.parametrize("renderer", [HalfcellFrame, HalfcellImage, UnicodeImage])
async def test_preview_holds_an_image_of_the_desktop_with_its_aspect(
    local_host: HostProcess,
    desktop_client: AsyncDesktopClient,
    settings: Settings,
    renderer: type[Widget],
) -> None:
    screen = await desktop_client.display_info(local_host.url)
    preview = ScreenPreview(desktop_client, local_host.url, settings, renderer=renderer)
    app = WidgetApp(preview)
    async with app.run_test(size=(100, 36)) as pilot:
        await wait_for(pilot, lambda: preview.frame is not None)
        await pilot.pause()
        frame = preview.frame
        assert frame is not None
        assert (frame.width, frame.height) == (screen.width, screen.height)
        image_widget = preview.query_one("#frame", renderer)
        held = image_widget.image  # type: ignore[attr-defined]
        assert isinstance(held, Image.Image)
        aspect = screen.width / screen.height
        # Shrunk for the pane (not 1440 pixels wide), its aspect kept.
        assert held.width <= 200
        assert held.width / held.height == pytest.approx(aspect, rel=0.03)
        # On screen: cells are 10x20 pixels here, so 1.6 wide per tall becomes ~3.2 cells.
        cols, rows = image_widget.size
        assert cols * 10 / (rows * 20) == pytest.approx(aspect, rel=0.06)
        viewport = preview.query_one("#viewport").size
        assert cols <= viewport.width and rows <= viewport.height
        # It fills the pane one way (give or take a cell of rounding).
        assert cols >= viewport.width - 1 or rows >= viewport.height - 1
        assert f"{screen.width}x{screen.height}" in status_text(preview)


async def test_pause_stops_requests_and_one_request_at_a_time(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    spy = Spy(desktop_client)
    preview = ScreenPreview(spy, local_host.url, settings, renderer=HalfcellFrame)  # type: ignore[arg-type]
    app = WidgetApp(preview)
    async with app.run_test(size=(80, 30)) as pilot:
        await wait_for(pilot, lambda: preview.frame_count >= 3)
        await pilot.press("p")
        assert preview.paused
        await wait_for(pilot, lambda: spy.in_flight == 0)
        await pilot.pause(0.1)
        calls = spy.calls
        await pilot.pause(1.5)  # six intervals
        assert spy.calls == calls
        assert "paused" in status_text(preview)
        await pilot.press("p")
        await wait_for(pilot, lambda: spy.calls > calls)
        await pilot.press("l")  # live mode: back to back, still one at a time
        await wait_for(pilot, lambda: spy.calls > calls + 10)
        assert spy.max_in_flight == 1


async def test_hidden_preview_stops_requests(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    spy = Spy(desktop_client)
    preview = ScreenPreview(spy, local_host.url, settings, renderer=UnicodeImage)  # type: ignore[arg-type]
    app = WidgetApp(preview)
    async with app.run_test(size=(80, 30)) as pilot:
        await wait_for(pilot, lambda: preview.frame_count >= 2)
        preview.display = False
        await pilot.pause(0.6)
        assert not preview.visible_to_user
        calls = spy.calls
        await pilot.pause(1.5)
        assert spy.calls == calls
        preview.display = True
        await wait_for(pilot, lambda: spy.calls > calls)


async def test_keys_change_the_interval_and_live_mode(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    preview = ScreenPreview(
        desktop_client,
        local_host.url,
        settings.model_copy(update={"preview_interval": 2.0}),
        renderer=UnicodeImage,
    )
    app = WidgetApp(preview)
    async with app.run_test(size=(80, 30)) as pilot:
        await wait_for(pilot, lambda: preview.frame is not None)
        assert "every 2 s" in status_text(preview)
        await pilot.press("minus")
        assert preview.interval == 5.0
        await pilot.press("plus", "plus")
        assert preview.interval == 1.0
        assert "every 1 s" in status_text(preview)
        await pilot.press("l")
        assert preview.live
        frames, started = preview.frame_count, time.monotonic()
        await wait_for(pilot, lambda: preview.frame_count >= frames + 3, what="3 live frames")
        # Sooner than the 1 s interval would bring them (here about 10 a second; under
        # CI's load the desktop's screenshots alone can take a few hundred ms).
        assert time.monotonic() - started < 2.5
        assert "live" in status_text(preview)
        await pilot.press("minus")  # leaves live mode
        assert not preview.live
        preview.interval = INTERVAL_STEPS[0]
        await pilot.press("plus")  # faster than the fastest step: live
        assert preview.live


async def test_live_mode_keeps_to_half_a_core(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    """With a graphics renderer, frames that cost a quarter of a second of CPU each come
    every half second, and the status line says why; cheap ones come at the renderer's pace
    again. Text renderers may take a whole core."""
    preview = ScreenPreview(desktop_client, local_host.url, settings, renderer=SixelFrame)
    app = WidgetApp(preview)
    spent = [0.0]
    cost = [0.25]

    def cpu() -> float:  # the process's CPU clock, as the frames would move it
        spent[0] += cost[0]
        return spent[0]

    async with app.run_test(size=(80, 30)) as pilot:
        await wait_for(pilot, lambda: preview.frame is not None)
        preview._pace = CpuPace(smoothing=1.0, cpu=cpu)
        await pilot.press("l")
        await wait_for(pilot, lambda: "held to 50 % of a core" in status_text(preview))
        assert "live, 2/s" in status_text(preview)
        frames = preview.frame_count
        await pilot.pause(2.0)
        assert preview.frame_count - frames <= 5  # every half second, not 30 a second
        cost[0] = 0.001
        await wait_for(pilot, lambda: status_text(preview).endswith("· live"), what="live")
        frames = preview.frame_count
        await pilot.pause(1.0)
        assert preview.frame_count - frames >= 5
        cost[0] = 0.25
        await preview.set_renderer(HalfcellFrame)
        await wait_for(pilot, lambda: "held to 100 % of a core" in status_text(preview))
        assert "live, 4/s" in status_text(preview)


async def test_live_half_cells_are_written_as_text_and_others_as_strips(
    local_host: HostProcess, desktop_client: AsyncDesktopClient, settings: Settings
) -> None:
    """Live, half-cells' lines come as the terminal's own text, written as it is; at the
    slower pace they are Textual's strips again (what its screenshots show)."""
    preview = ScreenPreview(desktop_client, local_host.url, settings, renderer=HalfcellFrame)
    app = WidgetApp(preview)
    async with app.run_test(size=(80, 30)) as pilot:
        frame = preview.query_one("#frame", HalfcellFrame)
        await wait_for(pilot, lambda: preview.frame_count >= 2)
        assert frame._text is None and "▀" in frame.render_line(0).text
        await pilot.press("l")
        await wait_for(pilot, lambda: frame._text is not None, what="frames as text")
        strip = frame.render_line(0)
        [segment] = list(strip)
        assert segment.control and "▀" in segment.text and strip.cell_length == frame.size.width
        await pilot.press("l")
        await wait_for(pilot, lambda: frame._text is None, what="strips again")


async def test_save_writes_a_full_resolution_png_and_never_overwrites(
    local_host: HostProcess,
    desktop_client: AsyncDesktopClient,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clock, "wall", lambda: FROZEN)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(FROZEN))
    settings.download_dir.mkdir(parents=True)
    taken = settings.download_dir / f"screenshot-{stamp}.png"
    taken.write_bytes(b"not yours")
    screen = await desktop_client.display_info(local_host.url)
    preview = ScreenPreview(desktop_client, local_host.url, settings, renderer=UnicodeImage)
    app = WidgetApp(preview)
    saved: list[ScreenPreview.ScreenshotSaved] = []

    def hook(message: object) -> None:
        if isinstance(message, ScreenPreview.ScreenshotSaved):
            saved.append(message)

    async with app.run_test(size=(80, 30), message_hook=hook) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: bool(saved))
        path = saved[0].path
        assert path == settings.download_dir / f"screenshot-{stamp}-1.png"
        with Image.open(path) as png:
            assert png.format == "PNG"
            assert png.size == (screen.width, screen.height)
        assert taken.read_bytes() == b"not yours"
        assert any(str(path) in text for text, _ in app.toasts)
        assert not list(settings.download_dir.glob("*.part"))


# ── failures, against a fake desktop ─────────────────────────────────────────


@pytest_asyncio.fixture
async def fake_client() -> AsyncIterator[AsyncDesktopClient]:
    retry = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)
    async with AsyncDesktopClient(AsyncTransport(api_key=TOKEN, timeout=5, retry=retry)) as c:
        yield c


async def test_failure_is_one_line_keeps_the_frame_stale_and_recovers(
    fake_desktop: StatefulDesktop, fake_client: AsyncDesktopClient, settings: Settings
) -> None:
    fake = fake_desktop
    preview = ScreenPreview(fake_client, fake.url, settings, renderer=HalfcellFrame)
    app = WidgetApp(preview)
    failed: list[object] = []

    def hook(message: object) -> None:
        if isinstance(message, ScreenPreview.CaptureFailed):
            failed.append(message)

    async with app.run_test(size=(80, 30), message_hook=hook) as pilot:
        await wait_for(pilot, lambda: preview.frame is not None)
        first = preview.frame
        fake.fail_status = 500
        try:
            await wait_for(pilot, lambda: preview.stale)
            line = status_text(preview)
            assert "\n" not in line and "Traceback" not in line
            assert line.startswith("stale: ")
            assert "500" in line
            assert preview.frame is first  # the last frame stays on screen
            assert preview.query_one("#frame", HalfcellFrame).image is first.image
            assert preview.has_class("-stale")
            await pilot.pause(1.0)
            # Once per outage, not once per attempt (the hook sees each bubbling step).
            assert len({id(message) for message in failed}) == 1
        finally:
            fake.fail_status = None
        await wait_for(pilot, lambda: not preview.stale and preview.frame is not first)
        assert preview.error is None
        assert not status_text(preview).startswith("stale")


async def test_unreachable_desktop_is_a_status_line(settings: Settings) -> None:
    retry = RetryPolicy(attempts=1)
    async with AsyncDesktopClient(AsyncTransport(api_key="x", timeout=2, retry=retry)) as client:
        preview = ScreenPreview(client, "http://127.0.0.1:9", settings, renderer=UnicodeImage)
        app = WidgetApp(preview)
        async with app.run_test(size=(80, 30)) as pilot:
            await wait_for(pilot, lambda: preview.error is not None)
            line = status_text(preview)
            assert "cannot connect" in line
            assert "\n" not in line
            assert not preview.stale  # nothing shown yet, so nothing is stale


def test_decode_frame_shrinks_to_the_pane_and_keeps_the_aspect() -> None:
    image = Image.new("RGB", (1440, 900), (10, 20, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    box = Size(100, 30)
    cols, rows = fit_cells((1440, 900), box, (10, 20))
    assert rows == 30 and cols == 96  # limited by height: 30 rows * 20 px * 1.6 / 10 px
    shrunk, source = decode_frame(buffer.getvalue(), box, (10, 20), PixelNeeds((1, 2)))
    assert source == (1440, 900)
    assert shrunk.size == (96, 60)  # one pixel per half cell
    unicode, _ = decode_frame(buffer.getvalue(), box, (10, 20), PixelNeeds((1, 1)))
    assert unicode.width >= 96 and unicode.height >= 30
    assert unicode.width / unicode.height == pytest.approx(1.6, rel=0.03)


def test_a_jpeg_is_decoded_shrunk_as_pillow_sees_it_and_anything_else_by_pillow() -> None:
    image = Image.new("RGB", (1440, 900), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    for y in range(0, 900, 30):
        draw.text((20, y), "the quick brown fox jumps over the lazy dog " * 3, fill=(0, 0, 0))
    draw.rectangle((700, 300, 1100, 600), fill=(200, 40, 40))
    jpeg, png = io.BytesIO(), io.BytesIO()
    image.save(jpeg, "JPEG", quality=70)
    image.save(png, "PNG")
    shrunk, source = decode_jpeg(jpeg.getvalue(), lambda size: (size[0] // 2 + 3, 451))
    assert source == (1440, 900) and shrunk.size == (723, 451) and shrunk.mode == "RGB"
    reference = image.resize((723, 451), Image.Resampling.LANCZOS)
    difference = ImageStat.Stat(ImageChops.difference(shrunk, reference)).mean
    assert max(difference) < 8, difference  # the same picture, up to JPEG and filtering
    assert shrunk.getpixel((450, 225)) == pytest.approx((200, 40, 40), abs=12)
    # An even width is made through swscale's RGBA (its faster path), an odd one and the
    # source's own size through RGB: the same picture either way.
    for size in ((722, 451), (1440, 900)):
        made, _ = decode_jpeg(jpeg.getvalue(), lambda _, size=size: size)
        assert made.mode == "RGB" and made.size == size
        expected = image.resize(size, Image.Resampling.LANCZOS)
        assert max(ImageStat.Stat(ImageChops.difference(made, expected)).mean) < 8
    assert _packed_format((1440, 900), (722, 451)) == "rgba"
    assert _packed_format((1440, 900), (723, 451)) == _packed_format((1440, 900), (1440, 900))
    needs = PixelNeeds((10, 20))
    from_png, _ = decode_frame(png.getvalue(), Size(100, 30), (10, 20), needs)
    from_jpeg, _ = decode_frame(jpeg.getvalue(), Size(100, 30), (10, 20), needs)
    assert from_png.size == from_jpeg.size == (960, 600)
    for broken in (b"\xff\xd8\xff\xe0 not really", jpeg.getvalue()[:400]):
        with pytest.raises(ValueError):
            decode_frame(broken, Size(100, 30), (10, 20), PixelNeeds((1, 2)))
    # The decoder starts afresh after a failure.
    again, _ = decode_frame(jpeg.getvalue(), Size(100, 30), (10, 20), PixelNeeds((1, 2)))
    assert again.size == (96, 60)


def test_a_frame_is_made_the_size_its_renderer_draws() -> None:
    source, cells = (1440, 900), (100, 50)
    # textual-image's widgets size themselves from the image: the source's aspect.
    assert frame_pixels(source, cells, PixelNeeds((10, 15))) == (1200, 750)
    # Our own frames draw exactly their cells' dots: no second shrinking there.
    assert frame_pixels(source, cells, PixelNeeds((10, 15), exact=True)) == (1000, 750)
    assert frame_pixels(source, cells, PixelNeeds((20, 20), exact=True)) == (1440, 900)
    # kitty shrinks an image to its cells itself down to 2/3 of the source.
    kitty = PixelNeeds((10, 15), exact=True, terminal_scales=2 / 3)
    assert frame_pixels(source, cells, kitty) == (1440, 900)
    assert frame_pixels(source, cells, PixelNeeds((7, 10), True, 2 / 3)) == (700, 500)
    # Sixel: nothing after the decoder scales it, so its frames are made bigger too.
    sixel = SixelFrame.pixel_needs((20, 20))
    assert sixel.grows and frame_pixels(source, cells, sixel) == (2000, 1000)
    assert frame_pixels(source, cells, replace(sixel, grows=False)) == (1440, 900)
    assert frame_pixels(source, (50, 30), sixel) == (1000, 600)


# ── the look ─────────────────────────────────────────────────────────────────


def _fixed_screen() -> Image.Image:
    """A small fixed picture standing in for a shrunk 1440x900 frame."""
    image = Image.new("RGB", (160, 100), (38, 52, 74))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 160, 4), fill=(220, 224, 230))
    draw.rectangle((30, 20, 110, 75), fill=(245, 245, 245), outline=(60, 60, 60))
    draw.rectangle((30, 20, 110, 26), fill=(70, 110, 190))
    draw.ellipse((118, 62, 150, 94), fill=(240, 170, 40))
    return image


def test_preview_snapshot(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(clock, "wall", lambda: FROZEN + 3)
    preview = ScreenPreview(
        None,  # type: ignore[arg-type]  (paused: never asked for anything)
        "http://127.0.0.1:9",
        Settings(download_dir=tmp_path, preview_interval=2.0),
        renderer=HalfcellFrame,
        paused=True,
    )

    async def show(pilot: Pilot[Any]) -> None:
        preview.show_frame(Frame(_fixed_screen(), 1440, 900, FROZEN))
        await pilot.pause()

    try:
        assert snap_compare(WidgetApp(preview), terminal_size=(80, 24), run_before=show)
    finally:
        monkeypatch.undo()
        time.tzset()
