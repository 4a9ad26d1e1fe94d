"""Settings: which desktops to talk to, and how, built once at start-up.

Each setting comes from the first of these that has it:

1. an explicit argument (the command line);
2. the environment: ``LEAP0_API_KEY``, ``LEAP0_BASE_URL``, ``LEAP0_SANDBOX_DOMAIN``,
   ``LEAP0_DESKTOP_TOKEN`` (a desktop host's token), ``LEAP0_GRAPHICS`` (and ``LEAP0_PROFILE``,
   ``LEAP0_DOWNLOAD_DIR``, ``LEAP0_CONFIG`` for the file's path);
3. the config file, ``config.toml`` in the user's config directory, and in it the chosen
   profile over the file's top level;
4. the defaults below.

A profile is either *cloud* (an API key, with optional base URL and sandbox domain) or a
*desktop host* (``url`` and ``token`` of a self-hosted desktop)::

    default_profile = "work"
    download_dir = "~/Videos/leap0"
    download_retry_seconds = 300   # how long a cut download keeps trying to resume
    graphics = "auto"              # the preview: auto, kitty, sixel, symbols or halfcell

    [profiles.work]
    api_key = "lp0_..."

    [profiles.lab]
    url = "http://127.0.0.1:8123"
    token = "..."

A broken file never stops the program: :func:`load_settings` keeps the defaults for
what it could not read and reports each problem as one line naming the file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.config_file import ConfigFileError, default_config_path, read_toml
from core.config_file import config_path as config_file_path
from core.defaults import (
    DEFAULT_BASE_URL,
    DEFAULT_DOWNLOAD_RETRY_SECONDS,
    DEFAULT_GRAPHICS,
    DEFAULT_PREVIEW_INTERVAL,
    DEFAULT_SANDBOX_DOMAIN,
    GRAPHICS_CHOICES,
    AlertSetting,
    GraphicsSetting,
)

__all__ = [
    "DEFAULT_SANDBOX_DOMAIN",
    "ConfigFile",
    "Profile",
    "Settings",
    "default_config_path",
    "load_settings",
]


def default_download_dir() -> Path:
    """Where downloads and saved screenshots go unless configured: ``~/Downloads/leap0``."""
    return platformdirs.user_downloads_path() / "leap0"


class Profile(BaseModel):
    """One ``[profiles.NAME]`` table: a cloud account or one desktop host."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: str | None = None
    base_url: str | None = None
    sandbox_domain: str | None = None
    url: str | None = Field(default=None, description="A self-hosted desktop's URL.")
    token: str | None = Field(default=None, description="That desktop's bearer token.")

    @property
    def kind(self) -> Literal["cloud", "desktop"]:
        return "desktop" if self.url else "cloud"


class ConfigFile(BaseModel):
    """What ``config.toml`` may hold. Unknown keys are refused, so typos are reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_profile: str | None = None
    api_key: str | None = None
    base_url: str | None = None
    sandbox_domain: str | None = None
    download_dir: Path | None = None
    preview_interval: float | None = Field(default=None, gt=0, le=3600)
    download_retry_seconds: float | None = Field(default=None, ge=0, le=7 * 24 * 3600)
    theme: str | None = None
    graphics: GraphicsSetting | None = None
    alerts: AlertSetting | None = None
    profiles: dict[str, Profile] = {}


class Settings(BaseModel):
    """Everything the app needs to know at start-up; read-only once built.

    ``desktop_url`` set means "open this desktop host"; ``sandbox_id`` set means "open
    this cloud sandbox"; otherwise an ``api_key`` means "pick among the account's
    sandboxes", and no key at all means "start the embedded local desktop".
    ``problems`` holds one line per thing in the config file that could not be used.
    """

    model_config = ConfigDict(frozen=True)

    api_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    sandbox_domain: str = DEFAULT_SANDBOX_DOMAIN
    profile: str | None = None
    desktop_url: str | None = None
    desktop_token: str | None = None
    sandbox_id: str | None = None
    download_dir: Path = Field(default_factory=default_download_dir)
    preview_interval: float = DEFAULT_PREVIEW_INTERVAL
    download_retry_seconds: float = DEFAULT_DOWNLOAD_RETRY_SECONDS
    """How long a download cut by the network keeps trying to resume, in seconds (0: not
    at all); see :func:`core.downloads.download_recording_to`."""
    theme: str | None = None
    graphics: GraphicsSetting = DEFAULT_GRAPHICS
    """How the preview draws (:data:`core.defaults.GRAPHICS_CHOICES`); ``auto`` asks the
    terminal."""
    alerts: AlertSetting = "toast"
    """How the fleet says a desktop went wrong: ``toast``, ``bell`` (and a toast),
    ``notify`` (a desktop notification, OSC 777 / OSC 9, and a toast) or ``off``."""
    profiles: dict[str, Profile] = {}
    """The config file's profiles (the fleet follows those that name a desktop host)."""
    config_path: Path | None = None
    problems: tuple[str, ...] = ()

    @property
    def desktop_profiles(self) -> dict[str, Profile]:
        return {name: p for name, p in self.profiles.items() if p.url}

    @property
    def mode(self) -> Literal["desktop", "sandbox", "fleet", "local"]:
        """What the app opens first: one desktop when named, the fleet when there is an
        API key or a desktop-host profile, else the local desktop."""
        if self.desktop_url:
            return "desktop"
        if self.sandbox_id:
            return "sandbox"
        if self.api_key or self.desktop_profiles:
            return "fleet"
        return "local"


def _line_of(text: str, key: str) -> int | None:
    """The 1-based line where ``key`` is assigned or opens a table, if it can be found."""
    leaf = re.escape(key.split(".")[-1])
    pattern = re.compile(rf"^\s*(\[[^\]]*\b{leaf}\b[^\]]*\]|\"?{leaf}\"?\s*=)", re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def read_config_file(path: Path) -> tuple[ConfigFile, list[str]]:
    """Parse ``path``; return what could be used and one line per problem.

    A missing file is no problem. A TOML syntax error drops the whole file (its line is
    in the message); a bad value drops only that key.
    """
    try:
        read = read_toml(path)
    except ConfigFileError as exc:
        return ConfigFile(), [f"{exc}; using defaults"]
    if read is None:
        return ConfigFile(), []
    text, raw = read
    problems: list[str] = []
    # Drop each refused key and try again, so one typo does not lose the whole file.
    for _ in range(64):
        try:
            return ConfigFile.model_validate(raw), problems
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = [str(part) for part in err["loc"]]
                key = ".".join(loc)
                line = _line_of(text, key)
                where = f"{path}:{line}" if line else str(path)
                problems.append(f"{where}: {key}: {err['msg']}; ignored")
                _drop(raw, loc)
    return ConfigFile(), [*problems, f"{path}: too many problems; using defaults"]


def _drop(raw: dict[str, Any], loc: list[str]) -> None:
    node: Any = raw
    for part in loc[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict):
        node.pop(loc[-1], None)
    if len(loc) > 1 and isinstance(node, dict) and not node:
        _drop(raw, loc[:-1])


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def load_settings(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    sandbox_domain: str | None = None,
    profile: str | None = None,
    url: str | None = None,
    token: str | None = None,
    sandbox_id: str | None = None,
    download_dir: Path | None = None,
    graphics: str | None = None,
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build the :class:`Settings` from arguments, environment, config file and defaults.

    Never raises for a bad config file or an unknown profile: those become ``problems``
    and the defaults are used.
    """
    env = os.environ if env is None else env
    path = config_file_path(config_path, env)
    file, problems = read_config_file(path)

    profile_name = _first(profile, env.get("LEAP0_PROFILE"), file.default_profile)
    chosen = Profile()
    if profile_name:
        if profile_name in file.profiles:
            chosen = file.profiles[profile_name]
        else:
            known = ", ".join(sorted(file.profiles)) or "none defined"
            problems.append(f"{path}: no profile named {profile_name!r} ({known}); ignored")
            profile_name = None

    desktop_url = _first(url, chosen.url)
    from_env = env.get("LEAP0_GRAPHICS")
    if from_env and from_env not in GRAPHICS_CHOICES:
        problems.append(
            f"LEAP0_GRAPHICS={from_env!r} is not one of {', '.join(GRAPHICS_CHOICES)}; ignored"
        )
        from_env = None
    settings = Settings(
        api_key=_first(api_key, env.get("LEAP0_API_KEY"), chosen.api_key, file.api_key),
        base_url=_first(base_url, env.get("LEAP0_BASE_URL"), chosen.base_url, file.base_url)
        or DEFAULT_BASE_URL,
        sandbox_domain=_first(
            sandbox_domain,
            env.get("LEAP0_SANDBOX_DOMAIN"),
            chosen.sandbox_domain,
            file.sandbox_domain,
        )
        or DEFAULT_SANDBOX_DOMAIN,
        profile=profile_name,
        desktop_url=desktop_url,
        desktop_token=(
            _first(token, env.get("LEAP0_DESKTOP_TOKEN"), chosen.token) if desktop_url else None
        ),
        sandbox_id=sandbox_id,
        download_dir=Path(
            _first(download_dir, env.get("LEAP0_DOWNLOAD_DIR"), file.download_dir)
            or default_download_dir()
        ).expanduser(),
        preview_interval=file.preview_interval or DEFAULT_PREVIEW_INTERVAL,
        download_retry_seconds=(
            DEFAULT_DOWNLOAD_RETRY_SECONDS
            if file.download_retry_seconds is None
            else file.download_retry_seconds
        ),
        theme=file.theme,
        alerts=file.alerts or "toast",
        profiles=dict(file.profiles),
        graphics=_first(graphics, from_env, file.graphics) or DEFAULT_GRAPHICS,
        config_path=path,
        problems=tuple(problems),
    )
    return settings
