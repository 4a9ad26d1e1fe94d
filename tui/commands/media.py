"""``screenshot``, ``record start|stop|status`` and ``recordings [download|rm]``."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.commands import exits
from tui.commands.output import Output, agreed
from tui.commands.target import Target
from tui.files import file_name_for, save_new, screenshot_stem, write_file

if TYPE_CHECKING:
    from core.downloads import DownloadProgress
    from core.models import DesktopRecordingStatus

__all__ = ["download", "record", "recordings", "remove", "screenshot"]


# ── screenshot ──


async def screenshot(args: argparse.Namespace, target: Target, out: Output) -> int:
    if args.quality is not None and args.format != "jpeg":
        out.error("--quality is for --format jpeg")
        return exits.USAGE
    region: dict[str, int] = {}
    if args.region is not None:
        x, y, width, height = args.region
        region = {"x": x, "y": y, "width": width, "height": height}
    data = await target.client.screenshot(
        target.ref, image_format=args.format, quality=args.quality, http_timeout=30.0, **region
    )
    if args.output == "-":
        out.out.flush()
        out.out.buffer.write(data)  # type: ignore[union-attr]
        out.out.flush()
        return exits.OK
    name = f"{screenshot_stem(time.time())}.{'png' if args.format == 'png' else 'jpg'}"
    try:
        path = await asyncio.to_thread(_save_screenshot, args.output, name, data, args.force)
    except FileExistsError:
        out.error(f"{args.output} exists: add --force to replace it")
        return exits.FAILED
    if out.json_mode:
        out.json({"path": str(path), "bytes": len(data), "format": args.format})
    else:
        out.line(str(path))
    return exits.OK


def _save_screenshot(output: str | None, name: str, data: bytes, force: bool) -> Path:
    """Into ``output`` (a file, or a folder where ``name`` is free), or here. Blocking."""
    wanted = Path(output).expanduser() if output else None
    if wanted is None or wanted.is_dir():
        return save_new(wanted or Path.cwd(), name, data)
    return write_file(wanted, data, overwrite=force)


# ── record ──


def _recording_line(status: DesktopRecordingStatus) -> str:
    from core.formatting import format_created

    if status.active:
        since = format_created(status.started_at) if status.started_at else "just now"
        where = f" ({status.display}, {status.resolution})" if status.display else ""
        return f"recording {status.id} since {since}{where}"
    if status.id:
        return f"not recording; the last one was {status.id} ({status.file_name or 'no file'})"
    return "not recording"


async def record(args: argparse.Namespace, target: Target, out: Output) -> int:
    client = target.client
    if args.action == "start":
        status = await client.start_recording(target.ref)
    elif args.action == "stop":
        status = await client.stop_recording(target.ref)
    else:
        status = await client.recording_status(target.ref)
    if out.json_mode:
        out.json(status)
    else:
        out.line(_recording_line(status))
    return exits.OK


# ── recordings ──


async def recordings(args: argparse.Namespace, target: Target, out: Output) -> int:
    from core.formatting import format_bytes, format_created

    items = await target.client.recordings(target.ref)
    if out.json_mode:
        out.json(items)
        return exits.OK
    if not items:
        out.note(f"No recordings on {target.label}.")
        return exits.OK
    out.table(
        ("id", "size", "created", "file"),
        [
            (
                (item.id, "yellow" if item.active else None),
                format_bytes(item.size_bytes) if item.size_bytes is not None else "-",
                format_created(item.created_at),
                (item.file_name or "-") + (" (recording)" if item.active else ""),
            )
            for item in items
        ],
    )
    return exits.OK


async def download(args: argparse.Namespace, target: Target, out: Output) -> int:
    """Stream the recording to a file, resuming by itself after a cut (the dashboard's
    download, from core); a progress bar on a terminal, nothing when piped."""
    summary = await target.client.get_recording(target.ref, args.recording)
    name = file_name_for(summary)
    path = await asyncio.to_thread(_download_path, args.output, name)
    with _Progress(out, name) as progress:
        try:
            saved = await target.client.download_recording_to(
                target.ref,
                args.recording,
                path,
                progress=progress.report,
                overwrite=args.force,
                retry_seconds=target.settings.download_retry_seconds,
            )
        except FileExistsError:
            out.error(f"{path} exists: add --force to replace it")
            return exits.FAILED
    size = saved.stat().st_size
    if out.json_mode:
        out.json({"id": summary.id, "path": str(saved), "bytes": size})
    else:
        out.line(str(saved))
    return exits.OK


def _download_path(output: str | None, name: str) -> Path:
    """``output`` itself, or ``name`` in it when it is a folder (or ends with ``/``);
    ``name`` here without one. Blocking."""
    if not output:
        return Path.cwd() / name
    wanted = Path(output).expanduser()
    if wanted.is_dir() or output.endswith("/"):
        wanted.mkdir(parents=True, exist_ok=True)
        return wanted / name
    wanted.parent.mkdir(parents=True, exist_ok=True)
    return wanted


class _Progress:
    """A rich progress bar on stderr when it is a terminal; otherwise one line per wait
    to resume, so a log shows why a download took long."""

    def __init__(self, out: Output, name: str) -> None:
        self.out = out
        self.name = name
        self._bar: Any = None
        self._task: Any = None
        self._last_wait: int | None = None
        if out.err.isatty() and not out.json_mode:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=out.err, no_color=not out.err_colour),
                transient=False,
            )

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(self.name, total=None)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def report(self, progress: DownloadProgress) -> None:
        from core.downloads import DownloadState, progress_line

        waiting = progress.state in (DownloadState.WAITING, DownloadState.RESUMING)
        if self._bar is not None:
            description = self.name
            if waiting:
                description = f"{self.name}: {progress_line(progress)}"
            self._bar.update(
                self._task,
                completed=progress.received,
                total=progress.total,
                description=description,
            )
        elif progress.state is DownloadState.WAITING and progress.attempt != self._last_wait:
            self._last_wait = progress.attempt
            reason = f" ({progress.last_error})" if progress.last_error else ""
            self.out.note(f"{self.name}: {progress_line(progress)}{reason}")


async def remove(args: argparse.Namespace, target: Target, out: Output) -> int:
    question = f"Delete recording {args.recording} on {target.label}?"
    refused = await agreed(question, yes=args.yes, out=out, verb="deleting")
    if refused is not None:
        return refused
    await target.client.delete_recording(target.ref, args.recording)
    if out.json_mode:
        out.json({"id": args.recording, "deleted": True})
    else:
        out.note(f"Deleted {args.recording}.")
    return exits.OK
