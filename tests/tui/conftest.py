"""Fixtures for the dashboard's tests: the app on a desktop, and a fake desktop to break.

``local_host`` (the real desktop host, one per session) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget
from textual_image.widget import HalfcellImage

from core.config import Settings, load_settings
from tests.support.loopback import serve
from tests.tui.fake_desktop import StatefulDesktop
from tui.app import Leap0App


@pytest.fixture
def fake_desktop() -> Iterator[StatefulDesktop]:
    """A fake desktop served on loopback; its URL is ``fake_desktop.url``."""
    desktop = StatefulDesktop()
    with serve(desktop.app()) as url:
        desktop.url = url
        yield desktop


def settings_for(url: str, token: str | None, tmp_path: Path, **kwargs: object) -> Settings:
    """Settings that open ``url``, untouched by the user's config file and environment."""
    return load_settings(
        url=url,
        token=token,
        download_dir=tmp_path / "downloads",
        config_path=tmp_path / "no-config.toml",
        env={},
        **kwargs,  # type: ignore[arg-type]
    )


def make_app(url: str, token: str | None, tmp_path: Path, **kwargs: object) -> Leap0App:
    """The app on the desktop at ``url``, drawing the preview with half cells."""
    return Leap0App(
        settings_for(url, token, tmp_path),
        image_renderer=HalfcellImage,
        **kwargs,  # type: ignore[arg-type]
    )


async def wait_for(
    pilot: Pilot[object],
    condition: Callable[[], object],
    timeout: float = 10.0,  # noqa: ASYNC109 (a deadline for polling, not a call)
    what: str = "the condition",
) -> None:
    """Let the app run until ``condition()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.02)


WaitFor = Callable[..., Awaitable[None]]


async def answer_save_dialog(
    pilot: Pilot[Any], key: str, path: Path, replace: str | None = None
) -> None:
    """Press ``key``, give ``path`` in the save dialog and, when asked whether to replace a
    file, answer ``replace`` (``"y"`` or ``"n"``); return once both questions are gone."""
    from textual.widgets import Input

    from tui.screens.confirm import ConfirmScreen
    from tui.screens.save_file import SaveFileScreen

    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, SaveFileScreen), what="the dialog")
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    if replace is not None:
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press(replace)
    await wait_for(
        pilot,
        lambda: not isinstance(app.screen, ConfirmScreen | SaveFileScreen),
        what="the dialog closed",
    )


class WidgetApp(App[None]):
    """One widget alone on a screen, keeping every toast it is asked to show.

    ``focus`` is a selector inside the widget to focus on mount (default: the widget).
    """

    def __init__(self, widget: Widget, *, focus: str | None = None) -> None:
        super().__init__()
        self.widget = widget
        self._focus = focus
        self.toasts: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_mount(self) -> None:
        (self.widget.query_one(self._focus) if self._focus else self.widget).focus()

    def notify(self, message: str, **kwargs: Any) -> None:  # type: ignore[override]
        self.toasts.append((message, str(kwargs.get("severity", "information"))))
        super().notify(message, **kwargs)

    def toasted(self, text: str, severity: str | None = None) -> bool:
        return any(text in m and severity in (None, s) for m, s in self.toasts)
