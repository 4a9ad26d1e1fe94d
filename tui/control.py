"""Control mode's logic without a screen: which desktop point a mouse event on the preview
means, which desktop key a Textual key is, and sending both in order.

The desktop API has no "button down" or "key down": a click, a drag, a scroll, a key and a
hotkey are each one call that presses and releases. So leaving control mode can never leave
a button or a key held on the desktop; a mouse button pressed in the preview is only sent
when it is released (a click where it went down, a drag when it moved), and a press that
is never released (the pointer left the preview, control mode ended) sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from core.desktop import AsyncDesktopClient, SandboxRef

__all__ = [
    "Click",
    "ControlSender",
    "Drag",
    "Gestures",
    "Hotkey",
    "ImageBox",
    "Move",
    "Press",
    "Scroll",
    "Type",
    "action_for_key",
]

log = logging.getLogger("tui")

LEAVE_KEY = "ctrl+right_square_bracket"
"""Textual's name for ctrl+] (the key that leaves control mode; never sent)."""

DRAG_THRESHOLD = 4
"""Desktop pixels the pointer must move between press and release to make a drag."""


# ── what is sent ──


@dataclass(frozen=True, slots=True)
class Type:
    text: str


@dataclass(frozen=True, slots=True)
class Press:
    key: str


@dataclass(frozen=True, slots=True)
class Hotkey:
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Move:
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class Click:
    x: int
    y: int
    button: int


@dataclass(frozen=True, slots=True)
class Drag:
    from_x: int
    from_y: int
    to_x: int
    to_y: int
    button: int


@dataclass(frozen=True, slots=True)
class Scroll:
    x: int
    y: int
    direction: Literal["up", "down", "left", "right"]
    amount: int = 1


type Action = Type | Press | Hotkey | Move | Click | Drag | Scroll


# ── keys ──

_NAMED = {
    "enter": "Return",
    "escape": "Escape",
    "tab": "Tab",
    "backspace": "BackSpace",
    "delete": "Delete",
    "insert": "Insert",
    "home": "Home",
    "end": "End",
    "pageup": "Prior",
    "pagedown": "Next",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    **{f"f{n}": f"F{n}" for n in range(1, 25)},
}
"""Textual's names of keys that are not text → X11 keysym names (xdotool's)."""

_MODIFIERS = {"ctrl": "ctrl", "shift": "shift", "alt": "alt", "meta": "super", "super": "super"}

_PUNCTUATION = {
    "space": "space",
    "right_square_bracket": "bracketright",
    "left_square_bracket": "bracketleft",
    "backslash": "backslash",
    "slash": "slash",
    "minus": "minus",
    "plus": "plus",
    "equals_sign": "equal",
    "comma": "comma",
    "full_stop": "period",
    "semicolon": "semicolon",
    "apostrophe": "apostrophe",
    "grave_accent": "grave",
    "number_sign": "numbersign",
    "circumflex_accent": "asciicircum",
    "underscore": "underscore",
    "at": "at",
    "exclamation_mark": "exclam",
    "question_mark": "question",
    "colon": "colon",
    "quotation_mark": "quotedbl",
    "dollar_sign": "dollar",
    "percent_sign": "percent",
    "ampersand": "ampersand",
    "asterisk": "asterisk",
    "left_parenthesis": "parenleft",
    "right_parenthesis": "parenright",
    "less_than_sign": "less",
    "greater_than_sign": "greater",
    "left_curly_bracket": "braceleft",
    "right_curly_bracket": "braceright",
    "vertical_line": "bar",
    "tilde": "asciitilde",
}
"""Textual's names of punctuation keys → X11 keysym names, for combinations (ctrl+minus)."""


def _keysym(name: str) -> str | None:
    if name in _NAMED:
        return _NAMED[name]
    if name in _PUNCTUATION:
        return _PUNCTUATION[name]
    if len(name) == 1 and name.isprintable():
        return name
    return None


def action_for_key(key: str, character: str | None) -> Type | Press | Hotkey | None:
    """What the desktop gets for one Textual key event (``event.key``, ``event.character``):
    printable text is typed, a named key pressed, a key with modifiers pressed together;
    ``None`` for what has no desktop meaning (and for :data:`LEAVE_KEY`)."""
    if key == LEAVE_KEY:
        return None
    *modifiers, base = key.split("+") if key != "+" else ["+"]
    mods = [_MODIFIERS[m] for m in modifiers if m in _MODIFIERS]
    if len(mods) != len(modifiers):
        return None
    if not mods:
        if base in _NAMED:
            return Press(_NAMED[base])
        if character and character.isprintable():
            return Type(character)
        keysym = _keysym(base)
        return Press(keysym) if keysym else None
    if mods == ["shift"] and character and character.isprintable() and base not in _NAMED:
        return Type(character)  # shift+a arrives as "A" on most terminals; typed as such
    keysym = _keysym(base)
    if keysym is None:
        return None
    return Hotkey((*mods, keysym))


# ── the pointer ──


@dataclass(frozen=True, slots=True)
class ImageBox:
    """Where the desktop's picture is inside the preview, in cells (fractions allowed), and
    the desktop's size in pixels."""

    left: float
    top: float
    width: float
    height: float
    desktop_width: int
    desktop_height: int

    def desktop_point(self, x: float, y: float) -> tuple[int, int] | None:
        """The desktop pixel under the preview point ``x``, ``y`` (cells, from the preview's
        top left, fractions when the terminal reports pixels); ``None`` outside the picture."""
        if self.width <= 0 or self.height <= 0:
            return None
        fx = (x - self.left) / self.width
        fy = (y - self.top) / self.height
        if not (0 <= fx < 1 and 0 <= fy < 1):
            return None
        return (
            min(self.desktop_width - 1, int(fx * self.desktop_width)),
            min(self.desktop_height - 1, int(fy * self.desktop_height)),
        )

    def cell_of(self, x: int, y: int) -> tuple[float, float]:
        """Where desktop pixel ``x``, ``y`` is in the preview (cells): for the pointer mark."""
        return (
            self.left + x / self.desktop_width * self.width,
            self.top + y / self.desktop_height * self.height,
        )


class Gestures:
    """Mouse events on the preview → desktop actions. A press is remembered and becomes a
    click (released where it went down) or a drag (released elsewhere) on release."""

    def __init__(self) -> None:
        self._down: tuple[int, int, int] | None = None

    def press(self, point: tuple[int, int] | None, button: int) -> None:
        self._down = None if point is None else (point[0], point[1], button)

    def release(self, point: tuple[int, int] | None, button: int) -> Click | Drag | None:
        down, self._down = self._down, None
        if down is None or point is None or down[2] != button:
            return None
        x0, y0, _ = down
        x1, y1 = point
        if abs(x1 - x0) <= DRAG_THRESHOLD and abs(y1 - y0) <= DRAG_THRESHOLD:
            return Click(x0, y0, button)
        return Drag(x0, y0, x1, y1, button)

    def cancel(self) -> None:
        """Forget a press that will not be released here (nothing was sent for it)."""
        self._down = None

    @property
    def pressed(self) -> bool:
        return self._down is not None


# ── sending ──


class ControlSender:
    """Sends actions to one desktop, one at a time and in order, from one task.

    Consecutive typed text is joined into one call, and of consecutive moves only the
    last is sent (the pointer need not visit every cell it crossed), so a burst of input
    never queues up seconds of requests. ``on_error`` gets each failure's exception; the
    sender carries on with the next action.
    """

    def __init__(
        self,
        client: AsyncDesktopClient,
        target: SandboxRef,
        on_error: Callable[[BaseException], object],
        on_sent: Callable[[Action], object] | None = None,
    ) -> None:
        self._client = client
        self._target = target
        self._on_error = on_error
        self._on_sent = on_sent
        self._queue: asyncio.Queue[Action] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def send(self, action: Action) -> None:
        self._queue.put_nowait(action)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Drop what was not sent yet and stop (leaving control mode)."""
        while not self._queue.empty():
            self._queue.get_nowait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _next(self, first: Action) -> Action:
        """``first`` joined with what follows it in the queue, as far as they join."""
        action = first
        while not self._queue.empty():
            following = self._queue._queue[0]  # type: ignore[attr-defined]
            if isinstance(action, Type) and isinstance(following, Type):
                action = Type(action.text + following.text)
            elif isinstance(action, Move) and isinstance(following, Move):
                action = following
            else:
                break
            self._queue.get_nowait()
        return action

    async def _run(self) -> None:
        while not self._queue.empty():
            action = self._next(self._queue.get_nowait())
            try:
                await self._call(action)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._on_error(exc)
            else:
                if self._on_sent is not None:
                    self._on_sent(action)

    def _call(self, action: Action) -> Awaitable[object]:
        client, target = self._client, self._target
        match action:
            case Type(text):
                return client.type_text(target, text=text)
            case Press(key):
                return client.press_key(target, key=key)
            case Hotkey(keys):
                return client.hotkey(target, keys=list(keys))
            case Move(x, y):
                return client.move_pointer(target, x=x, y=y)
            case Click(x, y, button):
                return client.click(target, x=x, y=y, button=button)
            case Drag(x0, y0, x1, y1, button):
                return client.drag(target, from_x=x0, from_y=y0, to_x=x1, to_y=y1, button=button)
            case Scroll(x, y, direction, amount):
                return self._scroll_at(x, y, direction, amount)
        raise TypeError(f"not an action: {action!r}")

    async def _scroll_at(self, x: int, y: int, direction: str, amount: int) -> None:
        await self._client.move_pointer(self._target, x=x, y=y)
        await self._client.scroll(self._target, direction=direction, amount=amount)
