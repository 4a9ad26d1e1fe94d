"""poll: the pace, the back-off while a step fails, and a wait cut short."""

from __future__ import annotations

import asyncio

import pytest

from tui import polling


async def test_the_wait_doubles_while_failing_and_the_pace_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes: list[float | Exception | None] = [OSError("down"), OSError("down"), None, 7.0]
    waits: list[float] = []
    errors: list[str | None] = []

    async def step(_: float) -> float | None:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def wait(seconds: float, wake: asyncio.Event | None = None) -> None:
        waits.append(seconds)
        if not outcomes:
            raise asyncio.CancelledError

    monkeypatch.setattr(polling, "wait", wait)
    with pytest.raises(asyncio.CancelledError):
        await polling.poll(
            step,
            interval=1.0,
            max_backoff=3.0,
            on_error=lambda exc: errors.append(None if exc is None else str(exc)),
        )
    assert waits == [2.0, 3.0, 1.0, 7.0]  # doubled, capped, the pace, what the step asked
    assert errors == ["down", "down", None, None]


async def test_a_wake_cuts_the_wait_short() -> None:
    wake = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, wake.set)
    async with asyncio.timeout(2):
        await polling.wait(30, wake)
