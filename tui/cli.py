"""The ``leap0-tui`` command line: its arguments, and running the app until it ends.

``run(argv)`` parses the command line, sets up the debug log, lets textual-image probe the
terminal (it must happen before Textual owns the terminal) and runs :class:`Leap0App`, with
the settings loaded by the app after its first frame and a local desktop host that is
stopped however the process ends (:mod:`tui.shutdown`).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.config_file import state_dir
from core.defaults import GRAPHICS_CHOICES
from tui import debug_log
from tui.app import Leap0App
from tui.arguments import (
    CommandLineError,
    add_token_arguments,
    check_profile,
    desktop_token,
    looks_like_http_url,
    refuse,
)
from tui.graphics import probe_terminal
from tui.local import LocalHost
from tui.shutdown import stopped_on_exit

if TYPE_CHECKING:
    from core.config import Settings

# core (pydantic, httpx) is imported only once the first frame is on screen: on a slow
# machine its imports alone take most of a second. See Leap0App._load.

__all__ = ["parse_args", "run"]

log = logging.getLogger("tui")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line; exits with usage (status 2) for a malformed one."""
    parser = argparse.ArgumentParser(
        prog="leap0-tui",
        description=(
            "A terminal dashboard for Leap0 sandbox desktops. Without an API key it starts "
            "a desktop on this machine and shows it."
        ),
        epilog=(
            "A desktop host's token: --token-file PATH, or LEAP0_DESKTOP_TOKEN, or a profile's "
            "token; --token T works too, but every user of this machine can read it (ps). "
            "Environment: LEAP0_API_KEY, LEAP0_DESKTOP_TOKEN, LEAP0_BASE_URL, "
            "LEAP0_SANDBOX_DOMAIN, LEAP0_PROFILE, LEAP0_DOWNLOAD_DIR, LEAP0_CONFIG, "
            "LEAP0_GRAPHICS. "
            "'leap0-tui host --help' runs the desktop host. Scriptable commands (each with "
            "--help): sandboxes, status, wait, restart, logs, screenshot, record, recordings, "
            "input, display, open, completion."
        ),
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--sandbox", metavar="ID", help="open this Leap0 sandbox's desktop")
    target.add_argument("--url", metavar="URL", help="open the desktop host at this URL")
    target.add_argument(
        "--local",
        metavar="N",
        type=_local_count,
        help="start N local desktop hosts (each its own display, ports, token and recordings "
        "folder) and open the fleet on them; all are stopped when leap0-tui ends",
    )
    add_token_arguments(parser)
    parser.add_argument("--profile", metavar="NAME", help="use this profile of the config file")
    parser.add_argument(
        "--download-dir", metavar="DIR", type=Path, help="where downloads and saved files go"
    )
    parser.add_argument(
        "--graphics",
        choices=GRAPHICS_CHOICES,
        help="how the preview draws: auto (ask the terminal: kitty graphics, Sixel, else "
        "symbols), kitty, sixel, symbols (Unicode mosaics in colour, for tmux and SSH) or "
        "halfcell (two pixels a cell, the lightest); switch at run time from the palette",
    )
    args = parser.parse_args(list(argv))
    if (args.token or args.token_file) and not args.url:
        parser.error(f"{'--token' if args.token else '--token-file'} needs --url")
    return args


def run(argv: Sequence[str]) -> int:
    """``leap0-tui [--sandbox ID | --url URL [--token-file PATH] | --local N] [--profile NAME]``;
    the exit status.

    Refuses (status 2, one line on stderr) a malformed URL, an unreadable or empty token
    file and a profile the config file does not have, before anything starts. Paints the
    first frame before anything heavy is imported: the settings (pydantic) and the client
    (httpx) are loaded by the app in a thread, behind a loading indicator.
    """
    args = parse_args(argv)
    if args.url and not looks_like_http_url(args.url):
        return refuse(f"--url {args.url!r} is not an http:// or https:// URL")
    try:
        token = desktop_token(args)
        check_profile(args.profile or os.environ.get("LEAP0_PROFILE") or None)
    except CommandLineError as exc:
        return refuse(str(exc))
    state = state_dir()
    log_path = debug_log.setup(state)
    log.info("leap0-tui starting (log %s)", log_path)
    probe_terminal()

    def load() -> Settings:
        from core.config import load_settings

        settings = load_settings(
            profile=args.profile,
            url=args.url,
            token=token,
            sandbox_id=args.sandbox,
            download_dir=args.download_dir,
            graphics=args.graphics,
        )
        log.info("settings loaded: mode %s", settings.mode)
        return settings

    # The host is only started if the settings ask for the local desktop.
    host = LocalHost(log_path=state / "host.log")
    fleet = [LocalHost(log_path=state / f"host-{i}.log") for i in range(1, (args.local or 0) + 1)]

    def stop_all() -> None:
        for each in (host, *fleet):
            each.stop()

    app = Leap0App(load_settings=load, local_host=host, local_fleet=fleet)
    with stopped_on_exit(stop_all):
        app.run()
    return app.return_code or 0


MAX_LOCAL = 16
"""``--local N`` at most: each host is an X server, a desktop and a VNC server."""


def _local_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= count <= MAX_LOCAL:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_LOCAL}")
    return count
