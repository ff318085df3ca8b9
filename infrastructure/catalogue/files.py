"""Reading bundle files: the sample catalogue shipped with OneThing, or a file given by path."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

SAMPLE_PACKAGE = "infrastructure.catalogue"
SAMPLE_FOLDER = "sample_catalogue"


class BundleFileError(Exception):
    """Raised when a bundle file cannot be read or is not JSON."""


def read_bundle_file(path: str | Path) -> Any:
    """Return the parsed JSON of a bundle file, or raise ``BundleFileError`` saying why not."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise BundleFileError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise BundleFileError(f"{path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise BundleFileError(f"{path} is not valid JSON: {where}: {error.msg}") from None


SAMPLE_RULES_FOLDER = "sample_rules"


def sample_catalogue() -> dict[str, Any]:
    """Return every shipped sample bundle file, by file name."""
    return _shipped_json(SAMPLE_FOLDER)


def sample_rules() -> dict[str, Any]:
    """Return every shipped sample decision file (GoRules JDM, or a map of them), by file name."""
    return _shipped_json(SAMPLE_RULES_FOLDER)


def _shipped_json(name: str) -> dict[str, Any]:
    """Every JSON file of a folder shipped as package data, parsed, by file name."""
    folder = resources.files(SAMPLE_PACKAGE) / name
    return {
        entry.name: json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    }
