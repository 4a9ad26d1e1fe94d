"""The host's bearer token: where it comes from, kept off every command line.

Any local user can read a command line (``ps``, ``/proc/PID/cmdline``), so the safe
sources come first. The first of these that gives a token is used:

1. ``--token-file PATH``: the file's first line (:func:`core.token_file.read_token_file`,
   with its warning when others can read the file);
2. ``$LEAP0_HOST_TOKEN``;
3. ``--token T``, with a warning that other users can see it;
4. else a random one of :data:`GENERATED_TOKEN_BYTES` bytes.

Beyond loopback anyone who can reach the port may guess at the token, so a token given
(from any source) must have at least :data:`MIN_TOKEN_LENGTH_BEYOND_LOOPBACK` characters
there (:func:`check_strength`); a generated one has 192 bits of randomness. On loopback a
short token is accepted without a word (tests use them).

The token is never passed on in a command line, nor to any child: x11vnc gets a VNC
password of its own (random per run) through a file, and a browser gets a single-use
viewer ticket (:mod:`core.host.viewer`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from core.token_file import TokenFileError, read_token_file

__all__ = [
    "GENERATED_TOKEN_BYTES",
    "MIN_TOKEN_LENGTH_BEYOND_LOOPBACK",
    "TOKEN_ENV",
    "HostToken",
    "HostTokenError",
    "check_strength",
    "choose_token",
]

TOKEN_ENV = "LEAP0_HOST_TOKEN"
"""The environment variable that gives the host its token."""

GENERATED_TOKEN_BYTES = 24
"""Random bytes in a token the host makes: 192 bits (at least 128 are needed), 32
characters of ``secrets.token_urlsafe``."""

MIN_TOKEN_LENGTH_BEYOND_LOOPBACK = 16
"""Fewest characters of a given token when the host listens beyond loopback."""


class HostTokenError(Exception):
    """No token can be taken from where the command line says; the message is one line."""


@dataclass(frozen=True, slots=True)
class HostToken:
    """The token the host uses, where it came from, and one-line warnings about it.

    ``source`` names it for messages: ``--token-file PATH``, ``$LEAP0_HOST_TOKEN``,
    ``--token`` or ``generated``.
    """

    token: str
    source: str
    warnings: tuple[str, ...] = ()

    @property
    def generated(self) -> bool:
        return self.source == "generated"


def choose_token(
    token_file: str | os.PathLike[str] | None,
    token: str | None,
    environ: Mapping[str, str],
) -> HostToken:
    """The host's token from ``--token-file``, ``environ``, ``--token``, else a random one
    (in that order; see the module docstring).

    Raises :class:`HostTokenError` when ``token_file`` cannot be read or its first line is
    empty (the messages of :func:`~core.token_file.read_token_file`).
    """
    if token_file is not None:
        try:
            read = read_token_file(token_file)
        except TokenFileError as exc:
            raise HostTokenError(str(exc)) from exc
        warnings = (read.warning,) if read.warning else ()
        return HostToken(read.token, f"--token-file {os.fspath(token_file)}", warnings)
    from_env = environ.get(TOKEN_ENV)
    if from_env:
        ignored = (f"--token ignored: ${TOKEN_ENV} gives the token",) if token else ()
        return HostToken(from_env, f"${TOKEN_ENV}", ignored)
    if token:
        warning = (
            "--token is visible to every user of this machine (ps); "
            f"use --token-file PATH or {TOKEN_ENV}"
        )
        return HostToken(token, "--token", (warning,))
    return HostToken(secrets.token_urlsafe(GENERATED_TOKEN_BYTES), "generated")


def check_strength(chosen: HostToken, bind: str, *, loopback: bool) -> None:
    """Raise :class:`HostTokenError` when ``chosen`` is a given token too short for a host
    listening on ``bind`` beyond loopback (``loopback`` false); the message says what to do.
    """
    if loopback or chosen.generated:
        return
    length = len(chosen.token)
    if length >= MIN_TOKEN_LENGTH_BEYOND_LOOPBACK:
        return
    raise HostTokenError(
        f"a token of {length} characters ({chosen.source}) is too weak for --bind {bind}, "
        f"beyond loopback: give one of at least {MIN_TOKEN_LENGTH_BEYOND_LOOPBACK} "
        "characters, or none and the host makes a random one"
    )
