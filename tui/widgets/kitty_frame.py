"""KittyFrame: the preview with kitty's graphics protocol, placed directly (every kitty).

Direct placement works in every kitty version; Unicode placeholders (what textual-image
uses) need kitty 0.28, and older ones (Debian 12's 0.26) show boxes. Each frame is
transmitted under the other of two image ids and placed where the last one was, and only
then is the last one deleted: the terminal never shows the pane without an image. The
pixels go zlib-compressed (``o=z``), made in the decoding thread. ``q=2`` keeps kitty from
answering, which Textual would read as keys. The image lies over the text layer (kitty
0.26 tints the whole window red with an image under text, ``z=-1``), so while another
screen is on top, or a toast covers part of the picture, the placement is removed: their
text would not hide it.
"""

from __future__ import annotations

import base64
import itertools
import random
import zlib
from dataclasses import dataclass
from typing import ClassVar

from PIL import Image as PILImage
from textual.geometry import Region

from tui.graphics import write_to_terminal
from tui.widgets.graphics_frame import GraphicsFrame

__all__ = ["KittyFrame", "KittyImage", "kitty_image"]

_CHUNK = 4096
_ids = itertools.count(random.randint(1 << 20, 1 << 30), 2)


@dataclass(frozen=True, slots=True)
class KittyImage:
    """A frame ready to send: its pixel size and its zlib-compressed RGB, in base64."""

    width: int
    height: int
    payload: str


def kitty_image(image: PILImage.Image) -> KittyImage:
    """``image`` as kitty wants it (``f=24,o=z``). Blocking: run it in a thread."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    data = zlib.compress(rgb.tobytes(), 1)
    return KittyImage(rgb.width, rgb.height, base64.standard_b64encode(data).decode("ascii"))


def transmit(image: KittyImage, image_id: int, cells: tuple[int, int]) -> str:
    """Send ``image`` as ``image_id`` and place it at the cursor over ``cells``."""
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

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        first = next(_ids)
        self._ids = (first, first + 1)
        self._shown: int | None = None
        """The id on screen (sent and placed), if any."""
        self._next = 0
        self._pending = False

    @classmethod
    def encode(
        cls, image: PILImage.Image, cells: tuple[int, int], cell: tuple[int, int]
    ) -> KittyImage:
        return kitty_image(image)

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        if self._shown is not None:
            write_to_terminal(self.app, delete(self._shown, free=True))
            self._shown = None

    def on_hide(self) -> None:
        self._remove_placement()

    def swap(self, resized: bool) -> None:
        self._pending = True

    def image_sequence(self, region: Region) -> str:
        if not self._pending and self._shown is not None:
            return place(self._shown, self.cells)
        new = self._ids[self._next]
        self._next ^= 1
        sequence = transmit(self.encoded, new, self.cells)
        if self._shown is not None:
            sequence += delete(self._shown, free=True)
        self._shown, self._pending = new, False
        return sequence

    def hidden_sequence(self) -> str:
        return delete(self._shown, free=False) if self._shown is not None else ""

    def _screen_changed(self, screen: object) -> None:
        if screen is not self.screen:
            self._remove_placement()

    def _remove_placement(self) -> None:
        if self._shown is not None and self.is_attached:
            write_to_terminal(self.app, delete(self._shown, free=False))
