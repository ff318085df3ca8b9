"""An installed OneThing (a wheel, not this checkout) carries every file its code reads at run time."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def declared_package_data() -> set[str]:
    """The files the ``[options.package_data]`` globs of setup.cfg select, as paths from the checkout."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    selected: set[str] = set()
    for package, patterns in config["options.package_data"].items():
        for pattern in patterns.split():
            selected |= {str(path.relative_to(ROOT)) for path in (ROOT / package).glob(pattern) if path.is_file()}
    return selected


def test_every_template_catalogue_and_static_file_is_declared_package_data():
    try:
        listed = subprocess.run(["git", "ls-files", "domain", "application", "infrastructure", "web"], cwd=ROOT,
                                capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("git is not installed: the tracked files cannot be listed")
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    tracked = listed.stdout.split()
    data = {path for path in tracked if not path.endswith((".py", ".md"))}  # code is packaged; notes are not
    assert data, "no data files found: is this a git checkout?"
    assert sorted(data - declared_package_data()) == []
