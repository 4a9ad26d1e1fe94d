"""Real keyboard and pointer input on the display, through xdotool.

Keys are X11 keysym names (``Return``, ``ctrl``, ``F5`` ...); a hotkey's keys are pressed
in order and released in reverse as one combination (``xdotool keydown ctrl l keyup l
ctrl``, what ``xdotool key ctrl+l`` does, up to the spec's 10 keys). xdotool only warns about
a keysym it does not know, so its stderr is read and such a key answers 400. Text is fed
through stdin (``type --file -``), so no length limit of the command line applies and
nothing in it is read as an option.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
from collections.abc import Mapping

from core.host.errors import HostUnavailableError, HostValidationError
from core.host.processes import CommandResult, run_command, which
from core.models import DesktopPointerPosition

__all__ = ["SCROLL_BUTTONS", "XInput"]

SCROLL_BUTTONS = {"up": 4, "down": 5, "left": 6, "right": 7}
"""X11 pointer buttons for the scroll wheel's directions."""

TYPE_DELAY_MS = 2
"""xdotool's delay between characters, in ms (about 2.6 ms a character in all: 50,000
characters take two minutes or so). 0 would halve that, with no margin for slow clients."""

_UNBIND_AFTER = 0.1
"""Seconds to keep characters bound after typing them, for clients to read the keymap."""


def _plain(ch: str) -> bool:
    """Whether a US keymap has ``ch`` (printable ASCII, newline, tab)."""
    return " " <= ch <= "~" or ch in "\n\t"


def _chunks(text: str, capacity: int) -> list[tuple[str, list[str]]]:
    """``text`` cut so that each piece needs at most ``capacity`` characters bound.

    Returns each piece with the distinct characters it needs bound (controls other than
    newline and tab are left to xdotool: they have no keysym of their own).
    """
    pieces: list[tuple[str, list[str]]] = []
    start = 0
    needed: list[str] = []
    for i, ch in enumerate(text):
        if _plain(ch) or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in needed:
            continue
        if len(needed) == capacity:
            pieces.append((text[start:i], needed))
            start, needed = i, []
        needed.append(ch)
    pieces.append((text[start:], needed))
    return pieces


class XInput:
    """xdotool on one display; each method waits for xdotool to finish.

    ``env`` is the helper-command environment (``DISPLAY`` set). Methods raise
    :class:`HostUnavailableError` when xdotool is missing or fails, and
    :class:`HostValidationError` for a key name xdotool does not know. ``typing_lock``
    (shared by the host) keeps two requests from typing, and rebinding keys, at once.
    """

    def __init__(self, env: Mapping[str, str], typing_lock: asyncio.Lock | None = None) -> None:
        self.env = env
        self._typing = typing_lock or asyncio.Lock()

    async def position(self) -> DesktopPointerPosition:
        result = await self._xdotool("getmouselocation", "--shell")
        values: dict[str, int] = {}
        for line in result.stdout.splitlines():
            key, _, value = line.partition("=")
            if key in ("X", "Y"):
                try:
                    values[key] = int(value)
                except ValueError:
                    break
        if "X" not in values or "Y" not in values:
            raise HostUnavailableError(
                f"xdotool getmouselocation said something unexpected: {result.stdout[:200]!r}"
            )
        return DesktopPointerPosition(x=values["X"], y=values["Y"])

    async def move(self, x: int, y: int) -> DesktopPointerPosition:
        # No ``mousemove --sync``: xdotool 3.2016 hangs when the pointer is already there.
        await self._xdotool("mousemove", str(x), str(y))
        return await self.position()

    async def click(self, x: int | None, y: int | None, button: int) -> DesktopPointerPosition:
        args: list[str] = []
        if x is not None and y is not None:
            args += ["mousemove", str(x), str(y)]
        await self._xdotool(*args, "click", str(button))
        return await self.position()

    async def drag(
        self, from_x: int, from_y: int, to_x: int, to_y: int, button: int
    ) -> DesktopPointerPosition:
        # Intermediate moves with short pauses, so toolkits see a drag, not a jump.
        mid_x, mid_y = (from_x + to_x) // 2, (from_y + to_y) // 2
        await self._xdotool(
            "mousemove", str(from_x), str(from_y),
            "mousedown", str(button),
            "sleep", "0.05",
            "mousemove", str(mid_x), str(mid_y),
            "sleep", "0.05",
            "mousemove", str(to_x), str(to_y),
            "sleep", "0.05",
            "mouseup", str(button),
        )  # fmt: skip
        return await self.position()

    async def scroll(self, direction: str, amount: int) -> DesktopPointerPosition:
        button = SCROLL_BUTTONS[direction]
        await self._xdotool("click", "--repeat", str(amount), "--delay", "10", str(button))
        return await self.position()

    async def type_text(self, text: str) -> None:
        """Type ``text``; characters the keymap lacks are bound to spare keycodes first.

        xdotool binds a missing character (``é``, ``€``, ``漢``) to a scratch keycode and
        unbinds it right after the key event, and a client that reads the keymap a moment
        late then sees nothing (measured: about one such character in five lost by xterm).
        So the host binds every such character of a chunk of text itself (``xmodmap``),
        types the chunk, waits for clients to catch up and only then unbinds. Without
        xmodmap, xdotool's own binding is used.
        """
        if not text:
            return
        async with self._typing:
            if all(_plain(ch) for ch in text) or which("xmodmap") is None:
                await self._type(text)
                return
            spare = await self._spare_keycodes()
            if not spare:
                await self._type(text)
                return
            for chunk, needed in _chunks(text, len(spare)):
                bound = dict(zip(needed, spare, strict=False))
                await self._xmodmap(
                    [
                        f"keycode {code} = U{ord(ch):04X} U{ord(ch):04X}"
                        for ch, code in bound.items()
                    ]
                )
                try:
                    await self._type(chunk)
                    await asyncio.sleep(_UNBIND_AFTER)
                finally:
                    await self._xmodmap([f"keycode {code} =" for code in bound.values()])

    async def _type(self, text: str) -> None:
        time_limit = 10.0 + len(text) * 0.006
        await self._xdotool(
            "type", "--delay", str(TYPE_DELAY_MS), "--file", "-",
            stdin=text.encode(), time_limit=time_limit,
        )  # fmt: skip

    async def _spare_keycodes(self) -> list[int]:
        """Keycodes with no keysym at all, but the last two (left to xdotool's scratch use)."""
        result = await run_command(["xmodmap", "-pke"], env=self.env, time_limit=10.0)
        if result.returncode != 0:
            return []
        empty: list[int] = []
        for line in result.stdout.splitlines():
            head, sep, tail = line.partition("=")
            parts = head.split()
            is_keycode = sep and len(parts) == 2 and parts[0] == "keycode"
            if is_keycode and parts[1].isdigit() and not tail.strip():
                empty.append(int(parts[1]))
        return empty[:-2]

    async def _xmodmap(self, expressions: list[str]) -> None:
        args: list[str] = []
        for expression in expressions:
            args += ["-e", expression]
        result = await run_command(["xmodmap", *args], env=self.env, time_limit=10.0)
        if result.returncode != 0:
            raise HostUnavailableError(f"xmodmap failed: {result.stderr.strip()[:200]}")

    async def press(self, key: str) -> None:
        _check_key(key, "key")
        result = await self._xdotool("key", "--", key)
        _check_known(result, "key")

    async def hotkey(self, keys: list[str]) -> None:
        for i, key in enumerate(keys):
            _check_key(key, f"keys.{i}")
            if "+" in key:
                raise HostValidationError.one(
                    f"keys.{i}", "a key name cannot contain '+' (give each key separately)"
                )
        # Pressed and released as one combination, like ``xdotool key a+b``, but as a
        # keydown/keyup chain: ``key`` fails on 10 keys (the spec's maximum) with an X
        # error (BadValue in XTestFakeInput), while the chain takes them.
        result = await self._xdotool("keydown", "--", *keys, "keyup", "--", *reversed(keys))
        _check_known(result, "keys")

    async def _xdotool(
        self, *args: str, stdin: bytes | None = None, time_limit: float = 10.0
    ) -> CommandResult:
        result = await run_command(
            ["xdotool", *args], env=self.env, stdin=stdin, time_limit=time_limit
        )
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()
            raise HostUnavailableError(
                f"xdotool {args[0]} failed (status {result.returncode})"
                + (f": {detail[-1]}" if detail else "")
            )
        return result


_XDO_ALIASES = frozenset({"alt", "ctrl", "control", "meta", "super", "shift"})
"""Names xdotool accepts besides keysyms (any case)."""


@functools.cache
def _keysym_lookup() -> ctypes._NamedFuncPointer | None:
    """libX11's ``XStringToKeysym`` (needs no display), or ``None`` without libX11."""
    path = ctypes.util.find_library("X11")
    if path is None:
        return None
    try:
        func = ctypes.CDLL(path).XStringToKeysym
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_char_p]
    func.restype = ctypes.c_ulong
    return func


def keysym_known(key: str) -> bool:
    """Whether xdotool will understand ``key``: an alias, a keysym name, or one character.

    Without libX11 every key is taken as known (xdotool's own warning still answers 400).
    """
    if key.lower() in _XDO_ALIASES or len(key) == 1:
        return True
    lookup = _keysym_lookup()
    if lookup is None:
        return True
    try:
        return bool(lookup(key.encode()) != 0)
    except (UnicodeEncodeError, ValueError):
        return False


def _check_key(key: str, field: str) -> None:
    if not key or any(c.isspace() or c == "\0" for c in key):
        raise HostValidationError.one(field, "an X11 keysym name has no spaces")
    if not keysym_known(key):
        raise HostValidationError.one(field, f"unknown X11 keysym name: {key}")


def _check_known(result: CommandResult, field: str) -> None:
    for line in result.stderr.splitlines():
        if "No such key name" in line:
            name = line.split("'")[1] if line.count("'") >= 2 else line.strip()
            raise HostValidationError.one(field, f"unknown X11 keysym name: {name}")
