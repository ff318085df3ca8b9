"""``FolderFileStore``: files kept in a folder (default ``instance/files``) as ``ab/cd/<sha256>``.

An upload is read into a temporary file in the same folder (so the final rename is atomic), synced to disk,
then renamed into place; a file with the same digest already there is kept. Files are 0600, folders 0700.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from application.materials.files import FileEntry, FileMissing, StoredFile
from infrastructure.files.layout import is_digest, relative_key
from infrastructure.files.sniff import sniff
from infrastructure.files.spool import spooled

DEFAULT_ROOT = Path("instance") / "files"


class FolderFileStore:
    """A ``FileStore`` in a local folder."""

    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FolderFileStore({str(self.root)!r})"

    def put(self, stream: BinaryIO, max_bytes: int) -> StoredFile:
        """Keep ``stream``'s bytes under their SHA-256 (see ``FileStore.put``)."""
        self.root.parent.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(mode=0o700, exist_ok=True)
        with spooled(stream, max_bytes, self.root) as upload:
            target = self.root / relative_key(upload.sha256)
            if not target.exists():
                target.parent.parent.mkdir(mode=0o700, exist_ok=True)  # mkdir(parents=True) ignores mode above
                target.parent.mkdir(mode=0o700, exist_ok=True)
                os.replace(upload.path, target)
                _sync_directory(target.parent)
            else:  # kept again: new, as far as `files gc` is concerned (its event may be about to be recorded)
                os.utime(target)
            return StoredFile(upload.sha256, upload.size, upload.media_type)

    def open(self, sha256: str) -> BinaryIO:
        """The stored file, open for reading; ``FileMissing`` if absent."""
        try:
            return (self.root / relative_key(sha256)).open("rb")
        except FileNotFoundError:
            raise FileMissing(f"no stored file {sha256} in {self.root}") from None

    def stat(self, sha256: str) -> StoredFile | None:
        """Size and type (sniffed again from the stored bytes), or None."""
        try:
            with self.open(sha256) as file:
                return StoredFile(sha256, os.fstat(file.fileno()).st_size, sniff(file))
        except FileMissing:
            return None

    def entries(self) -> Iterator[FileEntry]:
        """Every stored file (temporary files and anything not named by a digest are skipped)."""
        if not self.root.is_dir():
            return
        for directory, _, names in os.walk(self.root):
            for name in names:
                if is_digest(name):
                    path = Path(directory) / name
                    try:
                        status = path.stat()
                    except FileNotFoundError:  # deleted while listing
                        continue
                    yield FileEntry(name, status.st_size, datetime.fromtimestamp(status.st_mtime, UTC))

    def delete(self, sha256: str) -> None:
        """Remove the stored file (nothing happens if it is already gone)."""
        (self.root / relative_key(sha256)).unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
