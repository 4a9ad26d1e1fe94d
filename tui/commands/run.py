"""Running one command: parse, load the settings, open the client, map failures to an
exit status and one line on stderr."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from tui.arguments import CommandLineError
from tui.commands import command_in, exits
from tui.commands.output import Output
from tui.commands.parser import build_parser

if TYPE_CHECKING:
    from core.config import Settings

__all__ = ["run", "started"]

Command = Callable[..., Awaitable[int]]

_TERMINATED = 128 + signal.SIGTERM
_BROKEN_PIPE = 128 + signal.SIGPIPE


def _command(args: argparse.Namespace) -> tuple[Command, bool]:
    """The coroutine function for ``args`` and whether it needs a desktop."""
    from tui.commands import control, media, processes, sandboxes, status

    if args.command == "recordings":
        actions: dict[str, Command] = {
            "list": media.recordings,
            "download": media.download,
            "rm": media.remove,
        }
        return actions[args.recordings_action or "list"], True
    commands: dict[str, tuple[Command, bool]] = {
        "sandboxes": (sandboxes.sandboxes, False),
        "status": (status.status, True),
        "wait": (status.wait, True),
        "restart": (processes.restart, True),
        "logs": (processes.logs, True),
        "screenshot": (media.screenshot, True),
        "record": (media.record, True),
        "input": (control.input_command, True),
        "display": (control.display, True),
        "open": (control.open_viewer, True),
    }
    return commands[args.command]


def started() -> None:
    """The command's modules are imported: freeze what start-up made and collect again.

    Until now the cyclic garbage collector was off (:func:`tui.commands.main`); frozen, the
    modules, classes and functions of start-up are never scanned again, neither by later
    collections nor by the last one at exit (measured: 7 % of ``status --json``'s
    instructions, start to exit). Long-running commands (``--watch``, ``-f``, downloads)
    collect as any program does.
    """
    gc.freeze()
    gc.enable()


def run(argv: Sequence[str]) -> int:
    """``leap0-tui COMMAND ...``; the exit status."""
    try:
        return _run_command(argv)
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _BROKEN_PIPE


def _parser_for(argv: Sequence[str]) -> str | None:
    """The one command whose parser ``argv`` needs, or ``None`` for all of them: help
    (``-h`` anywhere) may list them."""
    if "-h" in argv or "--help" in argv:
        return None
    return command_in(argv)


def _run_command(argv: Sequence[str]) -> int:
    args = build_parser(only=_parser_for(argv)).parse_args(list(argv))
    for name in ("sandbox", "url", "token", "token_file", "profile"):
        if not hasattr(args, name):
            setattr(args, name, None)
    out = Output(json_mode=getattr(args, "json", False))
    if args.command == "completion":
        from tui.commands.completion import script

        out.line(script(args.shell, build_parser()))
        return exits.OK
    state: dict[str, Any] = {"terminated": False}
    try:
        from tui.commands.target import load_settings_for

        settings = load_settings_for(args)
        for problem in settings.problems:
            out.error(f"warning: {problem}")
        command, needs_desktop = _command(args)
        # What _run needs, imported before start-up ends.
        import core.session  # noqa: F401
        import tui.failures  # noqa: F401

        started()
        return asyncio.run(_run(command, needs_desktop, args, settings, out, state))
    except CommandLineError as exc:
        out.error(str(exc))
        return exits.USAGE
    except (KeyboardInterrupt, asyncio.CancelledError):
        return _TERMINATED if state["terminated"] else exits.INTERRUPTED


async def _run(
    command: Command,
    needs_desktop: bool,
    args: argparse.Namespace,
    settings: Settings,
    out: Output,
    state: dict[str, Any],
) -> int:
    from core.errors import Leap0Error
    from core.session import client_for
    from tui.commands.target import target_for
    from tui.failures import one_line

    _cancel_on_sigterm(state)
    async with client_for(settings) as client:
        try:
            if needs_desktop:
                return await command(args, target_for(settings, client), out)
            return await command(args, client, settings, out)
        except (Leap0Error, OSError) as exc:
            message = one_line(exc)
            desktop = getattr(exc, "desktop", None)
            if desktop and desktop not in message:
                message = f"{desktop}: {message}"
            out.error(message)
            return exits.code_for(exc)


def _cancel_on_sigterm(state: dict[str, Any]) -> None:
    """SIGTERM ends a command as Ctrl+C does, closing the client on the way out."""
    main = asyncio.current_task()
    if main is None:
        return

    def terminate() -> None:
        state["terminated"] = True
        main.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminate)
