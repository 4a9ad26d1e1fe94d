"""The ``leap0-tui`` App: one desktop client, and the screen it opens first.

The command line that runs it is :mod:`tui.cli`. What the app opens depends on the settings:

* ``--url URL [--token T]`` (or a desktop-host profile): that desktop host;
* ``--sandbox ID``: that Leap0 sandbox's desktop;
* an API key (``LEAP0_API_KEY`` or a cloud profile) or desktop-host profiles: the fleet
  (:mod:`tui.screens.fleet`), every desktop the user can reach;
* ``--local N``: N local desktop hosts, started as child processes, in the fleet;
* nothing: the embedded local desktop, started as a child process (:mod:`tui.local`) and
  stopped when the app ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget

from tui.bindings import screen_actions
from tui.local import LocalHost, LocalHostError
from tui.shutdown import EXIT_GRACE, LoopSignals, exit_at_the_latest, exit_status
from tui.stylesheets import STYLES
from tui.themes import THEMES, colour_system, theme_for

if TYPE_CHECKING:
    from core.config import Settings
    from core.desktop import AsyncDesktopClient, SandboxRef
    from core.fleet_targets import SandboxRefFor

# core (pydantic, httpx) is imported only once the first frame is on screen: on a slow
# machine its imports alone take most of a second. See Leap0App._load.

__all__ = ["Leap0App"]

log = logging.getLogger("tui")

LOCAL_LABEL = "local desktop"

QUIT_HINT = "Press q to quit."


class Leap0App(App[None]):
    """One desktop client for the whole app; screens for picking and showing desktops."""

    TITLE = "leap0"
    CSS_PATH = [
        STYLES / "app.tcss",
        STYLES / "desktop.tcss",
        STYLES / "preview.tcss",
        STYLES / "fleet.tcss",
        STYLES / "fleet_grid.tcss",
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
        local_fleet: Sequence[LocalHost] = (),
        sandbox_ref: SandboxRefFor | None = None,
        image_renderer: type[Widget] | None = None,
        preview_paused: bool = False,
    ) -> None:
        """``local_host`` is started when the settings ask for the local desktop (mode
        ``local``) and stopped when the app unmounts; ``local_fleet`` hosts (``--local N``)
        are all started and shown in the fleet, and all stopped when the app unmounts.
        ``sandbox_ref`` says where the fleet finds a listed sandbox's desktop (default
        ``https://{id}.{sandbox_domain}``). ``image_renderer`` picks the preview's
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
        self.local_fleet = list(local_fleet)
        self.sandbox_ref = sandbox_ref
        self.image_renderer = image_renderer
        self.preview_paused = preview_paused
        self._client: AsyncDesktopClient | None = None
        self._exiting = False
        self._signals = LoopSignals()

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
        self._raise_colours()
        # SIGTERM and SIGHUP (terminal closed) end the app the normal way, so the local
        # desktop is stopped and the terminal restored.
        self._signals.install(self._on_signal)
        if self._settings is not None:
            self._apply_theme(self._settings.theme)
            self._start(self._settings)
        else:
            from tui.screens.starting import StartingScreen

            self.theme = theme_for(self.console.color_system, no_color=self.no_color)
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

            self._starting_failed(report("load settings", exc))
            return
        self._settings = settings
        self._apply_theme(settings.theme)
        self._start(settings)

    def _start(self, settings: Settings) -> None:
        from core.session import client_for

        self._client = client_for(settings)
        for problem in settings.problems:
            self.notify(problem, title="Configuration", severity="warning", markup=False)
        self._open_first_screen()

    async def on_unmount(self) -> None:
        self._exiting = True
        self._signals.remove()
        hosts = self._local_hosts()
        if hosts:
            await asyncio.gather(*(asyncio.to_thread(h.stop) for h in hosts))
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()

    def _raise_colours(self) -> None:
        """Draw with as many colours as the terminal's own answer (XTVERSION) says it has,
        where ``COLORTERM`` and ``TERM`` said fewer (``TERM=xterm`` in a kitty)."""
        from rich.console import COLOR_SYSTEMS

        from tui.graphics import terminal_answers

        found = self.console.color_system
        raised = colour_system(found, terminal_answers().name)
        if raised is not None and raised != found:
            log.info("the terminal says it has %s colours (TERM said %s)", raised, found)
            self.console._color_system = COLOR_SYSTEMS[raised]

    def _apply_theme(self, name: str | None) -> None:
        """The theme the settings name, else the one for the terminal's colours."""
        if name and name in self.available_themes:
            self.theme = name
            return
        fallback = theme_for(self.console.color_system, no_color=self.no_color)
        if name:
            self.notify(f"No theme named {name!r}; using {fallback}.", severity="warning")
        self.theme = fallback

    def _on_signal(self, sig: signal.Signals) -> None:
        log.info("received %s; exiting", sig.name)
        self._exiting = True
        exit_at_the_latest(EXIT_GRACE, self._stop_local_hosts, exit_status(sig.value))
        self.exit(return_code=exit_status(sig.value))

    def _local_hosts(self) -> list[LocalHost]:
        return [h for h in (self.local_host, *self.local_fleet) if h is not None]

    def _stop_local_hosts(self) -> None:
        for host in self._local_hosts():
            host.stop()

    # ── what opens first ──

    def _open_first_screen(self) -> None:
        from core.errors import Leap0Error
        from core.session import desktop_for
        from tui.screens.starting import StartingScreen

        settings = self.settings
        mode = settings.mode
        if self.local_fleet:
            if isinstance(self.screen, StartingScreen):
                self.screen.show_message(f"Starting {len(self.local_fleet)} local desktops…")
            else:
                self.push_screen(
                    StartingScreen(f"Starting {len(self.local_fleet)} local desktops…")
                )
            self._start_local_fleet()
        elif mode == "desktop":
            assert settings.desktop_url is not None
            try:
                target = desktop_for(settings)
                assert target is not None
            except Leap0Error as exc:
                self._starting_failed(str(exc))
                return
            self._show(self._desktop_screen(target, settings.desktop_url))
        elif mode == "sandbox":
            assert settings.sandbox_id is not None
            try:
                self.client.endpoint(settings.sandbox_id)
            except Leap0Error as exc:
                self._starting_failed(str(exc))
                return
            self._show(self._desktop_screen(settings.sandbox_id, settings.sandbox_id))
        elif mode == "fleet":
            self._show(self._fleet_screen())
        else:
            if isinstance(self.screen, StartingScreen):
                self.screen.show_message("Starting the local desktop…")
            else:
                self.push_screen(StartingScreen("Starting the local desktop…"))
            self._start_local_desktop()

    def _show(self, screen: Screen[None]) -> Awaitable[object]:
        """Open ``screen`` in place of the starting screen, or on top of whatever is shown
        (await the result to wait until it is mounted)."""
        from tui.screens.starting import StartingScreen

        if isinstance(self.screen, StartingScreen):
            return self.switch_screen(screen)
        return self.push_screen(screen)

    def _starting_failed(self, message: str) -> None:
        from tui.screens.starting import StartingScreen

        if not isinstance(self.screen, StartingScreen):
            self.push_screen(StartingScreen(""))
        screen = self.screen
        if isinstance(screen, StartingScreen):
            screen.show_failure(message, QUIT_HINT)

    def _fleet_screen(self, local: dict[str, tuple[str, str | None]] | None = None) -> Screen[None]:
        from tui.screens.fleet import FleetScreen

        return FleetScreen(
            self.client,
            self.settings,
            image_renderer=self.image_renderer,
            sandbox_ref=self.sandbox_ref,
            local=local,
        )

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
        await self._show(self._desktop_screen(target, LOCAL_LABEL))
        host.on_unexpected_exit(self._local_host_died)

    @work(exclusive=True, group="local-host", exit_on_error=False)
    async def _start_local_fleet(self) -> None:
        """Start every ``--local`` host at once; then open the fleet on those that started."""
        hosts = self.local_fleet
        started = await asyncio.gather(
            *(asyncio.to_thread(host.start) for host in hosts), return_exceptions=True
        )
        if self._exiting:
            return
        local: dict[str, tuple[str, str | None]] = {}
        for i, (host, desktop) in enumerate(zip(hosts, started, strict=True), 1):
            if isinstance(desktop, BaseException):
                log.warning("local desktop %d did not start: %s", i, desktop)
                self.notify(
                    f"local desktop {i}: {desktop}",
                    title="Local desktop",
                    severity="error",
                    markup=False,
                )
                continue
            local[f"local-{i}"] = (desktop.url, desktop.token)
            host.on_unexpected_exit(partial(self._local_host_died, host=host))
        if not local:
            self._local_failed("No local desktop started.")
            return
        log.info("local fleet ready: %s", ", ".join(local))
        await self._show(self._fleet_screen(local))

    def _local_failed(self, message: str) -> None:
        from tui.screens.starting import StartingScreen

        hint = (
            f"{QUIT_HINT} leap0-tui --url URL --token T opens another desktop host; "
            "with LEAP0_API_KEY set it lists your Leap0 sandboxes."
        )
        if isinstance(self.screen, StartingScreen):
            self.screen.show_failure(message, hint)
        self.notify(message, title="Local desktop", severity="error", markup=False)

    def _local_host_died(self, code: int | None, host: LocalHost | None = None) -> None:
        """(Thread) Say so if a local host (the one, or one of ``--local N``) dies while the
        app runs."""
        if self._exiting:
            return
        with contextlib.suppress(RuntimeError):  # the app's loop has closed meanwhile
            self.call_from_thread(self._local_host_exited, code, host or self.local_host)

    def _local_host_exited(self, code: int | None, host: LocalHost | None = None) -> None:
        if self._exiting or (host is not None and host.stopping):
            return
        log_path = host.log_path if host is not None else "the host log"
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
        yield from self._graphics_commands()

    # ── how the preview draws ──

    def _graphics_commands(self) -> Iterable[SystemCommand]:
        """One palette command per ``graphics`` mode: switch the preview at run time."""
        from core.defaults import GRAPHICS_CHOICES

        for choice in GRAPHICS_CHOICES:
            what = {
                "auto": "the best the terminal said it can show",
                "kitty": "kitty's graphics protocol (kitty, WezTerm, Ghostty, Konsole)",
                "sixel": "Sixel (xterm -ti vt340, mlterm, foot, WezTerm)",
                "symbols": "Unicode mosaics in colour (tmux, SSH, any terminal)",
                "halfcell": "half-blocks, two pixels a cell (the lightest)",
            }[choice]
            yield SystemCommand(
                f"Graphics: {choice}",
                f"Draw the preview with {what} (--graphics {choice})",
                partial(self.set_graphics, choice),
            )

    async def set_graphics(self, setting: str) -> None:
        """Draw every preview, and those opened later, the way ``setting`` says."""
        from tui.graphics import terminal_answers
        from tui.widgets.renderers import mode_of, renderer_for
        from tui.widgets.screen_preview import ScreenPreview

        renderer = renderer_for(setting)
        self.image_renderer = renderer
        from tui.widgets.fleet_grid import FleetGrid

        for screen in self.screen_stack:
            for preview in screen.query(ScreenPreview):
                await preview.set_renderer(renderer)
            for grid in screen.query(FleetGrid):
                await grid.set_renderer(renderer)
        mode = mode_of(renderer)
        said = f" ({terminal_answers().describe()})" if setting == "auto" else ""
        self.notify(f"The preview draws with {mode}{said}.", title="Graphics", markup=False)


def _import_screens() -> None:
    """Import what the first real screen needs (in a thread, after the first frame)."""
    import tui.screens.desktop
    import tui.screens.fleet  # noqa: F401
