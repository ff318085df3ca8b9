"""Where a file with a given SHA-256 lives in a store: ``ab/cd/<sha256>``, the same in a folder and a bucket."""

from __future__ import annotations

import re

from application.materials.files import FileMissing

_DIGEST = re.compile(r"[0-9a-f]{64}")


def is_digest(name: str) -> bool:
    """Whether ``name`` is a SHA-256 as the stores name files (64 lowercase hex digits)."""
    return _DIGEST.fullmatch(name) is not None


def relative_key(sha256: str) -> str:
    """``ab/cd/<sha256>``; raises ``FileMissing`` for anything but a SHA-256 (never a path of the caller's)."""
    if not is_digest(sha256):
        raise FileMissing(f"no stored file {sha256[:80]!r}: a stored file is named by its SHA-256 (64 hex digits)")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"
