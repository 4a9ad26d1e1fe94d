"""Where the config file and the state directory are, reading the file's TOML, and which
profiles it names: what the command line must know before the dashboard's first frame, so
nothing here imports pydantic or httpx.

:mod:`core.config` builds the full :class:`~core.config.Settings` from the same file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

__all__ = [
    "APP_NAME",
    "ConfigFileError",
    "config_path",
    "default_config_path",
    "profile_names",
    "read_toml",
    "state_dir",
]

APP_NAME = "leap0-tui"


class ConfigFileError(Exception):
    """The config file exists but cannot be read or is not TOML; the message is one line
    naming the file (and the line, for a syntax error)."""


def default_config_path() -> Path:
    """``config.toml`` in the user's config directory (``~/.config/leap0-tui`` on Linux)."""
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def state_dir() -> Path:
    """The user's state directory for leap0-tui (the debug log, the local host's log)."""
    return platformdirs.user_state_path(APP_NAME)


def config_path(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The config file to read: ``explicit``, else ``$LEAP0_CONFIG``, else the default."""
    env = os.environ if env is None else env
    path = explicit or (Path(env["LEAP0_CONFIG"]) if env.get("LEAP0_CONFIG") else None)
    return (path or default_config_path()).expanduser()


def profile_names(path: Path) -> list[str] | None:
    """The names of the ``[profiles.NAME]`` tables in ``path``, sorted; ``None`` when there
    is no such file.

    Only the TOML is read here: a profile whose values :mod:`core.config` refuses is still
    named. Raises :class:`ConfigFileError` for a file that cannot be read or parsed.
    """
    read = read_toml(path)
    if read is None:
        return None
    profiles = read[1].get("profiles")
    if not isinstance(profiles, dict):
        return []
    return sorted(name for name, table in profiles.items() if isinstance(table, dict))


def read_toml(path: Path) -> tuple[str, dict[str, Any]] | None:
    """The file's text and its TOML, or ``None`` when there is no such file.

    Raises :class:`ConfigFileError` for a file that cannot be read or is not TOML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read config ({exc})") from exc
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: {exc}") from exc
