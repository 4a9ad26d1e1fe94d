"""Which desktop a command talks to, and the client it talks through."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.arguments import CommandLineError, check_profile, desktop_token, looks_like_http_url

if TYPE_CHECKING:
    from core.config import Settings
    from core.desktop import AsyncDesktopClient, SandboxRef

__all__ = ["Target", "load_settings_for", "target_for"]


@dataclass(frozen=True)
class Target:
    """A desktop and the client to reach it; ``label`` names it in messages."""

    client: AsyncDesktopClient
    ref: SandboxRef
    label: str
    settings: Settings


def load_settings_for(args: argparse.Namespace) -> Settings:
    """The settings the command line, environment and config file give.

    Raises :class:`CommandLineError` for a malformed URL, an unreadable token file or a
    profile the config file does not have (nothing is sent then).
    """
    if args.url and not looks_like_http_url(args.url):
        raise CommandLineError(f"--url {args.url!r} is not an http:// or https:// URL")
    if (args.token or args.token_file) and not args.url:
        raise CommandLineError(f"{'--token' if args.token else '--token-file'} needs --url")
    token = desktop_token(args)
    check_profile(args.profile)
    from core.config import load_settings

    return load_settings(profile=args.profile, url=args.url, token=token, sandbox_id=args.sandbox)


def target_for(settings: Settings, client: AsyncDesktopClient) -> Target:
    """The one desktop the settings name. Raises :class:`CommandLineError` when they name
    none: a command never starts a desktop, and never guesses among the account's."""
    from core.errors import Leap0ValidationError
    from core.session import desktop_for

    try:
        ref = desktop_for(settings)
    except Leap0ValidationError as exc:
        raise CommandLineError(str(exc)) from exc
    if ref is None:
        if settings.api_key:
            raise CommandLineError(
                "which desktop? give --sandbox ID ('leap0-tui sandboxes' lists them)"
            )
        raise CommandLineError(
            "no desktop named: give --sandbox ID (with LEAP0_API_KEY), --url URL with "
            "--token-file PATH, or --profile NAME; commands do not start a local desktop "
            "('leap0-tui host' runs one)"
        )
    label = settings.desktop_url or settings.sandbox_id or "desktop"
    return Target(client=client, ref=ref, label=label, settings=settings)
