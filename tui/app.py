"""The ``leap0-tui`` dashboard: the command line, the App, and what it opens first.

``run(argv)`` parses the command line, builds the settings once, sets up the debug log,
lets textual-image probe the terminal (it must happen before Textual owns the terminal)
and runs :class:`Leap0App`. What the app opens depends on the settings:

* ``--url URL [--token T]`` (or a desktop-host profile): that desktop host;
* ``--sandbox ID``: that Leap0 sandbox's desktop;
* an API key (``LEAP0_API_KEY`` or a cloud profile): the sandbox picker;
* nothing: the embedded local desktop, started as a child process (:mod:`tui.local`) and
  stopped when the app ends, however it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import logging
import logging.handlers
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

import platformdirs
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget

from tui.bindings import screen_actions
from tui.graphics import probe_terminal
from tui.local import LocalHost, LocalHostError
from tui.stylesheets import STYLES
from tui.themes import DEFAULT_THEME, THEMES

if TYPE_CHECKING:
    from core.config import Settings
    from core.desktop import AsyncDesktopClient, SandboxRef

# core (pydantic, httpx) is imported only once the first frame is on screen: on a slow
# machine its imports alone take most of a second. See Leap0App._load.

__all__ = ["Leap0App", "parse_args", "run"]

log = logging.getLogger("tui")

LOCAL_LABEL = "local desktop"


class Leap0App(App[None]):
    """One desktop client for the whole app; screens for picking and showing desktops."""

    TITLE = "leap0"
    CSS_PATH = [
        STYLES / "app.tcss",
        STYLES / "desktop.tcss",
        STYLES / "picker.tcss",
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "question_mark",
            "show_help",
            "Help",
            id="app.help",
            tooltip="Every key of this screen, and what it does",
        ),
        Binding(
            "q",
            "quit",
            "Quit",
            id="app.quit",
            tooltip="Quit leap0-tui (a local desktop it started is stopped)",
        ),
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        load_settings: Callable[[], Settings] | None = None,
        local_host: LocalHost | None = None,
        image_renderer: type[Widget] | None = None,
        preview_paused: bool = False,
    ) -> None:
        """``local_host`` is started when the settings ask for the local desktop (mode
        ``local``) and stopped when the app unmounts. ``image_renderer`` picks the preview's
        textual-image widget (tests use ``HalfcellImage``); ``preview_paused`` starts the
        preview paused.

        ``settings`` given, the first screen opens at once; otherwise ``load_settings`` is
        called in a thread after the first frame (``run`` does this, so the command paints
        before pydantic and httpx are even imported).
        """
        super().__init__()
        if settings is None and load_settings is None:
            raise ValueError("Leap0App needs settings or a way to load them")
        self._settings = settings
        self._load_settings = load_settings
        self.local_host = local_host
        self.image_renderer = image_renderer
        self.preview_paused = preview_paused
        self._client: AsyncDesktopClient | None = None
        self._exiting = False
        self._signals: list[signal.Signals] = []

    @property
    def settings(self) -> Settings:
        """The settings, built once at start-up (read-only)."""
        if self._settings is None:
            raise RuntimeError("the settings are not loaded yet")
        return self._settings

    @property
    def client(self) -> AsyncDesktopClient:
        """The one desktop client, created when the app starts and closed when it stops."""
        if self._client is None:
            raise RuntimeError("the app has not started")
        return self._client

    # ── lifecycle ──

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        self._install_signal_handlers()
        if self._settings is not None:
            self._apply_theme(self._settings.theme)
            self._start(self._settings)
        else:
            from tui.screens.starting import StartingScreen

            self.theme = DEFAULT_THEME
            self.push_screen(StartingScreen("Starting…"))
            self._load()

    @work(exclusive=True, group="load", exit_on_error=False)
    async def _load(self) -> None:
        """Build the settings (importing core) in a thread, then open the first screen."""
        assert self._load_settings is not None
        try:
            settings = await asyncio.to_thread(self._load_settings)
            # The screens' modules (and textual-image's widgets) are big imports too.
            await asyncio.to_thread(_import_screens)
        except Exception as exc:
            from tui.failures import report

            self._starting_failed(report("load settings", exc), "Press q to quit.")
            return
        self._settings = settings
        self._apply_theme(settings.theme)
        self._start(settings)

    def _start(self, settings: Settings) -> None:
        from core.desktop import AsyncDesktopClient
        from core.transport import AsyncTransport

        transport = AsyncTransport(api_key=settings.api_key, base_url=settings.base_url)
        self._client = AsyncDesktopClient(transport, sandbox_domain=settings.sandbox_domain)
        for problem in settings.problems:
            self.notify(problem, title="Configuration", severity="warning", markup=False)
        self._open_first_screen()

    async def on_unmount(self) -> None:
        self._exiting = True
        self._remove_signal_handlers()
        if self.local_host is not None:
            await asyncio.to_thread(self.local_host.stop)
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()

    def _apply_theme(self, name: str | None) -> None:
        if name and name in self.available_themes:
            self.theme = name
            return
        if name:
            self.notify(f"No theme named {name!r}; using {DEFAULT_THEME}.", severity="warning")
        self.theme = DEFAULT_THEME

    def _install_signal_handlers(self) -> None:
        """SIGTERM and SIGHUP (terminal closed) end the app the normal way, so the local
        desktop is stopped and the terminal restored."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._on_signal, sig)
                self._signals.append(sig)

    def _remove_signal_handlers(self) -> None:
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            for sig in self._signals:
                loop.remove_signal_handler(sig)
        self._signals.clear()

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("received %s; exiting", sig.name)
        self._exiting = True
        self.exit(return_code=128 + sig.value)

    # ── what opens first ──

    def _open_first_screen(self) -> None:
        from core.desktop import DesktopTarget
        from core.errors import Leap0Error
        from tui.screens.picker import PickerScreen
        from tui.screens.starting import StartingScreen

        settings = self.settings
        mode = settings.mode
        if mode == "desktop":
            assert settings.desktop_url is not None
            try:
                target = DesktopTarget(
                    settings.desktop_url, settings.desktop_token, name=settings.desktop_url
                )
            except Leap0Error as exc:
                self._starting_failed(str(exc), "Press q to quit.")
                return
            self._show(self._desktop_screen(target, settings.desktop_url))
        elif mode == "sandbox":
            assert settings.sandbox_id is not None
            try:
                self.client.endpoint(settings.sandbox_id)
            except Leap0Error as exc:
                self._starting_failed(str(exc), "Press q to quit.")
                return
            self._show(self._desktop_screen(settings.sandbox_id, settings.sandbox_id))
        elif mode == "picker":
            self._show(PickerScreen(self.client, settings, image_renderer=self.image_renderer))
        else:
            if isinstance(self.screen, StartingScreen):
                self.screen.show_message("Starting the local desktop…")
            else:
                self.push_screen(StartingScreen("Starting the local desktop…"))
            self._start_local_desktop()

    def _show(self, screen: Screen[None]) -> None:
        """Open ``screen`` in place of the starting screen, or on top of whatever is shown."""
        from tui.screens.starting import StartingScreen

        if isinstance(self.screen, StartingScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def _starting_failed(self, message: str, hint: str) -> None:
        from tui.screens.starting import StartingScreen

        if not isinstance(self.screen, StartingScreen):
            self.push_screen(StartingScreen(""))
        screen = self.screen
        if isinstance(screen, StartingScreen):
            screen.show_failure(message, hint)

    def _desktop_screen(self, target: SandboxRef, label: str) -> Screen[None]:
        from tui.screens.desktop import DesktopScreen

        return DesktopScreen(
            self.client,
            target,
            self.settings,
            label=label,
            image_renderer=self.image_renderer,
            preview_paused=self.preview_paused,
        )

    @work(exclusive=True, group="local-host", exit_on_error=False)
    async def _start_local_desktop(self) -> None:
        """Start the local host in a thread; then show its desktop, or say why not."""
        from tui.screens.starting import StartingScreen

        host = self.local_host
        if host is None:
            self._local_failed("No local desktop host was configured.")
            return
        try:
            desktop = await asyncio.to_thread(host.start)
        except LocalHostError as exc:
            log.warning("local desktop did not start: %s", exc)
            self._local_failed(str(exc))
            return
        except Exception as exc:
            from tui.failures import report

            self._local_failed(report("start local desktop", exc))
            return
        if self._exiting:
            return
        log.info("local desktop ready at %s (host pid %s)", desktop.url, desktop.pid)
        from core.desktop import DesktopTarget

        target = DesktopTarget(desktop.url, desktop.token, name=LOCAL_LABEL)
        screen = self._desktop_screen(target, LOCAL_LABEL)
        if isinstance(self.screen, StartingScreen):
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)
        host.on_unexpected_exit(self._local_host_died)

    def _local_failed(self, message: str) -> None:
        from tui.screens.starting import StartingScreen

        hint = (
            "Press q to quit. leap0-tui --url URL --token T opens another desktop host; "
            "with LEAP0_API_KEY set it lists your Leap0 sandboxes."
        )
        if isinstance(self.screen, StartingScreen):
            self.screen.show_failure(message, hint)
        self.notify(message, title="Local desktop", severity="error", markup=False)

    def _local_host_died(self, code: int | None) -> None:
        """(Thread) Say so if the local host dies while the app runs."""
        if self._exiting:
            return
        with contextlib.suppress(RuntimeError):  # the app's loop has closed meanwhile
            self.call_from_thread(self._local_host_exited, code)

    def _local_host_exited(self, code: int | None) -> None:
        if self._exiting or (self.local_host is not None and self.local_host.stopping):
            return
        log_path = self.local_host.log_path if self.local_host is not None else "the host log"
        self.notify(
            f"The local desktop host exited (code {code}); see {log_path}.",
            title="Local desktop",
            severity="error",
            timeout=30,
            markup=False,
        )

    # ── help and the command palette ──

    def action_show_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own commands, then every bound action of the screen."""
        yield from super().get_system_commands(screen)
        for item in screen_actions(screen):
            if item.node is self or not item.enabled:
                continue
            binding = item.binding
            key = self.get_key_display(binding)
            title = f"{item.group}: {binding.description or binding.action}"
            help_text = f"{binding.tooltip} (key: {key})" if binding.tooltip else f"key: {key}"
            yield SystemCommand(
                title, help_text, partial(self.run_action, binding.action, item.node)
            )
        yield SystemCommand(
            "Help", "Every key of this screen, and what it does (key: ?)", self.action_show_help
        )


# ── the command line ──


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line; exits with usage (status 2) for a malformed one."""
    parser = argparse.ArgumentParser(
        prog="leap0-tui",
        description=(
            "A terminal dashboard for Leap0 sandbox desktops. Without an API key it starts "
            "a desktop on this machine and shows it."
        ),
        epilog=(
            "Environment: LEAP0_API_KEY, LEAP0_BASE_URL, LEAP0_SANDBOX_DOMAIN, LEAP0_PROFILE, "
            "LEAP0_DOWNLOAD_DIR, LEAP0_CONFIG. 'leap0-tui host --help' runs the desktop host."
        ),
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--sandbox", metavar="ID", help="open this Leap0 sandbox's desktop")
    target.add_argument("--url", metavar="URL", help="open the desktop host at this URL")
    parser.add_argument("--token", metavar="T", help="bearer token for --url")
    parser.add_argument("--profile", metavar="NAME", help="use this profile of the config file")
    parser.add_argument(
        "--download-dir", metavar="DIR", type=Path, help="where downloads and saved files go"
    )
    args = parser.parse_args(list(argv))
    if args.token and not args.url:
        parser.error("--token needs --url")
    return args


def _setup_logging() -> Path | None:
    """Send log records to ``leap0-tui.log`` in the state directory, never to the terminal."""
    root = logging.getLogger()
    level = logging.DEBUG if os.environ.get("LEAP0_DEBUG") else logging.INFO
    path: Path | None = _state_dir() / "leap0-tui.log"
    try:
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=2, encoding="utf-8"
        )
    except OSError:
        handler, path = logging.NullHandler(), None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def run(argv: Sequence[str]) -> int:
    """``leap0-tui [--sandbox ID | --url URL [--token T]] [--profile NAME]``; the exit status.

    Paints the first frame before anything heavy is imported: the settings (pydantic) and
    the client (httpx) are loaded by the app in a thread, behind a loading indicator.
    """
    args = parse_args(argv)
    if args.url and not _looks_like_http_url(args.url):
        print(f"leap0-tui: --url {args.url!r} is not an http:// or https:// URL", file=sys.stderr)
        return 2
    log_path = _setup_logging()
    log.info("leap0-tui starting (log %s)", log_path)
    probe_terminal()

    def load() -> Settings:
        from core.config import load_settings

        settings = load_settings(
            profile=args.profile,
            url=args.url,
            token=args.token,
            sandbox_id=args.sandbox,
            download_dir=args.download_dir,
        )
        log.info("settings loaded: mode %s", settings.mode)
        return settings

    # The host is only started if the settings ask for the local desktop.
    host = LocalHost(log_path=_state_dir() / "host.log")
    atexit.register(host.stop)
    _stop_host_on_signals(host)
    app = Leap0App(load_settings=load, local_host=host)
    try:
        app.run()
    finally:
        # asyncio put the default handlers back when its loop closed.
        _stop_host_on_signals(host)
        host.stop()
    if app.return_code:
        return app.return_code
    return 0


def _looks_like_http_url(url: str) -> bool:
    """A quick check for the command line; core validates the URL fully later."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _state_dir() -> Path:
    """The user's state directory for leap0-tui (as ``core.config.state_dir``, without
    importing core before the first frame)."""
    return platformdirs.user_state_path("leap0-tui")


def _import_screens() -> None:
    """Import what the first real screen needs (in a thread, after the first frame)."""
    import tui.screens.desktop
    import tui.screens.picker  # noqa: F401


def _stop_host_on_signals(host: LocalHost) -> None:
    """Outside the app's event loop, SIGTERM and SIGHUP stop the host, then exit."""

    def stop(signum: int, frame: FrameType | None) -> None:
        host.stop()
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, stop)
