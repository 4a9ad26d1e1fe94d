"""Settings: argument over environment over file over default; broken files reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import load_settings
from core.defaults import DEFAULT_BASE_URL, DEFAULT_SANDBOX_DOMAIN


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    s = load_settings(config_path=tmp_path / "missing.toml", env={})
    assert s.api_key is None
    assert s.base_url == DEFAULT_BASE_URL
    assert s.sandbox_domain == DEFAULT_SANDBOX_DOMAIN
    assert s.mode == "local"
    assert s.problems == ()


def test_precedence_argument_environment_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'api_key = "file-key"\nbase_url = "https://file.example"\n'
        'sandbox_domain = "file.example"\n',
    )
    env = {"LEAP0_API_KEY": "env-key", "LEAP0_BASE_URL": "https://env.example"}
    s = load_settings(config_path=path, env=env, api_key="arg-key")
    assert s.api_key == "arg-key"
    assert s.base_url == "https://env.example"
    assert s.sandbox_domain == "file.example"
    assert s.mode == "fleet"
    s = load_settings(config_path=path, env=env)
    assert s.api_key == "env-key"
    s = load_settings(config_path=path, env={})
    assert s.api_key == "file-key"
    assert s.base_url == "https://file.example"


def test_profiles_cloud_and_desktop(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'default_profile = "lab"\n'
        "[profiles.work]\n"
        'api_key = "work-key"\n'
        'sandbox_domain = "eu.sandbox.example"\n'
        "[profiles.lab]\n"
        'url = "http://127.0.0.1:8123"\n'
        'token = "lab-token"\n',
    )
    s = load_settings(config_path=path, env={})
    assert s.profile == "lab"
    assert (s.mode, s.desktop_url, s.desktop_token) == (
        "desktop",
        "http://127.0.0.1:8123",
        "lab-token",
    )
    s = load_settings(config_path=path, env={"LEAP0_PROFILE": "work"})
    assert (s.mode, s.api_key, s.sandbox_domain) == ("fleet", "work-key", "eu.sandbox.example")
    # The environment still beats the profile.
    s = load_settings(config_path=path, env={"LEAP0_PROFILE": "work", "LEAP0_API_KEY": "e"})
    assert s.api_key == "e"


def test_desktop_profiles_alone_open_the_fleet_and_alerts_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'alerts = "notify"\n[profiles.lab]\nurl = "http://127.0.0.1:8123"\ntoken = "t"\n',
    )
    s = load_settings(config_path=path, env={})
    assert (s.mode, s.alerts, list(s.desktop_profiles)) == ("fleet", "notify", ["lab"])
    assert load_settings(config_path=write(tmp_path, ""), env={}).mode == "local"
    s = load_settings(config_path=write(tmp_path, 'alerts = "loud"\n'), env={})
    assert s.alerts == "toast"
    assert len(s.problems) == 1 and "alerts" in s.problems[0]


def test_unknown_profile_is_reported_and_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.work]\napi_key = "k"\n')
    s = load_settings(config_path=path, env={}, profile="nope")
    assert s.profile is None
    assert s.api_key is None
    assert len(s.problems) == 1
    assert "no profile named 'nope'" in s.problems[0]
    assert "work" in s.problems[0]


def test_syntax_error_names_file_and_line_and_uses_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, 'api_key = "k"\n\nbase_url = = "x"\n')
    s = load_settings(config_path=path, env={})
    assert s.api_key is None
    assert s.base_url == DEFAULT_BASE_URL
    assert len(s.problems) == 1
    assert str(path) in s.problems[0]
    assert "line 3" in s.problems[0]


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ('api_key = "k"\npreview_interval = -1\n', 2, "preview_interval"),
        ('api_key = "k"\n\n[profiles.lab]\nurl = "http://x"\ntokn = "t"\n', 5, "tokn"),
        ('api_key = "k"\ncolour = "red"\n', 2, "colour"),
    ],
)
def test_bad_value_names_line_and_keeps_the_rest(
    tmp_path: Path, text: str, line: int, key: str
) -> None:
    path = write(tmp_path, text)
    s = load_settings(config_path=path, env={})
    assert s.api_key == "k"
    assert len(s.problems) == 1, s.problems
    assert f"{path}:{line}:" in s.problems[0]
    assert key in s.problems[0]


def test_config_path_from_environment_and_download_dir(tmp_path: Path) -> None:
    path = write(tmp_path, 'download_dir = "~/leap0-dl"\npreview_interval = 0.5\n')
    s = load_settings(env={"LEAP0_CONFIG": str(path)})
    assert s.config_path == path
    assert s.download_dir == Path("~/leap0-dl").expanduser()
    assert s.preview_interval == 0.5
    s = load_settings(env={"LEAP0_CONFIG": str(path), "LEAP0_DOWNLOAD_DIR": str(tmp_path)})
    assert s.download_dir == tmp_path


def test_explicit_url_and_sandbox_arguments(tmp_path: Path) -> None:
    s = load_settings(config_path=tmp_path / "none.toml", env={}, url="http://h:1", token="t")
    assert (s.mode, s.desktop_url, s.desktop_token) == ("desktop", "http://h:1", "t")
    s = load_settings(
        config_path=tmp_path / "none.toml", env={"LEAP0_API_KEY": "k"}, sandbox_id="sb"
    )
    assert (s.mode, s.sandbox_id) == ("sandbox", "sb")


def test_a_desktop_token_from_the_environment(tmp_path: Path) -> None:
    """LEAP0_DESKTOP_TOKEN keeps a desktop host's token off the command line (``ps``):
    an argument wins over it, and it over a profile's token."""
    path = write(
        tmp_path,
        '[profiles.lab]\nurl = "http://127.0.0.1:8123"\ntoken = "profile-token"\n',
    )
    env = {"LEAP0_DESKTOP_TOKEN": "env-token"}
    url = "http://127.0.0.1:9000"
    assert load_settings(config_path=path, env=env, url=url).desktop_token == "env-token"
    assert load_settings(config_path=path, env=env, url=url, token="arg").desktop_token == "arg"
    assert load_settings(config_path=path, env=env, profile="lab").desktop_token == "env-token"
    assert load_settings(config_path=path, env={}, profile="lab").desktop_token == "profile-token"
    # Not a desktop host: no desktop token at all.
    assert load_settings(config_path=path, env=env).desktop_token is None


def test_download_retry_seconds_from_the_file(tmp_path: Path) -> None:
    assert load_settings(config_path=tmp_path / "none.toml", env={}).download_retry_seconds == 300
    path = write(tmp_path, "download_retry_seconds = 0\n")
    assert load_settings(config_path=path, env={}).download_retry_seconds == 0
    path = write(tmp_path, "download_retry_seconds = -1\n")
    s = load_settings(config_path=path, env={})
    assert s.download_retry_seconds == 300
    assert any("download_retry_seconds" in p for p in s.problems)


def test_graphics_from_argument_environment_file_and_default(tmp_path: Path) -> None:
    none = tmp_path / "none.toml"
    assert load_settings(config_path=none, env={}).graphics == "auto"
    path = write(tmp_path, 'graphics = "sixel"\n')
    assert load_settings(config_path=path, env={}).graphics == "sixel"
    env = {"LEAP0_GRAPHICS": "symbols"}
    assert load_settings(config_path=path, env=env).graphics == "symbols"
    assert load_settings(config_path=path, env=env, graphics="kitty").graphics == "kitty"


def test_a_graphics_mode_that_does_not_exist_is_reported_and_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, 'graphics = "iterm"\n')
    settings = load_settings(config_path=path, env={"LEAP0_GRAPHICS": "blocks"})
    assert settings.graphics == "auto"
    assert any("LEAP0_GRAPHICS='blocks'" in p and "halfcell" in p for p in settings.problems)
    assert any(p.startswith(f"{path}:1: graphics") for p in settings.problems), settings.problems
