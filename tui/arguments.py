"""What the dashboard's command line and the scriptable commands share: the desktop host's
token (``--token-file``, ``--token``), the check of ``--profile``, a quick URL check, and
saying no in one line. No Textual, no pydantic: all of it runs before anything heavy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "CommandLineError",
    "add_token_arguments",
    "check_profile",
    "desktop_token",
    "looks_like_http_url",
    "refuse",
    "warn",
]


def add_token_arguments(parser: argparse._ActionsContainer) -> None:
    """``--token-file PATH`` or ``--token T`` (one of them), for ``--url``."""
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


def refuse(message: str) -> int:
    """Say why the command line is refused, in one line; the exit status (2)."""
    print(f"leap0-tui: {message}", file=sys.stderr)
    return 2


def warn(message: str) -> None:
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
        warn(
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
        warn(read.warning)
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


def looks_like_http_url(url: str) -> bool:
    """A quick check for the command line; core validates the URL fully later."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
