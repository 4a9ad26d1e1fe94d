"""``leap0-tui COMMAND ...``: every dashboard action as a scriptable command.

Over the same core as the dashboard, without Textual: ``tui/__main__.py`` sends a command
line here when it names a command (:data:`NAMES`), and only then are the command modules
imported. See :mod:`tui.commands.parser` for the command line, :mod:`tui.commands.run`
for running one, and the README for the JSON shapes and exit codes.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

__all__ = ["NAMES", "command_in", "main"]

NAMES = frozenset(
    {
        "sandboxes",
        "status",
        "wait",
        "restart",
        "logs",
        "screenshot",
        "record",
        "recordings",
        "input",
        "display",
        "open",
        "completion",
    }
)

_WITH_VALUE = frozenset({"--sandbox", "--url", "--token", "--token-file", "--profile"})
"""Options that may come before the command and take a value (``--profile lab status``)."""


def command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names, or ``None`` (the dashboard): the first word that is not
    an option or an option's value."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            return word if word in NAMES else None
    return None


def main(argv: Sequence[str]) -> int:
    """Run the command ``argv`` names; the exit status.

    The cyclic garbage collector is off from here until the command starts its work
    (:func:`tui.commands.run.started`): start-up is imports, whose objects (some 60,000
    the collector tracks) live as long as the process and are no garbage.
    """
    gc.disable()
    try:
        from tui.commands.run import run

        return run(argv)
    finally:
        gc.enable()  # the command ended before it started (a usage error, completion)
