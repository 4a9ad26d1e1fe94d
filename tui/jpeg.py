"""JPEG screenshots decoded and shrunk in one go by FFmpeg's libraries (PyAV).

The preview asks the desktop for JPEG. Pillow decodes it to full-size RGB and then
shrinks it: at 1440x900 into 845x528 px that is 4.5 ms + 11 ms here, the largest part of a
live frame's CPU. libavcodec decodes the JPEG into its YUV planes (3.5 ms), and swscale
shrinks those and converts to RGB in one pass at the smaller size (3.4 ms), with an
area-averaging filter that is sharper than Pillow's shrinking after its reduced-scale
decode (SSIM against a Lanczos reference 0.985 against 0.98; 0.985 against 0.876 at
700x437, where Pillow decodes at half size first). ``benchmarks/real_terminals.py`` has
the effect on the whole preview.

PyAV is already the recordings' decoder (:mod:`tui.playback`); it is imported on the first
frame, in the decoding thread. Each thread keeps its own decoder and scaler, each working
in that thread alone: left to themselves, FFmpeg's decoder starts a thread per core and
swscale a pool of slice threads for every frame, which cost more CPU than they save on one
picture (see ``docs/pitfalls.md``). No Textual here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PIL import Image as PILImage

__all__ = ["decode_jpeg", "is_jpeg"]

_local = threading.local()


def is_jpeg(data: bytes) -> bool:
    """``data`` starts as a JPEG file does (SOI, then a marker)."""
    return data[:3] == b"\xff\xd8\xff"


def decode_jpeg(
    data: bytes, size_for: Callable[[tuple[int, int]], tuple[int, int]], rgba: bool = False
) -> tuple[PILImage.Image, tuple[int, int]]:
    """Decode the JPEG ``data`` into an RGB image of ``size_for(source size)`` pixels
    (opaque RGBA with ``rgba``).

    Returns the image and the source's size. Blocking: run it in a thread. Raises
    ``ValueError`` for data that does not decode into a picture.
    """
    import av
    from av.video.reformatter import VideoReformatter

    context = getattr(_local, "context", None)
    if context is None:
        context = _local.context = av.CodecContext.create("mjpeg", "r")
        context.thread_count = 1
        _local.scaler = VideoReformatter()
    try:
        frames: list[Any] = context.decode(av.Packet(data))
    except av.FFmpegError as exc:
        _local.context = None  # a decoder that failed once starts afresh
        raise ValueError(f"not a JPEG picture ({exc})") from exc
    frame = frames[-1] if frames else None
    if frame is None or frame.width <= 0 or frame.height <= 0:
        raise ValueError("not a JPEG picture (no frame in it)")
    source = (frame.width, frame.height)
    width, height = size_for(source)
    packed = "rgba" if rgba else _packed_format(source, (width, height))
    rgb = _local.scaler.reformat(
        frame, width=width, height=height, format=packed, interpolation="AREA", threads=1
    )
    # The plane's rows, copied once into an image of its own (PyAV's to_image takes 4
    # times as long: 1.6 ms against 0.4 at 990x620). Pillow keeps RGB as 4 bytes a pixel:
    # RGBA rows are taken as they are, 3-byte rows spread out.
    plane = rgb.planes[0]
    mode = "RGBA" if packed == "rgba" else "RGB"
    image = PILImage.frombuffer(mode, (width, height), plane, "raw", mode, plane.line_size, 1)
    if mode == "RGBA" and not rgba:
        image = image.convert("RGB")
    elif image.readonly:  # it shares the frame's memory: a copy of its own
        image = image.copy()
    return image, source


def _packed_format(source: tuple[int, int], size: tuple[int, int]) -> str:
    """The pixel format swscale makes ``size`` from a ``source``-sized JPEG in fastest.

    Scaled, swscale writes 3-byte RGB in plain C and 4-byte RGBA with SIMD: with the
    decoding, 1392x871 from 1440x900 took 8.5-9.3 ms as RGB and 5.0-5.3 as RGBA (made
    Pillow's RGB included), 990x620 7.5 against 3.7 (``benchmarks/jpeg_formats.py``). Not
    at the source's own size, where a converter of its own makes RGB sooner (2.6 ms
    against 3.7), nor at an odd width, where RGBA loses its SIMD (845x528: 6.6 against
    5.8). A few exact ratios (960x600, 1280x800) are about a millisecond faster as RGB.
    """
    return "rgba" if size != source and size[0] % 2 == 0 else "rgb24"
