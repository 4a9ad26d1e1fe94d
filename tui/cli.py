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
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core.config_file import state_dir
from core.defaults import GRAPHICS_CHOICES
from tui import debug_log
from tui.app import Leap0App
from tui.graphics import probe_terminal
from tui.local import LocalHost
from tui.shutdown import stopped_on_exit

if TYPE_CHECKING:
    from core.config import Settings

# core (pydantic, httpx) is imported only once the first frame is on screen: on a slow
# machine its imports alone take most of a second. See Leap0App._load.

__all__ = ["CommandLineError", "check_profile", "desktop_token", "parse_args", "run"]

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
            "'leap0-tui host --help' runs the desktop host."
        ),
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--sandbox", metavar="ID", help="open this Leap0 sandbox's desktop")
    target.add_argument("--url", metavar="URL", help="open the desktop host at this URL")
    token = parser.add_mutually_exclusive_group()
    token.add_argument(
        "--token-file",
        metavar="PATH",
        type=Path,
        help="read --url's bearer token from the first line of this file (keep it chmod 600)",
    )
    token.add_argument(
        "--token",
        metavar="T",
        help="bearer token for --url; visible to other users: prefer --token-file "
        "or LEAP0_DESKTOP_TOKEN",
    )
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
    """``leap0-tui [--sandbox ID | --url URL [--token-file PATH]] [--profile NAME]``; the
    exit status.

    Refuses (status 2, one line on stderr) a malformed URL, an unreadable or empty token
    file and a profile the config file does not have, before anything starts. Paints the
    first frame before anything heavy is imported: the settings (pydantic) and the client
    (httpx) are loaded by the app in a thread, behind a loading indicator.
    """
    args = parse_args(argv)
    if args.url and not _looks_like_http_url(args.url):
        return _refuse(f"--url {args.url!r} is not an http:// or https:// URL")
    try:
        token = desktop_token(args)
        check_profile(args.profile or os.environ.get("LEAP0_PROFILE") or None)
    except CommandLineError as exc:
        return _refuse(str(exc))
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
    app = Leap0App(load_settings=load, local_host=host)
    with stopped_on_exit(host.stop):
        app.run()
    return app.return_code or 0


def _refuse(message: str) -> int:
    """Say why the command line is refused, in one line; the exit status (2)."""
    print(f"leap0-tui: {message}", file=sys.stderr)
    return 2


def _warn(message: str) -> None:
    print(f"leap0-tui: warning: {message}", file=sys.stderr)


class CommandLineError(Exception):
    """The command line names something that cannot be used; the message is one line."""


def desktop_token(args: argparse.Namespace) -> str | None:
    """The desktop host's token the command line gives: ``--token-file``'s first line, or
    ``--token`` (with a warning on stderr: any local user can read a command line), or
    ``None`` (the environment or a profile may give one).

    Warns, too, about a token file other users may read. Raises :class:`CommandLineError`
    for a token file that cannot be read or is empty.
    """
    if args.token is not None:
        _warn(
            "--token is visible to every user of this machine (ps); "
            "use --token-file PATH or LEAP0_DESKTOP_TOKEN"
        )
        token: str = args.token
        return token
    if args.token_file is None:
        return None
    from core.token_file import TokenFileError, read_token_file

    try:
        read = read_token_file(args.token_file)
    except TokenFileError as exc:
        raise CommandLineError(str(exc)) from exc
    if read.warning:
        _warn(read.warning)
    return read.token


def check_profile(name: str | None) -> None:
    """Raise :class:`CommandLineError`, listing the profiles there are, when the profile
    asked for (``--profile`` or ``LEAP0_PROFILE``) is not in the config file.

    Checked before the first frame, with the TOML alone (no pydantic): a run that names a
    profile must not fall back to a local desktop because of a typo.
    """
    if not name:
        return
    from core.config_file import ConfigFileError, config_path, profile_names

    path = config_path()
    try:
        names = profile_names(path)
    except ConfigFileError as exc:
        raise CommandLineError(f"cannot use profile {name!r}: {exc}") from exc
    if names is None:
        raise CommandLineError(f"no profile named {name!r}: there is no config file {path}")
    if name not in names:
        known = ", ".join(names) if names else "none"
        raise CommandLineError(f"no profile named {name!r} in {path} (profiles: {known})")


def _looks_like_http_url(url: str) -> bool:
    """A quick check for the command line; core validates the URL fully later."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
