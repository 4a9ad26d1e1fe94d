"""The host's token: from a file, the environment or the command line, in that order, and
never on the command line of anything the host starts."""

from __future__ import annotations

import base64
import contextlib
import subprocess
import sys
from pathlib import Path

import pytest

from core.host.auth_token import (
    GENERATED_TOKEN_BYTES,
    MIN_TOKEN_LENGTH_BEYOND_LOOPBACK,
    TOKEN_ENV,
    HostToken,
    HostTokenError,
    check_strength,
    choose_token,
)
from core.host.network import binds_loopback
from tests.conftest import StartHost
from tests.host.harness import REPO, started_processes


def token_file(tmp_path: Path, text: str = "from-the-file-0123456789\n", mode: int = 0o600) -> Path:
    path = tmp_path / "host.token"
    path.write_text(text)
    path.chmod(mode)
    return path


def run_host(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m core.host ARGS`` for what it refuses before starting anything."""
    return subprocess.run(
        [sys.executable, "-m", "core.host", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


# ── where the token comes from ──


def test_the_file_comes_first_then_the_environment_then_the_command_line(
    tmp_path: Path,
) -> None:
    path = token_file(tmp_path)
    env = {TOKEN_ENV: "from-the-environment"}

    chosen = choose_token(path, "from-the-command-line", env)
    assert (chosen.token, chosen.source, chosen.warnings) == (
        "from-the-file-0123456789",
        f"--token-file {path}",
        (),
    )
    chosen = choose_token(None, None, env)
    assert (chosen.token, chosen.warnings) == ("from-the-environment", ())
    chosen = choose_token(None, "from-the-command-line", env)
    assert chosen.token == "from-the-environment"
    assert chosen.warnings == (f"--token ignored: ${TOKEN_ENV} gives the token",)
    chosen = choose_token(None, "from-the-command-line", {})
    assert chosen.token == "from-the-command-line"
    assert len(chosen.warnings) == 1
    assert chosen.warnings[0].startswith("--token is visible to every user of this machine")
    assert "--token-file" in chosen.warnings[0] and TOKEN_ENV in chosen.warnings[0]
    generated = choose_token(None, None, {TOKEN_ENV: ""})
    assert generated.generated and generated.warnings == ()
    assert generated.token != choose_token(None, None, {}).token


def test_a_token_file_others_can_read_is_used_with_the_dashboards_warning(
    tmp_path: Path,
) -> None:
    path = token_file(tmp_path, mode=0o644)

    chosen = choose_token(path, None, {})

    assert chosen.token == "from-the-file-0123456789"
    assert len(chosen.warnings) == 1
    assert "readable by other users" in chosen.warnings[0]
    assert f"chmod 600 {path}" in chosen.warnings[0]


@pytest.mark.parametrize("problem", ["missing", "empty", "a directory"])
def test_a_token_file_that_gives_no_token_is_refused_with_status_2(
    problem: str, tmp_path: Path
) -> None:
    path = tmp_path / "host.token"
    if problem == "empty":
        path.write_text("\n")
    elif problem == "a directory":
        path.mkdir()
    with pytest.raises(HostTokenError, match=str(path)):
        choose_token(path, None, {TOKEN_ENV: "not used when a file is named"})

    result = run_host("--token-file", str(path))

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("leap0-tui host: ") and result.stderr.count("\n") == 1
    assert str(path) in result.stderr


def test_token_and_token_file_exclude_each_other_and_help_shows_the_file_first() -> None:
    both = run_host("--token-file", "f", "--token", "t")
    assert both.returncode == 2 and "not allowed with" in both.stderr

    usage = run_host("--help")
    assert usage.returncode == 0
    assert usage.stdout.index("--token-file PATH") < usage.stdout.index("--token T")
    assert TOKEN_ENV in usage.stdout


def test_no_process_the_host_starts_has_the_token_of_its_file_in_its_arguments(
    start_extra_host: StartHost, tmp_path: Path
) -> None:
    """Every local user can read every command line: with ``--token-file`` the token is in
    the host's ready line (a pipe) and in no process's arguments, the host's own included."""
    path = token_file(tmp_path)

    host = start_extra_host(args=["--token-file", str(path)])

    assert host.token == "from-the-file-0123456789"
    lines: dict[int, bytes] = {}
    for pid in {host.pid, *started_processes(host)}:
        with contextlib.suppress(OSError):
            lines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    everything = b" ".join(lines.values())
    assert all(name in everything for name in (b"Xvfb", b"x11vnc", b"websockify")), lines
    assert host.token.encode() not in everything
    assert b"--token " not in everything
    assert "visible to every user" not in host.log_tail()


# ── strong enough for where the host listens ──


def test_a_generated_token_carries_at_least_128_random_bits() -> None:
    assert GENERATED_TOKEN_BYTES * 8 >= 128
    token = choose_token(None, None, {}).token
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) == GENERATED_TOKEN_BYTES  # every character is random, none is padding
    assert len(token) >= MIN_TOKEN_LENGTH_BEYOND_LOOPBACK
    check_strength(choose_token(None, None, {}), "0.0.0.0", loopback=False)


@pytest.mark.parametrize(
    ("bind", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("no-such-host.invalid", False)],
)  # fmt: skip
def test_which_binds_are_loopback(bind: str, loopback: bool) -> None:
    assert binds_loopback(bind) is loopback


def test_beyond_loopback_a_given_token_needs_16_characters_on_loopback_none() -> None:
    short = "x" * (MIN_TOKEN_LENGTH_BEYOND_LOOPBACK - 1)
    for source in ("--token", f"${TOKEN_ENV}", "--token-file /somewhere"):
        with pytest.raises(HostTokenError) as refused:
            check_strength(HostToken(short, source), "0.0.0.0", loopback=False)
        message = str(refused.value)
        assert "\n" not in message and short not in message
        assert f"{len(short)} characters ({source})" in message and "--bind 0.0.0.0" in message
        assert f"at least {MIN_TOKEN_LENGTH_BEYOND_LOOPBACK} characters" in message
        check_strength(HostToken(short + "x", source), "0.0.0.0", loopback=False)
        check_strength(HostToken("t", source), "127.0.0.1", loopback=True)


@pytest.mark.parametrize("given", ["--token", "--token-file"])
def test_a_host_beyond_loopback_with_a_short_token_is_refused_before_it_starts(
    given: str, tmp_path: Path
) -> None:
    value = "short-token" if given == "--token" else str(token_file(tmp_path, "short-token\n"))

    result = run_host("--bind", "0.0.0.0", "--port", "0", given, value)

    assert result.returncode == 2
    assert result.stdout == ""
    refusal = result.stderr.splitlines()[-1]
    assert refusal.startswith("leap0-tui host: a token of 11 characters")
    assert "too weak for --bind 0.0.0.0" in refusal and "short-token" not in refusal
