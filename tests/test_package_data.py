"""An installed OneThing (a wheel, not this checkout) carries every file its code reads at run time."""

from __future__ import annotations

import configparser
from pathlib import Path

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
    data = {str(path.relative_to(ROOT)) for layer in ("domain", "application", "infrastructure", "web")
            for path in (ROOT / layer).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
            and path.suffix not in (".py", ".pyc", ".md")}  # code is packaged; notes are not
    assert "web/templates/ui/case/show.html" in data  # the walk sees the templates it is to check
    assert sorted(data - declared_package_data()) == []
