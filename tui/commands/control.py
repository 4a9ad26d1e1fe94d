"""``input ...``, ``display`` and ``open``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from tui.commands import exits
from tui.commands.output import Output
from tui.commands.target import Target

__all__ = ["display", "input_command", "open_viewer"]


async def input_command(args: argparse.Namespace, target: Target, out: Output) -> int:
    """One pointer or keyboard action; silent on success unless ``--json``."""
    client, ref = target.client, target.ref
    action = args.input_action
    result: Any
    if action == "click":
        result = await client.click(ref, x=args.x, y=args.y, button=args.button)
    elif action == "move":
        result = await client.move_pointer(ref, x=args.x, y=args.y)
    elif action == "type":
        text = sys.stdin.read() if args.text == "-" else args.text
        result = await client.type_text(ref, text=text)
    elif action == "key":
        result = await client.press_key(ref, key=args.key)
    elif action == "hotkey":
        result = await client.hotkey(ref, keys=args.keys)
    else:
        result = await client.scroll(ref, direction=args.direction, amount=args.amount)
    if isinstance(result, bool):  # type, key and hotkey answer the server's "ok"
        if out.json_mode:
            out.json({"ok": result})
        if not result:
            out.error(f"{target.label}: the desktop did not do it ({action})")
            return exits.FAILED
    elif out.json_mode:
        out.json(result)
    return exits.OK


async def display(args: argparse.Namespace, target: Target, out: Output) -> int:
    client, ref = target.client, target.ref
    info, pointer, windows = await asyncio.gather(
        client.display_info(ref), client.pointer_position(ref), client.windows(ref)
    )
    if out.json_mode:
        out.json({"display": info, "pointer": pointer, "windows": windows})
        return exits.OK
    out.line(f"display {info.display}  {info.width}x{info.height}  pointer {pointer.x},{pointer.y}")
    if not windows:
        out.note("No windows.")
        return exits.OK
    out.table(
        ("window", "position", "size", "class", "title"),
        [
            (
                (w.id or "-", "bold" if w.focused else None),
                f"{w.x},{w.y}" if w.x is not None else "-",
                f"{w.width}x{w.height}" if w.width is not None else "-",
                w.window_class or "-",
                w.title or "",
            )
            for w in windows
        ],
    )
    return exits.OK


async def open_viewer(args: argparse.Namespace, target: Target, out: Output) -> int:
    """The viewer's link holds a single-use ticket (about a minute), never the token."""
    from tui.browser import open_in_browser

    url = await target.client.viewer_url(target.ref)
    opened = False if args.print else await asyncio.to_thread(open_in_browser, url)
    if out.json_mode:
        out.json({"url": url, "opened": opened})
    elif opened:
        out.note(f"Opened the viewer of {target.label} in your browser.")
    else:
        if not args.print:
            out.note("No browser could be started; open this link within a minute:")
        out.line(url)
    return exits.OK
