"""Benchmark: the pixel format swscale makes a preview frame in, RGB against RGBA.

    ./dev bench jpeg_formats [--repeat 7]

A 1440x900 desktop-like picture (lines of text, a coloured block) saved as JPEG at the
preview's quality is decoded by ``tui.jpeg.decode_jpeg`` into Pillow's RGB image at each
size the preview asks for, two ways: swscale writing 3-byte RGB (copied into the image),
and swscale writing 4-byte RGBA (converted into the image); the decoding is the same.
For each size it prints the CPU milliseconds of each (the least of ``--repeat`` rounds:
this machine's neighbours make the rest noisy), their ratio, which one ``tui.jpeg``
picks, and whether that is the faster (within 10 %). Sizes: the source's own, what Sixel
and kitty draw at 120x36 and 240x70 (even and odd widths), and what half-cells and
symbols draw. The rule is simple and misses a few exact ratios (960x600, 1280x800: RGB
is faster there by about a millisecond); it prints them as such.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui import jpeg
from tui.widgets.screen_preview import PREVIEW_JPEG_QUALITY

SOURCE = (1440, 900)
SIZES = [
    (1440, 900),
    (1392, 871),
    (1200, 750),
    (990, 620),
    (960, 600),
    (846, 528),
    (845, 528),
    (700, 437),
    (480, 300),
    (240, 150),
]


def desktop_jpeg() -> bytes:
    image = Image.new("RGB", SOURCE, (240, 240, 240))
    draw = ImageDraw.Draw(image)
    for y in range(0, SOURCE[1], 24):
        draw.text((12, y), "12:00:00.000000  the quick brown fox jumps over the lazy dog " * 2)
    draw.rectangle((700, 300, 1100, 600), fill=(200, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=PREVIEW_JPEG_QUALITY)
    return out.getvalue()


def least_ms(work: Callable[[], object], repeat: int, rounds: int = 6) -> float:
    work()
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(rounds):
            work()
        best = min(best, (time.process_time() - started) / rounds * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    chosen = jpeg._packed_format

    data = desktop_jpeg()

    def made(size: tuple[int, int], packed: str) -> Callable[[], object]:
        def work() -> object:
            jpeg._packed_format = lambda source, size: packed
            try:
                return jpeg.decode_jpeg(data, lambda source: size)
            finally:
                jpeg._packed_format = chosen

        return work

    print(f"{'size':>10}  {'RGB ms':>7}  {'RGBA ms':>7}  ratio  picked  fastest")
    for size in SIZES:
        rgb = least_ms(made(size, "rgb24"), args.repeat)
        rgba = least_ms(made(size, "rgba"), args.repeat)
        picked = chosen(SOURCE, size)
        ok = (rgba if picked == "rgba" else rgb) <= min(rgb, rgba) * 1.1
        print(
            f"{size[0]:>5}x{size[1]:<4}  {rgb:7.2f}  {rgba:7.2f}  {rgba / rgb:5.2f}  "
            f"{picked:>6}  {'yes' if ok else 'NO'}"
        )


if __name__ == "__main__":
    main()
