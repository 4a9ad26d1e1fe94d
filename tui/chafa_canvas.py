"""Every use of Chafa (libchafa, through chafa.py), in one place.

Chafa turns pixels into terminal output in C: Unicode mosaics in colour (blocks,
quadrants, half and eighth blocks, box lines) for terminals without graphics, and Sixel or
kitty graphics sequences, an order of magnitude faster than encoding them in Python
(Sixel at 1200x720: about 50 ms against textual-image's 690 ms here).

chafa.py 1.2.0 (pinned in ``pyproject.toml``) bundles libchafa (it needs the system's
libglib-2.0). It frees nothing: a canvas, its config and symbol map, and every string
``chafa_canvas_print`` returns stay allocated. :class:`ChafaCanvas` keeps one canvas per
size, frees it when the size changes or the canvas goes, and frees each printed string
after copying it out. No Textual here: widgets call this, in a thread where it blocks.

Chafa's count of worker threads is process-wide, and what suits one canvas does not suit
another: a whole frame of symbols is drawn a third sooner on two threads, but small images
drawn many times a frame cost more on two: Sixel drawn a row of cells at a time (36 images
a frame) took three times the CPU on two threads as on one (1440x900 into 80x28 cells of
8x17: 27 ms a frame against 9.6); it is drawn in bands of about 100 px now, one thread
each (:mod:`tui.widgets.sixel_frame`). Each canvas says its
own count and sets it before it draws; draws take one lock, so one image is drawn at a
time in the process (the preview and the fleet's thumbnails are never drawn together).
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
from typing import Final, Literal

from PIL import Image as PILImage

__all__ = ["CHAFA_VERSION", "ChafaCanvas", "available"]

CHAFA_VERSION: Final = "1.2.0"
"""The chafa.py version whose bindings this module uses."""

ChafaMode = Literal["symbols", "sixel", "kitty"]
PixelKind = Literal["rgb", "rgba", "opaque-rgba"]
"""How :meth:`ChafaCanvas.draw_pixels`' bytes are laid out (see there)."""

log = logging.getLogger(__name__)

SYMBOL_TAGS: int | None = None
"""Chafa's symbol tags the ``symbols`` mode draws with (set on first use)."""

_lock = threading.Lock()
_draw_lock = threading.Lock()
"""Held by every draw (see the module's docstring)."""
_threads_set = -1
"""The worker-thread count last given to Chafa (-1: its default, one per core)."""
_lib: ctypes.CDLL | None = None
_glib: ctypes.CDLL | None = None
_failed: str | None = None


def _load() -> ctypes.CDLL:
    """libchafa and libglib, with the prototypes used here; raises ``ImportError``."""
    global _lib, _glib, _failed
    with _lock:
        if _lib is not None:
            return _lib
        if _failed is not None:
            raise ImportError(_failed)
        try:
            from chafa import libraries

            lib: ctypes.CDLL = libraries._Chafa
            glib = ctypes.CDLL(libraries._lib_glib)
        except (ImportError, OSError) as exc:
            _failed = f"Chafa is not usable here ({exc})"
            raise ImportError(_failed) from exc
        lib.chafa_canvas_draw_all_pixels.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
        ]
        lib.chafa_canvas_draw_all_pixels.restype = None
        lib.chafa_canvas_print.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.chafa_canvas_print.restype = ctypes.c_void_p
        lib.chafa_canvas_unref.argtypes = [ctypes.c_void_p]
        lib.chafa_canvas_unref.restype = None
        lib.chafa_symbol_map_remove_by_tags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        lib.chafa_symbol_map_remove_by_tags.restype = None
        lib.chafa_set_n_threads.argtypes = [ctypes.c_int]
        lib.chafa_set_n_threads.restype = None
        glib.g_string_free.argtypes = [ctypes.c_void_p, ctypes.c_int]
        glib.g_string_free.restype = ctypes.c_void_p
        _lib, _glib = lib, glib
        return lib


_SIXEL_DEFINITIONS = re.compile(rb"(?:#\d+;2;\d+;\d+;\d+)+")
_SIXEL_DEFINITION = re.compile(rb"#(\d+);2;\d+;\d+;\d+")
_SIXEL_SELECT = re.compile(rb"#(\d+)(?![\d;])")
"""A Sixel colour's definition (``#12;2;r;g;b``, in %) and its selection (``#12`` then data)."""


def available() -> bool:
    """Chafa can be loaded here (the ``symbols`` mode falls back to half-cells if not)."""
    try:
        _load()
    except ImportError:
        return False
    return True


def _symbol_tags() -> int:
    from chafa.enums import SymbolTags as T

    # Only what every terminal we tried draws (screenshots of xterm 379, mlterm 3.9 and
    # kitty 0.26 with Debian 12's fonts): blocks (half, quarter, eighth), quadrants and box
    # lines. Not braille: mlterm shows boxes for it (U+2800, Chafa's favourite blank, too),
    # and it measured no sharper (benchmarks/preview_symbols.py, SSIM 0.757 without, 0.756
    # with, at 120x36). Not sextants or wedges (U+1FB00: kitty draws them, xterm leaves
    # them blank, mlterm shows boxes), nor octants (U+1CD00: none of the three; this
    # libchafa predates them anyway).
    return int(
        T.CHAFA_SYMBOL_TAG_BLOCK
        | T.CHAFA_SYMBOL_TAG_SPACE
        | T.CHAFA_SYMBOL_TAG_SOLID
        | T.CHAFA_SYMBOL_TAG_QUAD
        | T.CHAFA_SYMBOL_TAG_HALF
        | T.CHAFA_SYMBOL_TAG_BORDER
    )


class _GString(ctypes.Structure):
    _fields_ = [
        ("str", ctypes.c_void_p),
        ("len", ctypes.c_size_t),
        ("allocated_len", ctypes.c_size_t),
    ]


class ChafaCanvas:
    """One size of output (``cols`` x ``rows`` cells of ``cell`` pixels) in one mode.

    :meth:`draw` gives the bytes for an image: symbols as SGR-coloured text (24-bit colour,
    every cell with its own colours, lines separated by ``\\n``), Sixel or kitty as the
    terminal's graphics sequence. ``threads``: Chafa's worker threads for its draws
    (``None``: Chafa's default, one per core; 1 for small images drawn many times a frame).
    """

    def __init__(
        self,
        mode: ChafaMode,
        cols: int,
        rows: int,
        cell: tuple[int, int] = (10, 20),
        tags: int | None = None,
        fixed_palette: bool = False,
        threads: int | None = None,
    ) -> None:
        lib = _load()
        from chafa import Canvas, CanvasConfig, SymbolMap, TermDb
        from chafa.enums import (
            CanvasMode,
            ColorExtractor,
            DitherMode,
            Optimizations,
            PixelMode,
            SymbolTags,
        )

        global SYMBOL_TAGS
        if SYMBOL_TAGS is None:
            SYMBOL_TAGS = _symbol_tags()

        self.mode, self.cols, self.rows, self.cell = mode, cols, rows, cell
        self._threads = -1 if threads is None else threads
        config = CanvasConfig()
        config.width, config.height = cols, rows
        config.cell_width, config.cell_height = cell
        # Sixel: a palette made for each image (best colours), or the fixed 256 colours
        # (several times faster to encode: no palette to compute).
        config.canvas_mode = (
            CanvasMode.CHAFA_CANVAS_MODE_INDEXED_256
            if fixed_palette
            else CanvasMode.CHAFA_CANVAS_MODE_TRUECOLOR
        )
        config.pixel_mode = {
            "symbols": PixelMode.CHAFA_PIXEL_MODE_SYMBOLS,
            "sixel": PixelMode.CHAFA_PIXEL_MODE_SIXELS,
            "kitty": PixelMode.CHAFA_PIXEL_MODE_KITTY,
        }[mode]
        config.dither_mode = DitherMode.CHAFA_DITHER_MODE_NONE
        # Symbols: colours written only where they change (half the bytes, a fifth of the
        # escape sequences to parse back into cells: tui.widgets.symbols); every line
        # still starts from a reset. No repeat counts (REP): each cell is its own symbol.
        config.optimizations = (
            (Optimizations.CHAFA_OPTIMIZATION_REUSE_ATTRIBUTES,)
            if mode == "symbols"
            else (Optimizations.CHAFA_OPTIMIZATION_NONE,)
        )
        if mode == "symbols":
            # The median of each side of a symbol rather than the average: the average
            # mixes the pixels an edge splits into greys that are neither (text, window
            # borders); the median keeps both colours. Measured by
            # benchmarks/preview_symbols.py: SSIM +0.013 at 120x36, +0.018 at 240x70.
            config.color_extractor = ColorExtractor.CHAFA_COLOR_EXTRACTOR_MEDIAN
            # Fewer symbols tried a cell than the default (0.5): the median's extra cost
            # paid back for an SSIM 0.003 lower (0.756 against 0.759 at 120x36).
            config.work_factor = 0.2
            symbols = SymbolMap()
            symbols.add_by_tags(SYMBOL_TAGS if tags is None else tags)
            # chafa.py's remove_by_tags refuses a set of tags: call libchafa.
            lib.chafa_symbol_map_remove_by_tags(
                symbols._symbol_map,
                SymbolTags.CHAFA_SYMBOL_TAG_WIDE | SymbolTags.CHAFA_SYMBOL_TAG_BAD,
            )
            config.set_symbol_map(symbols)
        self._canvas = Canvas(config)
        db = TermDb()
        self._term = db.get_fallback_info()
        self._lib = lib
        self._palette: tuple[bytes, dict[bytes, bytes]] | None = None
        """The last Sixel image's colour definitions: as printed, and each by number."""

    def draw(self, image: PILImage.Image) -> bytes:
        """``image`` (any size: Chafa scales it to the canvas) as terminal output.
        Transparent pixels of an RGBA image stay unpainted (Sixel, kitty)."""
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGB")
        kind: PixelKind = "rgba" if image.mode == "RGBA" else "rgb"
        return self.draw_pixels(image.tobytes(), image.size, kind)

    def draw_pixels(
        self,
        pixels: bytes,
        size: tuple[int, int],
        kind: PixelKind = "rgb",
        start: int = 0,
        stride: int | None = None,
    ) -> bytes:
        """As :meth:`draw`, from packed pixels of ``kind``: the ``size`` pixels whose first
        row starts at byte ``start`` of ``pixels``, a row every ``stride`` bytes (packed
        rows by default). A caller with a larger frame draws a part of it in place: Chafa
        reads the bytes where they are, no copy (a Sixel frame of 1392x871 is 4.8 MB).

        ``kind``: ``rgb``; ``rgba`` (straight alpha); ``opaque-rgba``, RGBA whose pixels
        are all opaque or all zero, as Chafa keeps pixels itself (premultiplied), so it
        takes them as they are: a Sixel frame of 1440x900 drawn 1.5-1.9 ms sooner than
        from RGB, 2.5 sooner than from straight RGBA.
        """
        width, height = size
        per_row = width * (3 if kind == "rgb" else 4)
        stride = per_row if stride is None else stride
        if width <= 0 or height <= 0 or stride < per_row:
            raise ValueError(f"no pixels to draw ({width}x{height}, {stride} bytes a row)")
        if start < 0 or start + (height - 1) * stride + per_row > len(pixels):
            raise ValueError(f"{width}x{height} pixels from byte {start} run past the data")
        global _threads_set
        with _draw_lock:
            if _threads_set != self._threads:
                self._lib.chafa_set_n_threads(self._threads)
                _threads_set = self._threads
            return self._draw(pixels, start, size, kind, stride)

    def _draw(
        self, pixels: bytes, start: int, size: tuple[int, int], kind: PixelKind, stride: int
    ) -> bytes:
        from chafa.enums import PixelType

        pixel_type = {
            "rgb": PixelType.CHAFA_PIXEL_RGB8,
            "rgba": PixelType.CHAFA_PIXEL_RGBA8_UNASSOCIATED,
            "opaque-rgba": PixelType.CHAFA_PIXEL_RGBA8_PREMULTIPLIED,
        }[kind]
        # ``pixels`` stays referenced for the call: its buffer is read in place.
        address = ctypes.cast(ctypes.c_char_p(pixels), ctypes.c_void_p).value
        assert address is not None and _glib is not None
        canvas = self._canvas._canvas
        self._lib.chafa_canvas_draw_all_pixels(
            canvas, int(pixel_type), address + start, size[0], size[1], stride
        )
        pointer = self._lib.chafa_canvas_print(canvas, self._term._term_info)
        try:
            gstring = _GString.from_address(pointer)
            printed = ctypes.string_at(gstring.str, gstring.len)
        finally:
            _glib.g_string_free(pointer, 1)
        return self._used_colours_only(printed) if self.mode == "sixel" else printed

    def _used_colours_only(self, sixel: bytes) -> bytes:
        """``sixel`` with only the colours it selects defined.

        Chafa defines every colour of its palette in each image: with the fixed palette,
        256 definitions (3.7 KB) in front of a row of 80 cells that selects 20 to 40 of
        them, a third of what the terminal is sent and parses. The definitions it prints
        are the same from one image to the next, so they are taken apart once.
        """
        start = sixel.find(b"#")
        if start < 0:
            return sixel
        known = self._palette
        if known is None or not sixel.startswith(known[0], start):
            block = _SIXEL_DEFINITIONS.match(sixel, start)
            if block is None:
                return sixel
            numbered = {m.group(1): m.group(0) for m in _SIXEL_DEFINITION.finditer(block[0])}
            known = self._palette = (block[0], numbered)
        block_text, numbered = known
        body = sixel[start + len(block_text) :]
        used = set(_SIXEL_SELECT.findall(body))
        kept = b"".join(text for number, text in numbered.items() if number in used)
        return sixel[:start] + kept + body

    def close(self) -> None:
        """Free the canvas (also done when the object goes)."""
        canvas = getattr(self, "_canvas", None)
        if canvas is not None and canvas._canvas:
            self._lib.chafa_canvas_unref(canvas._canvas)
            canvas._canvas = None

    def __del__(self) -> None:
        self.close()
