"""Real X clients for the host's tests: an xterm the test opens, and xdotool/xwininfo probes.

These run on the host's display directly (not through the API), so a test can check what
the API did with a second, independent witness.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass


async def run(argv: list[str], env: Mapping[str, str], within: float = 10.0) -> str:
    """Run a command and return its stdout; ``AssertionError`` when it fails."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), within)
    assert proc.returncode == 0, f"{argv} failed ({proc.returncode}): {err.decode()}"
    return out.decode()


async def poll[T](
    probe: Callable[[], Awaitable[T | None]], within: float = 10.0, interval: float = 0.1
) -> T | None:
    """Call ``probe`` until it returns something other than ``None`` (or time runs out)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await probe()
        if result is not None or loop.time() > deadline:
            return result
        await asyncio.sleep(interval)


async def pointer(env: Mapping[str, str]) -> tuple[int, int]:
    """Where the pointer is, according to xdotool."""
    out = await run(["xdotool", "getmouselocation", "--shell"], env)
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return int(values["X"]), int(values["Y"])


@dataclass(frozen=True, slots=True)
class Geometry:
    """A window's client area in absolute screen pixels."""

    x: int
    y: int
    width: int
    height: int


async def geometry(window: int, env: Mapping[str, str]) -> Geometry:
    out = await run(["xwininfo", "-id", str(window)], env)

    def value(label: str) -> int:
        match = re.search(rf"{label}:\s+(-?\d+)", out)
        assert match, f"no {label} in xwininfo output: {out}"
        return int(match.group(1))

    return Geometry(
        value("Absolute upper-left X"),
        value("Absolute upper-left Y"),
        value("Width"),
        value("Height"),
    )


class XTerm:
    """An xterm on the host's display, found by a window class of its own."""

    def __init__(self, proc: asyncio.subprocess.Process, window: int, klass: str) -> None:
        self.proc = proc
        self.window = window
        self.klass = klass

    @classmethod
    async def open(cls, env: Mapping[str, str], *args: str, within: float = 20.0) -> XTerm:
        """Start ``xterm -class <unique> ARGS`` and wait until its window is mapped."""
        klass = "LeapTest" + secrets.token_hex(4)
        proc = await asyncio.create_subprocess_exec(
            "xterm", "-class", klass, *args, env=dict(env),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            search = await asyncio.create_subprocess_exec(
                "xdotool", "search", "--onlyvisible", "--class", klass, env=dict(env),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            out, _ = await search.communicate()
            ids = [int(line) for line in out.decode().split() if line.isdigit()]
            if ids:
                return cls(proc, ids[-1], klass)
            if proc.returncode is not None or loop.time() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                raise AssertionError(f"xterm window did not appear within {within:g} s")
            await asyncio.sleep(0.1)

    async def geometry(self, env: Mapping[str, str]) -> Geometry:
        return await geometry(self.window, env)

    async def close(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def __aenter__(self) -> XTerm:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
