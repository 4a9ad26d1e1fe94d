"""Every action the user can take on a screen, found from the widgets' key bindings.

The command palette and the help screen both list what :func:`screen_actions` finds, so
an action with a binding is always offered in both, under the same words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from textual.actions import ActionError, parse
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

__all__ = ["ScreenAction", "screen_actions"]


@dataclass(frozen=True, slots=True)
class ScreenAction:
    """One bound action of one node (widget, screen or app)."""

    node: DOMNode
    binding: Binding
    group: str
    """What the action acts on, for grouping: the widget's border title or class name."""

    def _check(self) -> bool | None:
        try:
            namespace, name, params = parse(self.binding.action)
        except ActionError:
            return False
        if namespace:
            return True
        return self.node.check_action(name, params)

    @property
    def enabled(self) -> bool:
        """Whether the action can run now (``check_action`` said yes)."""
        return bool(self._check())

    @property
    def applies(self) -> bool:
        """Whether the action belongs on this screen at all: ``check_action`` did not say
        ``False`` (``None`` means "not now", e.g. "next match" before any search)."""
        return self._check() is not False


def _own_bindings(node: DOMNode) -> Iterator[Binding]:
    """The bindings declared by leap0-tui's classes in ``node``'s ancestry (not Textual's
    own scrolling and cursor keys), nearest class first, each action once."""
    seen: set[str] = set()
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("tui."):
            continue
        for item in cls.__dict__.get("BINDINGS", []):
            if not isinstance(item, Binding) or item.action in seen:
                continue
            seen.add(item.action)
            yield item


def _group(node: DOMNode) -> str:
    """``ProcessTable`` -> ``"Process table"``."""
    words = re.findall(r"[A-Z][a-z0-9]*", type(node).__name__) or [type(node).__name__]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def screen_actions(screen: Screen[object]) -> list[ScreenAction]:
    """The app's, the screen's, and every mounted widget's own bound actions.

    A widget class that appears several times (one log viewer per process) is listed once,
    for the instance that is displayed, if any.
    """
    found: list[ScreenAction] = []
    classes: set[type[DOMNode]] = set()
    nodes: list[DOMNode] = [screen.app, screen]
    widgets = [w for w in screen.walk_children(with_self=False) if isinstance(w, DOMNode)]
    widgets.sort(key=lambda w: not getattr(w, "display", True))  # displayed first
    nodes.extend(widgets)
    for node in nodes:
        if type(node) in classes:
            continue
        bindings = list(_own_bindings(node))
        if not bindings:
            continue
        classes.add(type(node))
        group = "App" if node is screen.app else _group(node)
        found.extend(ScreenAction(node, binding, group) for binding in bindings)
    return found
