"""The commands' command line (argparse): every command, its arguments, help and examples.

Imports nothing heavy: ``--help`` and a usage error answer at once.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable

from tui.arguments import add_token_arguments

__all__ = ["PROCESSES", "build_parser", "region"]

PROCESSES = ("xvfb", "xfce4", "x11vnc", "novnc")
"""The desktop's processes, for --help only, which must not import pydantic; commands check
a name against ``core.models.PROCESS_NAMES`` (a test keeps the two equal)."""

TARGET_HELP = """\
which desktop: --sandbox ID (with LEAP0_API_KEY or a profile's api_key), --url URL with its
token from --token-file PATH, LEAP0_DESKTOP_TOKEN or a profile, or --profile NAME. A command
never starts a desktop: 'leap0-tui host' runs one."""


def _target_options(suppress: bool) -> argparse.ArgumentParser:
    """--sandbox/--url/--token-file/--token/--profile, before or after the command.

    On the commands' own parsers they default to SUPPRESS, so a value given before the
    command is not overwritten by the command's default.
    """
    parent = argparse.ArgumentParser(add_help=False)
    target = parent.add_mutually_exclusive_group()
    target.add_argument("--sandbox", metavar="ID", help="a Leap0 sandbox's desktop")
    target.add_argument("--url", metavar="URL", help="the desktop host at this URL")
    add_token_arguments(parent)
    parent.add_argument("--profile", metavar="NAME", help="a profile of the config file")
    if suppress:
        for action in parent._actions:
            action.default = argparse.SUPPRESS
    return parent


def _json_option() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--json", action="store_true", help="print one JSON document (see the README)"
    )
    return parent


def region(text: str) -> tuple[int, int, int, int]:
    """``X,Y,W,H`` as four integers (argparse type)."""
    parts = text.split(",")
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not X,Y,WIDTH,HEIGHT (four integers)"
        ) from None
    return x, y, w, h


def _examples(*lines: str) -> str:
    return "examples:\n" + textwrap.indent("\n".join(lines), "  ")


class _Commands:
    """Adds the commands to a subparsers action, each with the shared options."""

    def __init__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        self.subparsers = subparsers
        self.target = _target_options(suppress=True)
        self.json = _json_option()

    def add(
        self,
        name: str,
        help_text: str,
        examples: tuple[str, ...],
        *,
        target: bool = True,
        json: bool = True,
        into: argparse._SubParsersAction[argparse.ArgumentParser] | None = None,
    ) -> argparse.ArgumentParser:
        parents = [p for p, on in ((self.target, target), (self.json, json)) if on]
        epilog = _examples(*examples)
        if target:
            epilog = TARGET_HELP + "\n\n" + epilog
        return (into or self.subparsers).add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=epilog,
            parents=parents,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )


def _sandboxes(commands: _Commands) -> None:
    p = commands.add(
        "sandboxes",
        "list the account's sandboxes (every page)",
        ("leap0-tui sandboxes", "leap0-tui sandboxes --state running --json"),
        target=False,
    )
    p.add_argument(
        "--state", metavar="S", help="only sandboxes in this state (running, paused ...)"
    )
    p.add_argument(
        "--profile", metavar="NAME", default=argparse.SUPPRESS, help="a profile of the config file"
    )


def _status(commands: _Commands) -> None:
    p = commands.add(
        "status",
        "the desktop's overall status and its four processes",
        ("leap0-tui status", "leap0-tui status --json | jq .status", "leap0-tui status --watch"),
    )
    p.add_argument(
        "--watch",
        action="store_true",
        help="follow the status stream: a line (or a JSON document) per change, until Ctrl+C",
    )


def _wait(commands: _Commands) -> None:
    p = commands.add(
        "wait",
        "wait until the desktop is ready (exit 0), or fail",
        ("leap0-tui wait --timeout 120 && leap0-tui screenshot",),
    )
    p.add_argument(
        "--timeout", metavar="S", type=float, default=60.0, help="give up after S seconds (60)"
    )


def _restart(commands: _Commands) -> None:
    p = commands.add(
        "restart",
        "restart one of the desktop's processes",
        ("leap0-tui restart xfce4", "leap0-tui restart x11vnc --yes   # in a script"),
    )
    p.add_argument("process", metavar="PROCESS", help=", ".join(PROCESSES))
    p.add_argument(
        "--yes", "-y", action="store_true", help="do not ask (needed without a terminal)"
    )


def _logs(commands: _Commands) -> None:
    p = commands.add(
        "logs",
        "print a process's log; -f follows it",
        ("leap0-tui logs xfce4", "leap0-tui logs x11vnc --stderr -f"),
        json=False,
    )
    p.add_argument("process", metavar="PROCESS", help=", ".join(PROCESSES))
    p.add_argument("--stderr", action="store_true", help="its stderr (default: stdout)")
    p.add_argument(
        "-f", "--follow", action="store_true", help="keep printing new lines until Ctrl+C"
    )


def _screenshot(commands: _Commands) -> None:
    p = commands.add(
        "screenshot",
        "save a screenshot of the desktop",
        (
            "leap0-tui screenshot                 # screenshot-20261202-101500.png here",
            "leap0-tui screenshot -o shot.jpg --format jpeg --quality 80",
            "leap0-tui screenshot --region 0,0,640,480 -o - > corner.png",
        ),
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write it ('-' for stdout; default: a new timestamped name here)",
    )
    p.add_argument("--format", choices=("png", "jpeg"), default="png", help="png (default) or jpeg")
    p.add_argument("--quality", metavar="N", type=int, help="JPEG quality, 1-100")
    p.add_argument("--region", metavar="X,Y,W,H", type=region, help="only this part of the screen")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")


def _record(commands: _Commands) -> None:
    p = commands.add(
        "record",
        "start or stop recording the screen, or show the recording's status",
        ("leap0-tui record start", "leap0-tui record stop --json", "leap0-tui record status"),
    )
    p.add_argument("action", choices=("start", "stop", "status"))


def _recordings(commands: _Commands) -> None:
    p = commands.add(
        "recordings",
        "list the saved recordings; download or delete one",
        (
            "leap0-tui recordings",
            "leap0-tui recordings download rec_123 -o ~/Videos/",
            "leap0-tui recordings rm rec_123 --yes",
        ),
    )
    actions = p.add_subparsers(dest="recordings_action", metavar="ACTION")
    d = commands.add(
        "download",
        "download a recording (resumes by itself when the connection breaks)",
        ("leap0-tui recordings download rec_123", "leap0-tui recordings download rec_123 -o a.mp4"),
        into=actions,
    )
    d.add_argument("recording", metavar="ID")
    d.add_argument("-o", "--output", metavar="PATH", help="file or folder (default: here)")
    d.add_argument("--force", action="store_true", help="replace the file if it exists")
    r = commands.add(
        "rm",
        "delete a recording",
        ("leap0-tui recordings rm rec_123", "leap0-tui recordings rm rec_123 --yes"),
        into=actions,
    )
    r.add_argument("recording", metavar="ID")
    r.add_argument(
        "--yes", "-y", action="store_true", help="do not ask (needed without a terminal)"
    )


def _input(commands: _Commands) -> None:
    p = commands.add(
        "input",
        "drive the desktop's pointer and keyboard",
        (
            "leap0-tui input click 100 200",
            "leap0-tui input type 'hello world'",
            "echo hello | leap0-tui input type -",
            "leap0-tui input hotkey ctrl shift t",
            "leap0-tui input scroll down --amount 5",
        ),
    )
    kinds = p.add_subparsers(dest="input_action", metavar="ACTION", required=True)
    c = commands.add(
        "click", "click at X Y", ("leap0-tui input click 10 20 --button 3",), into=kinds
    )
    c.add_argument("x", type=int)
    c.add_argument("y", type=int)
    c.add_argument("--button", type=int, metavar="N", help="1 left (default), 2 middle, 3 right")
    m = commands.add("move", "move the pointer to X Y", ("leap0-tui input move 10 20",), into=kinds)
    m.add_argument("x", type=int)
    m.add_argument("y", type=int)
    t = commands.add(
        "type", "type TEXT ('-' reads it from stdin)", ("leap0-tui input type hi",), into=kinds
    )
    t.add_argument("text", metavar="TEXT")
    k = commands.add(
        "key", "press one key (xdotool's names)", ("leap0-tui input key Return",), into=kinds
    )
    k.add_argument("key", metavar="KEY")
    h = commands.add(
        "hotkey", "press keys together", ("leap0-tui input hotkey ctrl alt t",), into=kinds
    )
    h.add_argument("keys", metavar="KEY", nargs="+")
    s = commands.add(
        "scroll", "scroll up, down, left or right", ("leap0-tui input scroll up",), into=kinds
    )
    s.add_argument("direction", choices=("up", "down", "left", "right"))
    s.add_argument("--amount", type=int, metavar="N", help="how many steps")


def _display(commands: _Commands) -> None:
    commands.add(
        "display",
        "the display: its size, the pointer and the windows",
        ("leap0-tui display", "leap0-tui display --json | jq '.windows[].title'"),
    )


def _open(commands: _Commands) -> None:
    p = commands.add(
        "open",
        "open the desktop's viewer in a browser (with a ticket of its own, never the token)",
        ("leap0-tui open", "leap0-tui open --print   # only print the link (valid 1 minute)"),
    )
    p.add_argument("--print", action="store_true", help="print the link instead of opening it")


def _completion(commands: _Commands) -> None:
    p = commands.add(
        "completion",
        "print a shell completion script",
        (
            "leap0-tui completion bash > ~/.local/share/bash-completion/completions/leap0-tui",
            "leap0-tui completion zsh > ~/.zfunc/_leap0-tui",
            "leap0-tui completion fish > ~/.config/fish/completions/leap0-tui.fish",
        ),
        target=False,
        json=False,
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"))


_COMMANDS: dict[str, Callable[[_Commands], None]] = {
    "sandboxes": _sandboxes,
    "status": _status,
    "wait": _wait,
    "restart": _restart,
    "logs": _logs,
    "screenshot": _screenshot,
    "record": _record,
    "recordings": _recordings,
    "input": _input,
    "display": _display,
    "open": _open,
    "completion": _completion,
}
"""Each command and what adds it to the parser, in the order ``--help`` lists them."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The commands' parser: every command, or only the command ``only`` names (a command's
    start-up need not build the others' parsers: 1 % of ``status --json``'s)."""
    parser = argparse.ArgumentParser(
        prog="leap0-tui",
        description=(
            "Leap0 desktops from the command line: each command does one thing the dashboard "
            "does, prints plain columns or --json, and exits 0 on success, 1 when the "
            "operation failed, 2 for a usage error, 3 when the token or key was refused, "
            "4 when the sandbox, recording or process does not exist, 5 on a conflict "
            "(already recording), 6 when the desktop cannot be reached. "
            "'leap0-tui' alone opens the dashboard."
        ),
        parents=[_target_options(suppress=False)],
        epilog=_examples(
            "leap0-tui --url http://127.0.0.1:8123 --token-file ~/.leap0-token status",
            "leap0-tui --sandbox sbx-1 screenshot -o shot.png",
            "leap0-tui COMMAND --help",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands = _Commands(sub)
    for name, add in _COMMANDS.items():
        if only is None or name == only:
            add(commands)
    return parser
