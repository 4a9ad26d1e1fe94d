"""Control mode's logic (tui/control.py): keys, points, gestures, and sending in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tui.control import (
    LEAVE_KEY,
    Click,
    ControlSender,
    Drag,
    Gestures,
    Hotkey,
    ImageBox,
    Move,
    Press,
    Scroll,
    Type,
    action_for_key,
)


@pytest.mark.parametrize(
    ("key", "character", "expected"),
    [
        ("a", "a", Type("a")),
        ("A", "A", Type("A")),
        ("shift+a", "A", Type("A")),
        ("space", " ", Type(" ")),
        ("exclamation_mark", "!", Type("!")),
        ("é", "é", Type("é")),
        ("enter", "\r", Press("Return")),
        ("tab", "\t", Press("Tab")),
        ("escape", "\x1b", Press("Escape")),
        ("backspace", "\x7f", Press("BackSpace")),
        ("pageup", None, Press("Prior")),
        ("up", None, Press("Up")),
        ("f5", None, Press("F5")),
        ("ctrl+c", None, Hotkey(("ctrl", "c"))),
        ("ctrl+shift+t", None, Hotkey(("ctrl", "shift", "t"))),
        ("shift+tab", None, Hotkey(("shift", "Tab"))),
        ("ctrl+minus", None, Hotkey(("ctrl", "minus"))),
        ("alt+f4", None, Hotkey(("alt", "F4"))),
        ("ctrl+space", None, Hotkey(("ctrl", "space"))),
        (LEAVE_KEY, None, None),
        ("hyper+x", None, None),
    ],
)
def test_textual_keys_map_to_the_desktop_s(key: str, character: str | None, expected: Any) -> None:
    assert action_for_key(key, character) == expected


def test_a_preview_point_maps_to_the_desktop_pixel_under_it() -> None:
    # A 1440x900 desktop drawn in 80x25 cells, from column 10, row 2 of the preview.
    box = ImageBox(left=10, top=2, width=80, height=25, desktop_width=1440, desktop_height=900)
    assert box.desktop_point(10, 2) == (0, 0)
    assert box.desktop_point(50, 14.5) == (720, 450)
    assert box.desktop_point(89.99, 26.99) == (1439, 899)
    assert box.desktop_point(9.9, 5) is None  # left of the picture
    assert box.desktop_point(90, 5) is None  # right of it
    # Pixel-precise reports (fractions of a cell) land between cells.
    assert box.desktop_point(10.5, 2) == (9, 0)
    assert box.cell_of(720, 450) == (50, 14.5)


def test_a_press_and_release_is_a_click_or_a_drag() -> None:
    gestures = Gestures()
    gestures.press((100, 100), 1)
    assert gestures.pressed
    assert gestures.release((102, 99), 1) == Click(100, 100, 1)
    gestures.press((100, 100), 3)
    assert gestures.release((300, 200), 3) == Drag(100, 100, 300, 200, 3)
    gestures.press((100, 100), 1)
    assert gestures.release((100, 100), 2) is None  # another button
    gestures.press((100, 100), 1)
    gestures.cancel()
    assert gestures.release((100, 100), 1) is None  # nothing was held, nothing is sent
    gestures.press(None, 1)  # outside the picture
    assert gestures.release((5, 5), 1) is None


class _Recorder:
    """Stands in for the client: records calls, each taking a little time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        async def call(target: str, **kwargs: Any) -> bool:
            self.calls.append((name, kwargs))
            await asyncio.sleep(0.01)
            return True

        return call


async def test_the_sender_keeps_order_joins_text_and_keeps_the_last_move() -> None:
    client = _Recorder()
    errors: list[BaseException] = []
    sender = ControlSender(client, "http://desktop", errors.append)  # type: ignore[arg-type]
    sender.send(Click(1, 2, 1))
    for ch in "hello":
        sender.send(Type(ch))
    sender.send(Press("Return"))
    for x in range(10):
        sender.send(Move(x, x))
    sender.send(Scroll(5, 6, "down", 2))
    await asyncio.sleep(0.3)
    names = [name for name, _ in client.calls]
    assert names == ["click", "type_text", "press_key", "move_pointer", "move_pointer", "scroll"]
    assert client.calls[1][1] == {"text": "hello"}
    assert client.calls[3][1] == {"x": 9, "y": 9}
    assert client.calls[4][1] == {"x": 5, "y": 6}
    assert client.calls[5][1] == {"direction": "down", "amount": 2}
    assert errors == []
    await sender.close()


async def test_closing_the_sender_drops_what_was_not_sent() -> None:
    client = _Recorder()
    sender = ControlSender(client, "http://desktop", lambda exc: None)  # type: ignore[arg-type]
    for n in range(50):
        sender.send(Click(n, n, 1))
    await sender.close()
    sent = len(client.calls)
    await asyncio.sleep(0.1)
    assert len(client.calls) == sent < 50
