"""Every file the package reads at run time is shipped in its wheel.

setuptools puts only ``.py`` files into a wheel unless ``[tool.setuptools.package-data]`` names
the others; a data file missing there works from the source tree (and in an editable install)
but not once installed. Checked here against the files git tracks, without building a wheel
(that needs a build backend fetched from the registry).
"""

import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "microneedling"


def _tracked_non_python() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "--", "."],
            cwd=PACKAGE,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [line for line in out.splitlines() if line and not line.endswith(".py")]


def test_every_tracked_data_file_is_declared_as_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["microneedling"]
    files = _tracked_non_python()
    assert len(files) > 50  # the data files, models, templates, static files
    missing = [f for f in files if not any(fnmatch(f, p) for p in patterns)]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_the_patterns_do_not_reach_into_subfolders_unnoticed() -> None:
    """fnmatch's ``*`` crosses ``/`` while setuptools' glob does not: no tracked file may need
    that to be matched."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["microneedling"]
    for f in _tracked_non_python():
        matching = [p for p in patterns if fnmatch(f, p)]
        assert any(p.count("/") == f.count("/") for p in matching), f
