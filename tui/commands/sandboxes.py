"""``sandboxes``: the account's sandboxes, every page."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.commands import exits
from tui.commands.output import Output

if TYPE_CHECKING:
    from core.config import Settings
    from core.desktop import AsyncDesktopClient

__all__ = ["sandboxes"]

_STATE_COLOURS = {"running": "green", "paused": "dim", "stopped": "red"}


async def sandboxes(
    args: argparse.Namespace, client: AsyncDesktopClient, settings: Settings, out: Output
) -> int:
    from core.formatting import format_created, format_duration
    from core.sandboxes import list_sandboxes

    if not settings.api_key:
        out.error("listing sandboxes needs an API key: set LEAP0_API_KEY or a profile's api_key")
        return exits.USAGE
    items = await list_sandboxes(client.transport, state=args.state)
    if out.json_mode:
        out.json(items)
        return exits.OK
    if not items:
        out.note("No sandboxes." if not args.state else f"No sandboxes {args.state}.")
        return exits.OK
    out.table(
        ("sandbox", "state", "template", "created", "time left"),
        [
            (
                item.id,
                (item.state, _STATE_COLOURS.get(item.state, "yellow")),
                item.template_id,
                format_created(item.created_at),
                format_duration(left) if (left := item.time_left()) is not None else "-",
            )
            for item in items
        ],
    )
    return exits.OK
