"""``status`` (and ``--watch``) and ``wait``."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from tui.commands import exits
from tui.commands.output import Output
from tui.commands.target import Target

if TYPE_CHECKING:
    from core.models import DesktopProcessStatusList

__all__ = ["status", "status_line", "wait"]

_STATUS_COLOURS = {"running": "green", "degraded": "yellow", "stopped": "red"}


def status_line(status: DesktopProcessStatusList) -> str:
    """``degraded 3/4 (xfce4 down)``: one line for ``--watch`` and ``wait``'s messages."""
    down = [item.name for item in status.items if not item.running]
    text = f"{status.status} {status.running}/{status.total}"
    return text + (f" ({', '.join(down)} down)" if down else "")


def _print_table(status: DesktopProcessStatusList, out: Output) -> None:
    out.line(
        f"status: {out.paint(status.status, _STATUS_COLOURS.get(status.status))} "
        f"({status.running} of {status.total} processes running)"
    )
    out.table(
        ("process", "state", "pid"),
        [
            (
                item.name,
                ("running", "green") if item.running else ("stopped", "red"),
                str(item.pid) if item.pid is not None else "-",
            )
            for item in status.items
        ],
    )


async def status(args: argparse.Namespace, target: Target, out: Output) -> int:
    # A plain request first: a refused token or an unreachable desktop ends here with its
    # exit status (the stream's feed would keep retrying them).
    current = await target.client.process_status(target.ref)
    if not args.watch:
        _show(current, out)
        return exits.OK
    return await _watch(target, out)


def _show(status: DesktopProcessStatusList, out: Output) -> None:
    if out.json_mode:
        out.json(status)
    else:
        _print_table(status, out)
    out.out.flush()


async def _watch(target: Target, out: Output) -> int:
    """The status from the stream's first event (so nothing that changes after it is
    printed can be missed), then a line per change, and per trouble of the stream, until
    interrupted."""
    from core.status_feed import FeedState, StatusFeed

    shown: dict[str, object] | None = None
    trouble: str | None = None
    async with StatusFeed(target.client, target.ref) as feed:
        async for update in feed:
            if update.state in (FeedState.RECONNECTING, FeedState.STALE):
                why = update.error_text or update.state.value
                if why != trouble:
                    trouble = why
                    out.error(f"{target.label}: {update.state.value}: {why}")
                continue
            if update.status is None:
                continue
            trouble = None
            now = update.status.model_dump()
            if shown is None:
                shown = now
                _show(update.status, out)
                continue
            if now == shown:
                continue
            shown = now
            if out.json_mode:
                out.json(update.status)
            else:
                stamp = time.strftime("%H:%M:%S")
                colour = _STATUS_COLOURS.get(update.status.status)
                out.line(f"{stamp}  {out.paint(status_line(update.status), colour)}")
            out.out.flush()
    return exits.OK


async def wait(args: argparse.Namespace, target: Target, out: Output) -> int:
    """Exit 0 once the desktop is ready; not ready in time (reachable or not) is a
    failure (1, the message says the last status and error); a refused token 3 at once."""
    from core.errors import Leap0TimeoutError

    started = time.monotonic()
    try:
        await target.client.wait_until_ready(target.ref, timeout=args.timeout)
    except Leap0TimeoutError as exc:
        out.error(str(exc))
        return exits.FAILED
    if out.json_mode:
        out.json({"ready": True, "seconds": round(time.monotonic() - started, 3)})
    return exits.OK
