"""The one way a file store reads an upload: in 1 MiB chunks into a private temporary file, hashing and
counting as it goes, stopping at once past the limit; then the type is decided from the content.

Both stores use it: the folder store renames the temporary file into place, the S3 store uploads it.
Whatever happens, the temporary file is gone when the ``spooled`` block ends.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from application.materials.files import FileTooLarge
from infrastructure.files.sniff import sniff

CHUNK = 1 << 20
TEMP_PREFIX = ".upload-"  # listings skip names starting with a dot


@dataclass(frozen=True)
class Spooled:
    """An upload read to its end: where it waits, its digest, size and media type."""

    path: Path
    sha256: str
    size: int
    media_type: str


@contextmanager
def spooled(stream: BinaryIO, max_bytes: int, directory: Path) -> Iterator[Spooled]:
    """Read ``stream`` into a temporary file (mode 0600) in ``directory`` and sniff it; the file is removed
    when the block ends unless it was moved away. Raises ``FileTooLarge`` or ``UnsupportedFileType``."""
    descriptor, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    path = Path(name)
    try:
        with os.fdopen(descriptor, "w+b") as out:
            sha256, size = copy_hashing(stream, out, max_bytes)
            out.flush()
            os.fsync(out.fileno())
            media_type = sniff(out)
        yield Spooled(path, sha256, size, media_type)
    finally:
        path.unlink(missing_ok=True)


def copy_hashing(stream: BinaryIO, out: BinaryIO | None, max_bytes: int | None = None) -> tuple[str, int]:
    """Copy ``stream`` into ``out`` (or only read it) in chunks; return its SHA-256 and size. Reads at most one
    byte past ``max_bytes`` and then raises ``FileTooLarge``."""
    sha = hashlib.sha256()
    size = 0
    while True:
        wanted = CHUNK if max_bytes is None else min(CHUNK, max_bytes - size + 1)
        chunk = stream.read(wanted)
        if not chunk:
            return sha.hexdigest(), size
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise FileTooLarge(f"the file is larger than the upload limit of {_limit(max_bytes)}; nothing was kept")
        sha.update(chunk)
        if out is not None:
            out.write(chunk)


def _limit(max_bytes: int) -> str:
    mb = max_bytes / (1 << 20)
    return f"{mb:g} MB ({max_bytes:,} bytes)" if mb >= 1 else f"{max_bytes:,} bytes"
