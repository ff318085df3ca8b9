"""The file store the use cases ask for: content-addressed by SHA-256, written before any event names it.

A file is stored first and its event recorded after; a failure in between leaves a stored file that no
event refers to, which ``onething files gc`` removes later. Storing refuses a file over the size limit or
of a type other than PDF, JPEG, PNG and OFD (decided from the bytes, never the name) and keeps nothing
of a refused file. Implementations: ``infrastructure.files`` (a folder; any S3-compatible object store).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from application.common.errors import ApplicationError

# The media types a material may have, decided from the content.
ACCEPTED_MEDIA_TYPES = ("application/pdf", "image/jpeg", "image/png", "application/ofd")
DEFAULT_MAX_UPLOAD_MB = 50


class FileTooLarge(ApplicationError):
    """Raised when a file is larger than the upload limit (HTTP 413); nothing was kept."""

    code = "file_too_large"


class UnsupportedFileType(ApplicationError):
    """Raised when a file's content is not PDF, JPEG, PNG or OFD (HTTP 415); nothing was kept."""

    code = "unsupported_file_type"


class FileMissing(ApplicationError):
    """Raised when the store has no file with this SHA-256."""

    code = "not_found"


@dataclass(frozen=True)
class StoredFile:
    """What the store knows of a file it keeps: its digest, size and media type (from the content)."""

    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class FileEntry:
    """A stored file as a listing gives it (for ``files gc`` and ``audit verify --files``)."""

    sha256: str
    size: int
    modified_at: datetime


class FileStore(Protocol):
    """Keeps files by the SHA-256 of their bytes; the same bytes are kept once."""

    def put(self, stream: BinaryIO, max_bytes: int) -> StoredFile:
        """Read ``stream`` to its end in chunks (memory stays flat), hash it, decide its type from the content
        and keep it under its SHA-256. Raises ``FileTooLarge`` past ``max_bytes`` and ``UnsupportedFileType``
        for anything but PDF, JPEG, PNG and OFD; a refused or failed put keeps nothing."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes as a readable binary stream (the caller closes it); ``FileMissing`` if absent."""
        ...

    def stat(self, sha256: str) -> StoredFile | None:
        """The stored file's size and type, or None if the store does not have it."""
        ...

    def entries(self) -> Iterator[FileEntry]:
        """Every stored file, in no particular order."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove a stored file (only ``files gc`` does, for files no event refers to)."""
        ...


@dataclass(frozen=True)
class FileRef:
    """A stored file as an event names it: which case, which material (``key``) and version."""

    sha256: str
    case_id: str
    case_number: str
    key: str
    version: int
    event_version: int = 0  # the case's version at the event that names the file (its place in the chain)
