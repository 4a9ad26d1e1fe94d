"""What `pip install .` gives a user: the wheel holds everything the app reads at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tui.app import Leap0App

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    # Build from a copy of what the sdist would hold: setuptools writes build/ into the tree.
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("core", "tui"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (built,) = out.glob("leap0_tui-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_ships_every_stylesheet_the_app_loads(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    css_paths = [Path(p) for p in Leap0App.CSS_PATH]  # type: ignore[union-attr]
    assert css_paths
    for path in css_paths:
        assert path.exists(), path
        assert path.relative_to(ROOT).as_posix() in names


def test_the_wheel_has_the_console_script_and_both_packages(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "leap0-tui = tui.__main__:main" in wheel.read(entry_points).decode()
    assert "core/host/app.py" in names
    assert "tui/app.py" in names
