"""Where the app's stylesheets are: ``styles/`` beside the package, or inside it once installed.

A checkout and an editable install (``./dev``) read the project's top-level ``styles/``; a
wheel ships the same files as the package data ``tui/styles/`` (``pyproject.toml`` maps
``styles/`` to the package ``tui.styles``). Found by path, not ``importlib.resources``: an
editable install cannot import ``tui.styles`` (setuptools' editable finder wants an
``__init__.py`` there), and a checkout on ``sys.path`` would be answered by any editable
install of another checkout in the same environment. Imports nothing but :mod:`pathlib`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STYLES"]


def _styles_dir() -> Path:
    package = Path(__file__).resolve().parent
    installed = package / "styles"
    return installed if installed.is_dir() else package.parent / "styles"


STYLES = _styles_dir()
"""The directory of the app-wide stylesheets (layout and theme): ``app.tcss`` and one per
screen."""
