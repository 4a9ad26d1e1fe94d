"""``restart PROCESS`` and ``logs PROCESS``."""

from __future__ import annotations

import argparse
import asyncio

from tui.commands import exits
from tui.commands.output import Output, agreed
from tui.commands.target import Target

__all__ = ["logs", "restart"]

FOLLOW_INTERVAL = 1.0
"""Seconds between fetches of a followed log (the API sends the log's end each time)."""


def _known(process: str, out: Output) -> bool:
    from core.models import PROCESS_NAMES

    if process in PROCESS_NAMES:
        return True
    out.error(f"no process named {process!r} (the desktop has {', '.join(PROCESS_NAMES)})")
    return False


async def restart(args: argparse.Namespace, target: Target, out: Output) -> int:
    if not _known(args.process, out):
        return exits.NOT_FOUND
    question = f"Restart {args.process} on {target.label}?"
    refused = await agreed(question, yes=args.yes, out=out, verb="restarting")
    if refused is not None:
        return refused
    result = await target.client.restart_process(target.ref, args.process)
    if out.json_mode:
        out.json(result)
    else:
        state = result.status
        running = state is not None and state.running
        where = f" (pid {state.pid})" if state is not None and state.pid else ""
        text = result.message or f"{args.process} restarted"
        out.line(f"{text}{where}" if running else f"{text}; it is not running now")
    return exits.OK


async def logs(args: argparse.Namespace, target: Target, out: Output) -> int:
    """Print the log's end; with ``-f``, keep fetching and print what is new."""
    from core.errors import Leap0ConnectionError, Leap0ServerError, Leap0TimeoutError
    from core.log_follow import LogTail

    if not _known(args.process, out):
        return exits.NOT_FOUND
    tail = LogTail()
    failing: str | None = None
    while True:
        try:
            text = await _fetch(args, target)
        except (Leap0ConnectionError, Leap0TimeoutError, Leap0ServerError) as exc:
            if not args.follow:
                raise
            # Following: a desktop that restarts or a network hiccup is waited out.
            if str(exc) != failing:
                failing = str(exc)
                out.error(f"{failing}; trying again")
            await asyncio.sleep(FOLLOW_INTERVAL * 3)
            continue
        if failing is not None:
            failing = None
            out.note(f"-- {target.label} answers again --")
        reset, new = tail.update(text)
        if reset:
            out.note(f"-- the {args.process} log started over --")
        if new:
            out.out.write(new)
            out.out.flush()
        if not args.follow:
            if text and not text.endswith("\n"):
                out.out.write("\n")
            return exits.OK
        await asyncio.sleep(FOLLOW_INTERVAL)


async def _fetch(args: argparse.Namespace, target: Target) -> str:
    if args.stderr:
        return (await target.client.process_errors(target.ref, args.process)).errors
    return (await target.client.process_logs(target.ref, args.process)).logs
