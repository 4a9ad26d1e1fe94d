"""textual-image's internals that tui/graphics.py relies on: a new version that changes
one of them fails here, by name, instead of somewhere in the preview."""

from __future__ import annotations

from importlib.metadata import version

from PIL import Image as PILImage
from textual_image import _terminal
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.renderable.unicode import Image as UnicodeRenderable
from textual_image.widget import HalfcellImage, UnicodeImage

from tui import graphics


def test_the_pinned_version_is_installed() -> None:
    assert version("textual-image") == graphics.TEXTUAL_IMAGE_VERSION


def test_the_probe_caches_its_answer_where_settle_probe_writes_it() -> None:
    before = getattr(_terminal.probe_terminal, "_result", None)
    try:
        graphics.settle_probe(cell=(7, 15), sixel=True, kitty=False)
        answer = _terminal.probe_terminal()
        assert (answer.sixel, answer.tgp) == (True, False)
        assert graphics.cell_size() == (7, 15)
    finally:
        if before is None:
            del _terminal.probe_terminal._result  # type: ignore[attr-defined]
        else:
            _terminal.probe_terminal._result = before  # type: ignore[attr-defined]


def test_widget_classes_name_their_renderable() -> None:
    assert graphics.renderable_of(HalfcellImage) is HalfcellRenderable
    assert graphics.renderable_of(UnicodeImage) is UnicodeRenderable


def test_a_widget_keeps_its_image_where_set_image_quietly_puts_it() -> None:
    widget = HalfcellImage()
    image = PILImage.new("RGB", (4, 4))
    graphics.set_image_quietly(widget, image)
    assert widget.image is image
