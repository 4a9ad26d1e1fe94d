"""What an install gives a user: the package holds everything the app reads at run time.

The stylesheets live in the top-level ``styles/``; a wheel (``pip install .``) ships them
inside the package, a checkout and an editable install (``./dev``) read them where they are.
Each kind is checked in an interpreter of its own (``-I -S``: no ``PYTHONPATH``, no site
packages, so no other install of the project can answer).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tui.app import Leap0App
from tui.stylesheets import STYLES

ROOT = Path(__file__).resolve().parent.parent

SHEETS = [Path(p).name for p in Leap0App.CSS_PATH]  # type: ignore[union-attr]


def copy_source(dest: Path) -> Path:
    """What the sdist would hold: setuptools writes build/ and egg-info into the tree."""
    dest.mkdir(exist_ok=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    for folder in ("core", "tui", "styles"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-deps", "--no-build-isolation", "-q"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def styles_seen_by(setup: str, cwd: Path) -> Path:
    """``tui.stylesheets.STYLES`` in a bare interpreter whose ``sys.path`` ``setup`` sets."""
    code = f"import sys, site\n{setup}\nfrom tui.stylesheets import STYLES\nprint(STYLES)"
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        cwd=cwd, check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return Path(out.stdout.strip())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = copy_source(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("wheel")
    pip("wheel", "-w", str(out), str(src))
    (built,) = out.glob("leap0_tui-*.whl")
    return built


def test_the_app_loads_every_stylesheet_of_the_checkout() -> None:
    assert STYLES == ROOT / "styles"
    assert sorted(SHEETS) == sorted(p.name for p in STYLES.glob("*.tcss"))
    for path in Leap0App.CSS_PATH:  # type: ignore[union-attr]
        assert Path(path).is_file(), path


def test_every_package_of_the_checkout_is_listed_for_the_wheel() -> None:
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("core", "tui")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert set(listed["packages"]) == packages | {"tui.styles"}


def test_the_wheel_ships_every_stylesheet_the_app_loads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SHEETS:
        assert f"tui/styles/{name}" in names


def test_the_wheel_ships_the_viewer_page(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    page = ROOT / "core" / "host" / "viewer_page"
    for path in page.iterdir():
        assert f"core/host/viewer_page/{path.name}" in names


def test_the_wheel_has_the_console_script_and_both_packages(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "leap0-tui = tui.__main__:main" in archive.read(entry_points).decode()
    assert "core/host/app.py" in names
    assert "tui/app.py" in names


def test_an_installed_wheel_finds_its_stylesheets(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip("install", "--target", str(target), str(wheel))
    styles = styles_seen_by(f"sys.path.insert(0, {str(target)!r})", cwd=tmp_path)
    assert styles == target / "tui" / "styles"
    for name in SHEETS:
        assert (styles / name).is_file(), name


def test_an_editable_install_finds_the_top_level_stylesheets(tmp_path: Path) -> None:
    src = copy_source(tmp_path / "src")
    prefix = tmp_path / "prefix"
    # --ignore-installed: without it pip first uninstalls the project from the environment
    # running the tests (the developer's own editable install, and its leap0-tui command).
    pip("install", "--ignore-installed", "--prefix", str(prefix), "-e", str(src))
    site_dir = sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)})
    styles = styles_seen_by(f"site.addsitedir({site_dir!r})", cwd=tmp_path)
    assert styles == src / "styles"
    for name in SHEETS:
        assert (styles / name).is_file(), name
