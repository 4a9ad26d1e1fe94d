"""KittyFrame: the preview with kitty's graphics protocol, placed directly (every kitty).

Direct placement works in every kitty version; Unicode placeholders (what textual-image
uses) need kitty 0.28, and older ones (Debian 12's 0.26) show boxes. Each frame is
transmitted under the other of two image ids and placed where the last one was, and only
then is the last one deleted: the terminal never shows the pane without an image. A kitty
on this machine (the probe asked it to read a shared memory object) gets the raw pixels
through a new shared memory object each frame (``t=s``, :mod:`tui.shared_memory`), which
it unlinks once read; any other gets them zlib-compressed in the escape code (``o=z``),
made in the decoding thread. ``q=2`` keeps kitty from answering, which Textual would read
as keys. The image lies over the text layer (kitty 0.26 tints the whole window red with an
image under text, ``z=-1``), so while another screen is on top, or a toast covers part of
the picture, the placement is removed: their text would not hide it.
"""

from __future__ import annotations

import base64
import itertools
import logging
import random
import zlib
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from PIL import Image as PILImage
from textual.geometry import Region

from tui import shared_memory
from tui.frames import PixelNeeds
from tui.graphics import terminal_answers, write_to_terminal
from tui.widgets.graphics_frame import GraphicsFrame

__all__ = ["KittyFrame", "KittyImage", "kitty_image"]

log = logging.getLogger(__name__)

_CHUNK = 4096
_ids = itertools.count(random.randint(1 << 20, 1 << 30), 2)


@dataclass(frozen=True, slots=True)
class KittyImage:
    """A frame ready to send: its pixel size and its RGB, either raw (``pixels``, for a
    shared memory object) or zlib-compressed in base64 (``payload``, in the escape code)."""

    width: int
    height: int
    payload: str = ""
    pixels: bytes | None = None


def kitty_image(image: PILImage.Image, *, shared: bool = False) -> KittyImage:
    """``image`` as kitty wants it: raw RGB to go through shared memory (``shared``), else
    compressed (``f=24,o=z``). Blocking: run it in a thread."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if shared:
        return KittyImage(rgb.width, rgb.height, pixels=rgb.tobytes())
    return KittyImage(rgb.width, rgb.height, _compressed(rgb.tobytes()))


def _compressed(pixels: bytes) -> str:
    return base64.standard_b64encode(zlib.compress(pixels, 1)).decode("ascii")


def transmit_shared(image: KittyImage, name: str, image_id: int, cells: tuple[int, int]) -> str:
    """Send ``image``, whose pixels are in the shared memory object ``name``, as
    ``image_id`` and place it at the cursor over ``cells``."""
    size = len(image.pixels or b"")
    return (
        f"\x1b_Ga=T,f=24,t=s,s={image.width},v={image.height},S={size},i={image_id},p=1,"
        f"c={cells[0]},r={cells[1]},C=1,q=2;{shared_memory.kitty_payload(name)}\x1b\\"
    )


def transmit(image: KittyImage, image_id: int, cells: tuple[int, int]) -> str:
    """Send ``image`` (compressed, in the escape code) as ``image_id`` and place it at the
    cursor over ``cells``."""
    payload = image.payload
    chunks = [payload[i : i + _CHUNK] for i in range(0, len(payload), _CHUNK)] or [""]
    head = (
        f"a=T,f=24,o=z,s={image.width},v={image.height},i={image_id},p=1,"
        f"c={cells[0]},r={cells[1]},C=1,q=2"
    )
    parts = []
    for n, chunk in enumerate(chunks):
        more = 1 if n < len(chunks) - 1 else 0
        keys = f"{head},m={more}" if n == 0 else f"m={more},q=2"
        parts.append(f"\x1b_G{keys};{chunk}\x1b\\")
    return "".join(parts)


def place(image_id: int, cells: tuple[int, int]) -> str:
    """Place ``image_id`` (already sent) at the cursor again."""
    return f"\x1b_Ga=p,i={image_id},p=1,c={cells[0]},r={cells[1]},C=1,q=2\x1b\\"


def delete(image_id: int, *, free: bool) -> str:
    """Remove ``image_id``'s placements; ``free`` also forgets its pixels."""
    return f"\x1b_Ga=d,d={'I' if free else 'i'},i={image_id},q=2\x1b\\"


class KittyFrame(GraphicsFrame):
    """The image in kitty's graphics, swapped under alternating ids without a gap."""

    MODE: ClassVar[str] = "kitty"
    UNDER_TOASTS: ClassVar[bool] = True
    SHARED_MEMORY_KEPT: ClassVar[int] = 8
    """Shared memory objects sent and not known to be read, at most: the oldest is unlinked
    when a new one would pass this (a kitty that far behind is not reading: stopped, or its
    output held), so frames never pile up in ``/dev/shm``; the rest go with the frame."""

    TERMINAL_SCALES: ClassVar[float] = 2 / 3
    """kitty draws an image into its cells with the GPU's linear filter. Down to 2/3 of the
    source that is about as sharp as shrinking it here (a 1440x900 JPEG screenshot of text
    at 0.69 of its size: SSIM 0.963 against a Lanczos reference, shrunk here 0.979; at
    0.59: 0.936 against 0.98), and through shared memory the larger image costs little to
    send: at 240x70 cells, 52 % of a core against 68 % for 16 frames/s."""

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        first = next(_ids)
        self._ids = (first, first + 1)
        self._shown: int | None = None
        """The id on screen (sent and placed), if any."""
        self._next = 0
        self._pending = False
        self._sent_objects: deque[str] = deque(maxlen=self.SHARED_MEMORY_KEPT)

    @classmethod
    def pixel_needs(cls, cell: tuple[int, int]) -> PixelNeeds:
        scales = cls.TERMINAL_SCALES if _shared_memory_works() else 1.0
        return PixelNeeds(cell, exact=True, terminal_scales=scales)

    @classmethod
    def encode(
        cls, image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]
    ) -> KittyImage:
        return kitty_image(image, shared=_shared_memory_works())

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        if self._shown is not None:
            write_to_terminal(self.app, delete(self._shown, free=True))
            self._shown = None
        while self._sent_objects:
            shared_memory.unlink(self._sent_objects.popleft())

    def on_hide(self) -> None:
        self._remove_placement()

    def swap(self, resized: bool) -> None:
        self._pending = True

    def image_sequence(self, region: Region) -> str:
        if not self._pending and self._shown is not None:
            return place(self._shown, self.cells)
        new = self._ids[self._next]
        self._next ^= 1
        sequence = self._transmit(self.encoded, new)
        if self._shown is not None:
            sequence += delete(self._shown, free=True)
        self._shown, self._pending = new, False
        return sequence

    def _transmit(self, image: KittyImage, image_id: int) -> str:
        """The sequence that sends ``image`` as ``image_id``: through a new shared memory
        object when it came raw, in the escape code otherwise (or when no object can be
        made, from then on)."""
        global _shared_memory_failed
        if image.pixels is None:
            return transmit(image, image_id, self.cells)
        try:
            name = shared_memory.create(image.pixels)
        except OSError as exc:
            if not _shared_memory_failed:
                log.warning("kitty frames go in the escape code: no shared memory (%s)", exc)
            _shared_memory_failed = True
            compressed = KittyImage(image.width, image.height, _compressed(image.pixels))
            return transmit(compressed, image_id, self.cells)
        if len(self._sent_objects) == self._sent_objects.maxlen:
            shared_memory.unlink(self._sent_objects[0])  # read long ago, or never will be
        self._sent_objects.append(name)
        return transmit_shared(image, name, image_id, self.cells)

    def hidden_sequence(self) -> str:
        return delete(self._shown, free=False) if self._shown is not None else ""

    def _screen_changed(self, screen: object) -> None:
        if screen is not self.screen:
            self._remove_placement()

    def _remove_placement(self) -> None:
        if self._shown is not None and self.is_attached:
            write_to_terminal(self.app, delete(self._shown, free=False))


_shared_memory_failed = False
"""An object could not be made once: frames go in the escape code from then on."""


def _shared_memory_works() -> bool:
    """kitty said it reads shared memory (the probe), and making an object has not failed."""
    return terminal_answers().kitty_shared_memory and not _shared_memory_failed
