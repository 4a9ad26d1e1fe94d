"""Benchmark: the preview without graphics, half-cells against Chafa's symbols.

    ./dev bench preview_symbols [--repeat 10] [--sizes 120x36,240x70]

Starts a local desktop host (1440x900), puts a maximised xterm full of text on it (the
busy screen of ``tui_preview``, where sharpness matters: can the text be read?), takes one
PNG screenshot, and for each preview size and each renderer prints:

* **render ms/frame**: making the rows of strips from a decoded frame (the work the
  preview does per frame besides fetching and decoding): ``halfcell_rows`` (the
  ``halfcell`` mode's :class:`~tui.widgets.halfcell.HalfcellFrame`) and ``symbol_rows``
  (the ``symbols`` mode, Chafa); median of ``--repeat`` runs, each frame shifted by a
  pixel from the one before, so nearly every row differs (the busy case);
* **SSIM**: the preview drawn back to pixels, each cell's symbol rasterised with its two
  colours at 10x20 pixels a cell, against the screenshot scaled to the same size (grey
  levels, 8x8 windows): 1 is identical. Both renderers are drawn back the same way and
  compared at the same size. Block elements (halves, eighths, quadrants) are exact
  rectangles, as terminals draw them (kitty draws them itself; fonts design them to fill
  the cell); braille as its 2x4 dots; box lines from DejaVu Sans Mono (xterm's
  ``-fa Monospace`` here). Drawing quadrants and eighths from the font instead (offset
  and short of the cell) cost symbols half their lead. Goal: symbols clearly above
  half-cells.

Everything it writes lives in one directory under /tmp, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageMath
from rich.color import Color

from core.desktop import AsyncDesktopClient
from core.transport import AsyncTransport
from tui.local import LocalHost
from tui.widgets.halfcell import halfcell_rows
from tui.widgets.symbols import symbol_rows

sys.path.insert(0, str(Path(__file__).parent))
from tui_preview import start_busy_screen, stop

CELL = (10, 20)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


async def screenshot(work: Path) -> Image.Image:
    """One PNG of the local desktop with a screen of text on it."""
    host = LocalHost(log_path=work / "host.log")
    print("starting a local desktop host…", flush=True)
    desktop = await asyncio.to_thread(host.start)
    try:
        async with AsyncDesktopClient(AsyncTransport(api_key=desktop.token)) as client:
            info = await client.display_info(desktop.url)
            busy = start_busy_screen(info.display, desktop.xauthority)
            try:
                await asyncio.sleep(4.0)
                data = await client.screenshot(desktop.url, image_format="png")
            finally:
                stop(busy)
    finally:
        await asyncio.to_thread(host.stop)
    return Image.open(io.BytesIO(data)).convert("RGB")


def rgb(color: Color | None) -> tuple[int, int, int]:
    if color is None:
        return (0, 0, 0)
    triplet = color.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def draw_back(strips: list, cells: tuple[int, int], font: ImageFont.FreeTypeFont) -> Image.Image:
    """The cells as a terminal would show them, at CELL pixels a cell."""
    out = Image.new("RGB", (cells[0] * CELL[0], cells[1] * CELL[1]))
    draw = ImageDraw.Draw(out)
    glyphs: dict[str, Image.Image] = {}
    for y, strip in enumerate(strips):
        x = 0
        for segment in strip:
            style = segment.style
            fg, bg = rgb(style.color if style else None), rgb(style.bgcolor if style else None)
            for char in segment.text:
                box = (x * CELL[0], y * CELL[1])
                draw.rectangle((*box, box[0] + CELL[0] - 1, box[1] + CELL[1] - 1), fill=bg)
                mask = glyphs.get(char)
                if mask is None:
                    mask = glyphs[char] = glyph(char, font)
                out.paste(fg, (*box, box[0] + CELL[0], box[1] + CELL[1]), mask)
                x += 1
    return out


def glyph(char: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """``char``'s coverage in one cell of CELL pixels, as terminals show it.

    Block elements (U+2580-U+259F: halves, eighths, quadrants, shades) are drawn as exact
    rectangles, as kitty draws them itself and as fonts design them to fill the cell;
    braille as its 2x4 dots (from a fallback font in most terminals); everything else
    (box lines) from DejaVu Sans Mono, the font of xterm ``-fa Monospace`` here.
    """
    mask = Image.new("L", CELL)
    draw = ImageDraw.Draw(mask)
    w, h = CELL
    code = ord(char)
    if 0x2580 <= code <= 0x259F:
        for (x0, y0, x1, y1), level in _block(code, w, h):
            if x1 > x0 and y1 > y0:
                draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=level)
    elif 0x2800 <= code <= 0x28FF:
        # Dots 1-3 and 7 down the left, 4-6 and 8 down the right.
        bits = code - 0x2800
        spots = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (0, 3), (1, 3)]
        radius = max(1, w // 8)
        for bit, (col, row) in enumerate(spots):
            if bits & (1 << bit):
                cx, cy = (col * 2 + 1) * w // 4, (row * 2 + 1) * h // 8
                draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    elif char != " ":
        draw.text((0, 0), char, font=font, fill=255)
    return mask


_QUADRANTS = {  # U+2596..U+259F: upper left, upper right, lower left, lower right
    0x2596: "0010",
    0x2597: "0001",
    0x2598: "1000",
    0x2599: "1011",
    0x259A: "1001",
    0x259B: "1110",
    0x259C: "1101",
    0x259D: "0100",
    0x259E: "0110",
    0x259F: "0111",
}


def _block(code: int, w: int, h: int) -> list[tuple[tuple[int, int, int, int], int]]:
    """The filled rectangles (and their coverage, 0-255) of block element ``code``."""
    if code == 0x2580:
        return [((0, 0, w, h // 2), 255)]
    if 0x2581 <= code <= 0x2588:  # lower 1/8 .. full
        eighths = code - 0x2580
        return [((0, h - round(h * eighths / 8), w, h), 255)]
    if 0x2589 <= code <= 0x258F:  # left 7/8 .. 1/8
        eighths = 0x2590 - code
        return [((0, 0, round(w * eighths / 8), h), 255)]
    if code == 0x2590:
        return [((w // 2, 0, w, h), 255)]
    if 0x2591 <= code <= 0x2593:  # shades: a quarter, half, three quarters of ink
        return [((0, 0, w, h), 64 * (code - 0x2590))]
    if code == 0x2594:
        return [((0, 0, w, round(h / 8)), 255)]
    if code == 0x2595:
        return [((w - round(w / 8), 0, w, h), 255)]
    cx, cy = w // 2, h // 2
    boxes = [(0, 0, cx, cy), (cx, 0, w, cy), (0, cy, cx, h), (cx, cy, w, h)]
    return [(box, 255) for box, on in zip(boxes, _QUADRANTS[code], strict=True) if on == "1"]


def ssim(a: Image.Image, b: Image.Image, window: int = 8) -> float:
    """Mean SSIM of two images' grey levels over ``window`` x ``window`` blocks."""
    x, y = a.convert("L").convert("F"), b.convert("L").convert("F")
    mean = lambda im: im.reduce(window)  # noqa: E731
    mx, my = mean(x), mean(y)
    xx = mean(ImageMath.lambda_eval(lambda v: v["x"] * v["x"], x=x))
    yy = mean(ImageMath.lambda_eval(lambda v: v["y"] * v["y"], y=y))
    xy = mean(ImageMath.lambda_eval(lambda v: v["x"] * v["y"], x=x, y=y))
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ImageMath.lambda_eval(
        lambda v: (
            ((2 * v["mx"] * v["my"] + c1) * (2 * (v["xy"] - v["mx"] * v["my"]) + c2))
            / (
                (v["mx"] * v["mx"] + v["my"] * v["my"] + c1)
                * ((v["xx"] - v["mx"] * v["mx"]) + (v["yy"] - v["my"] * v["my"]) + c2)
            )
        ),
        mx=mx,
        my=my,
        xx=xx,
        yy=yy,
        xy=xy,
    )
    values = list(s.get_flattened_data())
    return sum(values) / len(values)


def measure(shot: Image.Image, cells: tuple[int, int], repeat: int) -> None:
    font = ImageFont.truetype(FONT, 16)
    reference = shot.resize((cells[0] * CELL[0], cells[1] * CELL[1]), Image.Resampling.LANCZOS)
    for name, density in (("halfcell", (1, 2)), ("symbols", (4, 8))):
        frame = shot.resize(
            (cells[0] * density[0], cells[1] * density[1]), Image.Resampling.BILINEAR
        )
        times = []
        for n in range(repeat):
            # A one-pixel shift each time: a new frame whose rows all differ.
            moved = frame.transform(frame.size, Image.Transform.AFFINE, (1, 0, n % 2, 0, 1, 0))
            started = time.perf_counter()
            if name == "halfcell":
                _, strips = halfcell_rows(moved, cells[0], cells[1])
            else:
                _, strips = symbol_rows(moved, cells)
            times.append(time.perf_counter() - started)
        # The sharpness of the frame itself: a shifted one would not line up with the
        # reference (a pixel here is a quarter of a symbol's cell, a whole half-cell).
        if name == "halfcell":
            _, strips = halfcell_rows(frame, cells[0], cells[1])
        else:
            _, strips = symbol_rows(frame, cells)
        score = ssim(draw_back(strips, cells, font), reference)
        print(
            f"  {cells[0]}x{cells[1]:<3} {name:9} render {1000 * statistics.median(times):6.1f} "
            f"ms/frame (best {1000 * min(times):5.1f})   SSIM {score:.3f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--sizes", default="120x36,240x70", help="preview sizes in cells")
    parser.add_argument("--image", type=Path, help="a screenshot to use instead of the host's")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leap0-bench-symbols-"))
    try:
        shot = (
            Image.open(args.image).convert("RGB") if args.image else asyncio.run(screenshot(work))
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"screenshot {shot.width}x{shot.height}; cells drawn back at {CELL[0]}x{CELL[1]} px")
    for size in args.sizes.split(","):
        cols, rows = (int(part) for part in size.lower().split("x"))
        measure(shot, (cols, rows), args.repeat)


if __name__ == "__main__":
    main()
