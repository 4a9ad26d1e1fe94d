"""The ``leap0-tui`` command."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["host"]:
        from core.host.__main__ import main as host_main

        return host_main(args[1:])
    from tui.commands import command_in

    if command_in(args) is not None:
        from tui.commands import main as command_main

        return command_main(args)
    from tui.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
