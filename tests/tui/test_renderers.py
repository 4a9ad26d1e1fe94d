"""The preview's own renderers: Chafa's symbols, Sixel and kitty frames (what they write,
and that a new frame never clears the old one first), and switching at run time."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat
from rich.color import Color, ColorSystem
from rich.console import RenderableType
from textual._compositor import CompositorUpdate
from textual.geometry import Region, Size
from textual.pilot import Pilot
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual_image.widget import HalfcellImage

from tests.tui.conftest import WidgetApp, make_app, wait_for
from tests.tui.fake_desktop import StatefulDesktop
from tui import chafa_canvas, terminal_probe
from tui.frames import PixelNeeds, prepare_frame
from tui.widgets import kitty_frame, renderers
from tui.widgets import symbols as symbols_module
from tui.widgets.halfcell import HalfcellFrame, halfcell_rows, halfcell_text
from tui.widgets.image_frame import ImageFrame
from tui.widgets.kitty_frame import KittyFrame
from tui.widgets.renderers import mode_of, pixel_needs, renderer_for
from tui.widgets.screen_preview import ScreenPreview
from tui.widgets.sixel_frame import SixelFrame, band_rows, sixel_bands
from tui.widgets.symbols import SymbolsFrame, symbol_rows

CELLS = (24, 8)
CELL = (10, 20)


def picture(shade: int) -> Image.Image:
    """A desktop-like picture: a light page with a dark bar and a word on it."""
    image = Image.new("RGB", (CELLS[0] * CELL[0], CELLS[1] * CELL[1]), (shade, shade, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, image.width, 30), fill=(30, 30, 30))
    draw.text((20, 60), "Leap0 text", fill=(0, 0, 0))
    return image


def written(strips: list[Strip]) -> list[str]:
    """The text each line writes to the terminal."""
    return ["".join(segment.text for segment in strip) for strip in strips]


def test_chafa_is_usable_here() -> None:
    assert chafa_canvas.available()


def test_symbols_use_more_than_half_blocks_and_carry_colour() -> None:
    keys, strips = symbol_rows(picture(200), CELLS)
    assert len(keys) == len(strips) == CELLS[1]
    assert all(strip.cell_length == CELLS[0] for strip in strips)
    symbols = {ch for strip in strips for segment in strip for ch in segment.text}
    assert symbols - {"▀", "▄", " ", "█"}, symbols  # finer than half-cells
    colours = {
        colour.get_truecolor()
        for strip in strips
        for segment in strip
        if segment.style
        for colour in (segment.style.color, segment.style.bgcolor)
        if colour is not None
    }
    # The page and the bar keep their own colours, the text adds its own.
    assert {(200, 200, 230), (30, 30, 30)} <= colours, colours
    assert len(colours) > 2


def test_symbols_are_only_those_every_terminal_we_tried_draws() -> None:
    # Blocks, quadrants, eighths (U+2580-U+259F), box lines (U+2500-U+257F) and spaces:
    # no braille (mlterm shows boxes), sextants or wedges (xterm leaves them blank).
    image = picture(200)
    ImageDraw.Draw(image).text((10, 120), "a b c 1 2 3 /// ||| ... ---", fill=(250, 0, 0))
    _, strips = symbol_rows(image, CELLS)
    symbols = {ch for strip in strips for segment in strip for ch in segment.text}
    assert all(ch == " " or 0x2500 <= ord(ch) <= 0x259F for ch in symbols), symbols


def test_a_row_with_colours_written_only_where_they_change_reads_back_cell_for_cell() -> None:
    # Chafa writes a colour only when it changes (REUSE_ATTRIBUTES), inverse for a cell
    # in one colour, and a reset at the end of the line.
    red, blue, grey = "38;2;255;0;0", "48;2;0;0;255", "38;2;9;9;9"
    line = f"\x1b[{red};{blue}m▘▝\x1b[{grey}m▖\x1b[0m\x1b[7m\x1b[{red}m \x1b[0m".encode()
    strip = symbols_module._strip(line, 4)
    cells = [(ch, seg.style.color, seg.style.bgcolor) for seg in strip for ch in seg.text]
    r, b, g = Color.parse("rgb(255,0,0)"), Color.parse("rgb(0,0,255)"), Color.parse("rgb(9,9,9)")
    assert [(ch, fg and fg.triplet, bg and bg.triplet) for ch, fg, bg in cells] == [
        ("▘", r.triplet, b.triplet),
        ("▝", r.triplet, b.triplet),
        ("▖", g.triplet, b.triplet),  # the background carried over
        (" ", None, r.triplet),  # inverse: the cell's one colour is its background
    ]
    assert strip.cell_length == 4


def test_symbol_rows_of_equal_pixels_are_equal_and_differ_where_pixels_do() -> None:
    first, _ = symbol_rows(picture(200), CELLS)
    again, _ = symbol_rows(picture(200), CELLS)
    other, _ = symbol_rows(picture(120), CELLS)
    assert first == again
    assert first[0] == other[0]  # the dark bar is the same
    assert first[4] != other[4]  # the page is not


def cells_of_text(line: str) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    """A line of :func:`halfcell_text` (24-bit colours) as (character, upper, lower) cells."""
    cells = []
    for codes, blocks in re.findall(r"\x1b\[([\d;]*)m([^\x1b]*)", line):
        numbers = tuple(int(n) for n in codes.split(";")) if codes else ()
        for block in blocks:
            assert numbers[:2] == (38, 2) and numbers[5:7] == (48, 2)
            cells.append((block, numbers[2:5], numbers[7:10]))
    return cells


def cells_of_strip(strip: Strip) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    cells = []
    for segment in strip:
        assert segment.style is not None
        upper, lower = segment.style.color, segment.style.bgcolor
        assert upper is not None and lower is not None
        upper_rgb, lower_rgb = tuple(upper.get_truecolor()), tuple(lower.get_truecolor())
        cells.extend((block, upper_rgb, lower_rgb) for block in segment.text)
    return cells


def test_half_cells_as_text_are_the_same_cells_as_the_strips() -> None:
    image = picture(200).resize((48, 20))
    _, strips = halfcell_rows(image, 48, 10)
    text_keys, lines = halfcell_text(image, 48, 10, ColorSystem.TRUECOLOR)
    assert len(lines) == len(strips) == 10
    for line, strip in zip(lines, strips, strict=True):
        assert line.endswith("\x1b[0m")
        assert cells_of_text(line) == cells_of_strip(strip)
    # Rows whose pixels were seen are reused; in 256 colours, the codes are 256 colours'.
    made = dict(zip(text_keys, lines, strict=True))
    again = halfcell_text(image, 48, 10, ColorSystem.TRUECOLOR, made)
    assert all(line is made[key] for key, line in zip(*again, strict=True))
    assert "38;5;" in halfcell_text(image, 48, 10, ColorSystem.EIGHT_BIT)[1][0]


async def test_half_cells_made_as_strips_after_a_frame_as_text() -> None:
    """A frame that came as text, then one that must be made here (no lines made for this
    size): the strips are made, with nothing of the text's rows to reuse."""
    frame = HalfcellFrame()
    app = WidgetApp(frame)
    async with app.run_test(size=(60, 20)) as pilot:
        image = picture(200).resize((48, 20))
        frame.show_image(image)
        await pilot.pause()
        assert "▀" in frame.render_line(0).text
        cells = (frame.content_size.width, frame.content_size.height)
        other = picture(120).resize((48, 20))
        frame.show_image(other, HalfcellFrame.encode_text(other, cells, CELL))
        [written] = list(frame.render_line(0))
        assert written.control  # written as it is
        frame.show_image(image)  # no lines made beforehand: strips, here
        strip = frame.render_line(0)
        assert "▀" in strip.text and not any(segment.control for segment in strip)


def test_the_densities_follow_the_renderer() -> None:
    assert pixel_needs(SymbolsFrame) == PixelNeeds((4, 8), exact=True)
    assert pixel_needs(HalfcellFrame) == PixelNeeds((1, 2))  # sized from its image
    assert pixel_needs(HalfcellImage) == PixelNeeds((1, 2))
    assert mode_of(HalfcellFrame) == "halfcell"
    assert mode_of(SixelFrame) == "sixel"
    assert renderer_for("kitty") is KittyFrame
    assert renderer_for("symbols") is SymbolsFrame


class Recorder:
    """Keeps what a frame wrote each time Textual painted it."""

    def __init__(self, frame: ImageFrame) -> None:
        self.paints: list[list[str]] = []
        render = frame.render_lines

        def recording(crop: Region) -> list[Strip]:
            strips = render(crop)
            self.paints.append(written(strips))
            return strips

        frame.render_lines = recording  # type: ignore[method-assign]


async def show_twice(frame: ImageFrame) -> list[list[str]]:
    """Mount ``frame`` and show two frames; what it wrote each time it was painted."""
    recorder = Recorder(frame)
    app = WidgetApp(frame)
    async with app.run_test(size=(40, 12)) as pilot:
        for shade in (200, 120):
            image = picture(shade)
            frame.show_image(image, CELLS, frame.encode(image, CELLS, CELL))
            await pilot.pause()
            assert frame.region.size == CELLS
    return [paint for paint in recorder.paints if len(paint) == CELLS[1]]


async def test_a_sixel_frame_is_drawn_over_the_last_one_band_by_band_without_clearing() -> None:
    paints = await show_twice(SixelFrame())
    assert len({tuple(paint) for paint in paints}) == 2  # two frames, each drawn
    assert band_rows(CELL[1]) == 6  # 120 px: a multiple of six, at least 96
    for lines in paints:
        for row, line in enumerate(lines):
            if row % 6:  # inside a band: the cursor moves on, nothing is written over
                assert line == f"\x1b[{CELLS[0]}C"
                continue
            # A band's first line: to its first cell, its Sixel, back to the row's end.
            # No text, no erase: the old pixels stay until the new ones cover them.
            match = re.fullmatch(r"\x1b\[(\d+);(\d+)H(\x1bP[^\x1b]*\x1b\\)\x1b\[(\d+);(\d+)H", line)
            assert match, line[:40]
            assert int(match.group(1)) == int(match.group(4)) == row + 1
            assert int(match.group(5)) - int(match.group(2)) == CELLS[0]
            # 6 rows of 20 px, then the last 2 rows' 40 px sent 42 tall (Sixel: 6 a band).
            assert f'"1;1;240;{120 if row == 0 else 42}' in match.group(3)


def recorded_writes(app: WidgetApp) -> list[str]:
    """What ``app`` writes to its terminal from now on, an update a string (a headless app
    writes nothing: the updates are rendered as a terminal would be sent them)."""
    written: list[str] = []
    display = app._display

    def recording(screen: Screen[object], update: RenderableType | None) -> None:
        if isinstance(update, CompositorUpdate):
            written.append(update.render_segments(app.console))
        display(screen, update)

    app._display = recording  # type: ignore[method-assign]
    return written


@contextlib.asynccontextmanager
async def sixel_on_screen() -> AsyncIterator[
    tuple[WidgetApp, Pilot[object], SixelFrame, list[str]]
]:
    """A Sixel frame showing :func:`picture` in a 26x9 app with notifications, and what the
    app writes to its terminal from then on (:func:`recorded_writes`)."""
    frame = SixelFrame()
    app = WidgetApp(frame)
    async with app.run_test(size=(26, 9), notifications=True) as pilot:
        written = recorded_writes(app)
        image = picture(200)
        frame.show_image(image, CELLS, frame.encode(image, CELLS, CELL))
        yield app, pilot, frame, written


async def test_a_sixel_frame_is_drawn_again_when_a_toast_over_it_goes() -> None:
    """Text over Sixel erases its pixels, and Textual repaints only the lines under a toast
    that went, which need not hold a band's first line: the picture is drawn again."""
    async with sixel_on_screen() as (app, pilot, frame, written):
        await wait_for(pilot, lambda: any('"1;1;240;120' in w for w in written), what="band 0")
        app.notify("over the picture", timeout=0.6)
        await wait_for(pilot, lambda: bool(app.screen.query("Toast")), what="the toast")
        toast = app.screen.query_one("Toast").region
        assert toast.overlaps(frame.region) and toast.y > frame.region.y  # not band 0's top
        written.clear()
        await wait_for(pilot, lambda: not app.screen.query("Toast"), what="the toast gone")
        await wait_for(
            pilot, lambda: any('"1;1;240;120' in w for w in written), what="band 0 again"
        )


async def test_a_toast_over_a_sixel_band_is_written_again_after_the_band() -> None:
    """A band is drawn from its first line over all its lines, text included: a toast on
    its other lines is written again in the same update, after the band."""
    async with sixel_on_screen() as (app, pilot, frame, written):
        app.notify("toasted", timeout=30)
        await wait_for(pilot, lambda: bool(app.screen.query("Toast")), what="the toast")
        toast = app.screen.query_one("Toast").region
        assert 0 < toast.y < 6  # in band 0, not on its first line
        await pilot.pause(0.3)
        written.clear()
        changed = picture(200)
        ImageDraw.Draw(changed).rectangle((0, 40, 50, 60), fill=(200, 0, 0))  # band 0
        frame.show_image(changed, CELLS, frame.encode(changed, CELLS, CELL))
        await wait_for(pilot, lambda: any('"1;1;240;120' in w for w in written), what="band 0")
        update = next(w for w in written if '"1;1;240;120' in w)
        after = update[update.index('"1;1;240;120') :]
        for y in range(toast.y, 6):  # each of the toast's lines in the band, after it
            assert f"\x1b[{y + 1};{toast.x + 1}H\x1b[" in after, y


def test_sixel_bands_keep_what_did_not_change() -> None:
    first = sixel_bands(picture(200), CELLS, CELL)
    changed = picture(200)
    ImageDraw.Draw(changed).rectangle((0, 130, 50, 150), fill=(200, 0, 0))  # the last band
    other = sixel_bands(changed, CELLS, CELL)
    assert (first.rows, len(first.images)) == (6, 2)
    assert other.images[0] is first.images[0]  # not encoded again
    assert other.images[1] != first.images[1]
    assert sixel_bands(picture(120), CELLS, CELL).images[0] != first.images[0]


def test_a_sixel_image_defines_only_the_colours_it_uses() -> None:
    canvas = chafa_canvas.ChafaCanvas("sixel", CELLS[0], 1, (CELL[0], 24), fixed_palette=True)
    row = picture(200).crop((0, 0, CELLS[0] * CELL[0], 24))
    sent = canvas.draw(row)
    canvas._used_colours_only = lambda sixel: sixel  # type: ignore[method-assign]
    printed = canvas.draw(row)  # all 256 colours of the fixed palette defined, as Chafa prints

    def parts(sixel: bytes) -> tuple[bytes, dict[bytes, bytes], bytes]:
        start = sixel.index(b"#")
        block = re.match(rb"(?:#\d+;2;\d+;\d+;\d+)+", sixel[start:])
        assert block is not None
        defined = {m[1]: m[0] for m in re.finditer(rb"#(\d+);2;\d+;\d+;\d+", block[0])}
        return sixel[:start], defined, sixel[start + block.end() :]

    head, defined, body = parts(sent)
    printed_head, all_defined, printed_body = parts(printed)
    assert len(all_defined) >= 255 and (head, body) == (printed_head, printed_body)
    selected = set(re.findall(rb"#(\d+)(?![\d;])", body))
    assert set(defined) == selected and 2 <= len(selected) < 40  # the page, the bar, the word
    assert all(all_defined[number] == text for number, text in defined.items())
    assert len(sent) < len(printed) - 3000


def test_chafa_draws_a_band_of_a_larger_frame_where_it_lies() -> None:
    width = CELLS[0] * CELL[0]
    frame = picture(200).convert("RGBA")  # opaque
    canvas = chafa_canvas.ChafaCanvas("sixel", CELLS[0], 1, (CELL[0], 24), fixed_palette=True)
    band = frame.crop((0, 60, width, 84))
    alone = canvas.draw(band.convert("RGB"))
    data = frame.tobytes()
    in_place = canvas.draw_pixels(data, (width, 24), "opaque-rgba", 60 * width * 4, width * 4)
    assert in_place == alone == canvas.draw(band)  # RGB, RGBA and RGBA read in place
    # A stride wider than the rows: every other row of a taller picture.
    rows = Image.new("RGB", (width, 12))
    for y in range(12):
        rows.paste(band.crop((0, 2 * y, width, 2 * y + 1)).convert("RGB"), (0, y))
    doubled = frame.crop((0, 60, width, 84)).tobytes()
    half = chafa_canvas.ChafaCanvas("sixel", CELLS[0], 1, (CELL[0], 12), fixed_palette=True)
    assert half.draw_pixels(doubled, (width, 12), "opaque-rgba", 0, width * 8) == half.draw(rows)
    with pytest.raises(ValueError, match="run past"):
        canvas.draw_pixels(data, (width, 24), "opaque-rgba", (frame.height - 23) * width * 4)
    with pytest.raises(ValueError, match="no pixels"):
        canvas.draw_pixels(data, (width, 24), "rgb", 0, width)


def test_a_sixel_frame_is_decoded_as_opaque_rgba_for_chafa() -> None:
    needs = SixelFrame.pixel_needs(CELL)
    assert needs.rgba and needs.exact
    screen = picture(400)
    jpeg = io.BytesIO()
    screen.save(jpeg, "JPEG", quality=90)
    box = Size(20, 5)
    image, source, cells, encoded = prepare_frame(
        jpeg.getvalue(), box, CELL, needs, SixelFrame.encode
    )
    rgb, *_ = prepare_frame(jpeg.getvalue(), box, CELL, replace(needs, rgba=False), None)
    assert source == screen.size and image.mode == "RGBA" and rgb.mode == "RGB"
    assert image.getextrema()[3] == (255, 255)
    difference = ImageStat.Stat(ImageChops.difference(image.convert("RGB"), rgb)).mean
    assert max(difference) < 2, difference  # the same picture either way
    assert encoded.images == sixel_bands(rgb, cells, CELL).images  # and the same Sixel


async def test_a_kitty_frame_is_placed_before_the_last_one_is_deleted() -> None:
    paints = await show_twice(KittyFrame())
    for lines in paints:
        # The picture on the first line (a toast over the last would cut it), the rest
        # only move the cursor.
        assert all(line == f"\x1b[{CELLS[0]}C" for line in lines[1:])
    sends = [paint[0] for paint in paints if "a=T" in paint[0]]
    assert len(sends) == 2, [paint[0][:60] for paint in paints]
    ids = [int(re.search(r"a=T,[^;]*?\bi=(\d+)", send).group(1)) for send in sends]  # type: ignore[union-attr]
    assert ids[0] != ids[1]
    first, second = sends
    assert "a=d" not in first  # nothing to delete before the first frame
    sent = second.index(f"i={ids[1]}")
    deleted = second.index(f"\x1b_Ga=d,d=I,i={ids[0]},q=2\x1b\\")
    assert sent < deleted  # the new image is up before the old one goes
    assert "q=2" in second and "c=24,r=8" in second and "C=1" in second


def our_shm_objects() -> list[Path]:
    return list(Path("/dev/shm").glob(f"leap0-{os.getpid()}-*"))


async def test_a_kitty_on_this_machine_gets_the_pixels_through_shared_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kitty_frame, "_shared_memory_works", lambda: True)
    assert KittyFrame.pixel_needs(CELL) == PixelNeeds(CELL, exact=True, terminal_scales=2 / 3)
    frame = KittyFrame()
    recorder = Recorder(frame)
    image = picture(200)
    async with WidgetApp(frame).run_test(size=(40, 12)) as pilot:
        frame.show_image(image, CELLS, frame.encode(image, CELLS, CELL))
        await pilot.pause()
        send = next(line for paint in recorder.paints for line in paint if "a=T" in line)
        keys, payload = re.search(r"\x1b_G(a=T[^;]*);([^\x1b]*)\x1b", send).groups()  # type: ignore[union-attr]
        name = base64.b64decode(payload).decode()
        size = CELLS[0] * CELL[0] * CELL[1] * CELLS[1] * 3
        assert f"t=s,s={image.width},v={image.height},S={size}" in keys and "o=z" not in keys
        # kitty reads the object and unlinks it; here nobody does, so it is still there.
        shm = Path("/dev/shm") / name.lstrip("/")
        assert shm.read_bytes() == image.tobytes()
        # A kitty that reads nothing (stopped, its output held) never gets more than a few
        # frames piled up in /dev/shm.
        for shade in range(20):
            other = picture(shade)
            frame.show_image(other, CELLS, frame.encode(other, CELLS, CELL))
            await pilot.pause()
        assert not shm.exists()
        assert len(our_shm_objects()) <= KittyFrame.SHARED_MEMORY_KEPT
    assert not our_shm_objects()  # the frame gone: none left


async def test_a_kitty_frame_goes_in_the_escape_code_when_shared_memory_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kitty_frame, "_shared_memory_failed", False)
    here = terminal_probe.TerminalAnswers(kitty_graphics=True, kitty_shared_memory=True)
    monkeypatch.setattr(kitty_frame, "terminal_answers", lambda: here)
    assert KittyFrame.pixel_needs(CELL).terminal_scales < 1.0

    def full(data: bytes) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kitty_frame.shared_memory, "create", full)
    frame = KittyFrame()
    recorder = Recorder(frame)
    async with WidgetApp(frame).run_test(size=(40, 12)) as pilot:
        image = picture(200)
        frame.show_image(image, CELLS, frame.encode(image, CELLS, CELL))
        await pilot.pause()
        sends = [line for paint in recorder.paints for line in paint if "a=T" in line]
        assert len(sends) == 1 and "o=z" in sends[0] and "t=s" not in sends[0]
        # From then on frames are made for the escape code, and shrunk here.
        assert frame.encode(image, CELLS, CELL).pixels is None
        assert KittyFrame.pixel_needs(CELL).terminal_scales == 1.0


async def test_a_kitty_frame_gives_way_to_a_toast_over_it_and_comes_back() -> None:
    """kitty draws the image over the text: a toast over the picture would be hidden."""
    frame = KittyFrame()
    recorder = Recorder(frame)
    app = WidgetApp(frame)
    async with app.run_test(size=(40, 12), notifications=True) as pilot:
        image = picture(200)
        frame.show_image(image, CELLS, frame.encode(image, CELLS, CELL))
        await pilot.pause()
        shown = frame._shown
        assert shown is not None and any("a=T" in "".join(p) for p in recorder.paints)
        app.notify("a toast over the picture", timeout=0.5)
        await pilot.pause(0.2)
        toast = app.screen.query_one("Toast")
        assert toast.region.overlaps(frame.region)
        # The placement is removed (the pixels kept), and nothing is placed meanwhile.
        assert f"a=d,d=i,i={shown}" in recorder.paints[-1][0]
        assert not any("a=p" in line or "a=T" in line for line in recorder.paints[-1])
        await wait_for(pilot, lambda: not app.screen.query("Toast"), what="the toast gone")
        # The toast gone, the same image is placed again (not sent again).
        await wait_for(
            pilot,
            lambda: f"a=p,i={shown}" in "".join(recorder.paints[-1]),
            what="the picture placed again",
        )
        assert not any("a=T" in line for line in recorder.paints[-1])


@pytest.mark.parametrize(
    ("setting", "widget"),
    [("symbols", SymbolsFrame), ("halfcell", HalfcellFrame), ("sixel", SixelFrame)],
)
async def test_the_palette_switches_how_the_preview_draws(
    fake_desktop: StatefulDesktop, tmp_path: Path, setting: str, widget: type[Widget]
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.screen.query(ScreenPreview), what="the preview")
        preview = app.screen.query_one(ScreenPreview)
        await wait_for(pilot, lambda: preview.frame is not None, what="a first frame")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {f"Graphics: {m}" for m in ("auto", "kitty", "sixel", "symbols")} <= titles
        await pilot.press("ctrl+p")
        await pilot.press(*f"Graphics: {setting}")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: preview.graphics_mode == setting, what="the switch")
        drawn = preview.query_one("#frame")
        assert type(drawn) is widget
        # The last frame is drawn again the new way, without waiting for the next one.
        if isinstance(drawn, ImageFrame):
            await wait_for(pilot, lambda: drawn.encoded is not None, what="the frame drawn")
            assert drawn.region.width > 10
        assert app.image_renderer is widget  # a desktop opened later draws the same way


async def test_live_mode_draws_symbols_with_half_cells_in_a_big_pane_and_gives_them_back(
    fake_desktop: StatefulDesktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(fake_desktop.url, fake_desktop.token, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.screen.query(ScreenPreview), what="the preview")
        preview = app.screen.query_one(ScreenPreview)
        await app.set_graphics("symbols")
        await wait_for(pilot, lambda: type(preview.query_one("#frame")) is SymbolsFrame)
        preview.focus()
        # This pane is small enough for symbols live.
        await pilot.press("l")
        await pilot.pause(0.3)
        assert preview.live and type(preview.query_one("#frame")) is SymbolsFrame
        await pilot.press("l")
        # A pane above the limit is not: lower the limit under this pane's size.
        box = preview.query_one("#viewport").content_size
        monkeypatch.setattr(renderers, "LIVE_SYMBOLS_MAX_CELLS", box.width * box.height - 1)
        await pilot.press("l")
        await wait_for(pilot, lambda: type(preview.query_one("#frame")) is HalfcellFrame)
        assert preview.live and preview.graphics_mode == "symbols"
        await pilot.press("l")
        await wait_for(pilot, lambda: type(preview.query_one("#frame")) is SymbolsFrame)
        frame = preview.query_one(SymbolsFrame)
        await wait_for(pilot, lambda: frame.encoded is not None, what="the frame drawn again")
