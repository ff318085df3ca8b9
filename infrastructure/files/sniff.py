"""What a file is, decided from its bytes (never its name): PDF, JPEG, PNG or OFD, or refused.

OFD (GB/T 33190, China's fixed-layout format) is a ZIP container whose root holds ``OFD.xml``; any other ZIP
is refused, as is every other type.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

import filetype

from application.materials.files import UnsupportedFileType

HEAD_BYTES = 8192  # enough for filetype's matchers and the PDF signature
PDF = "application/pdf"
OFD = "application/ofd"
OFD_ROOT = "OFD.xml"
ACCEPTED_NAMES = "PDF, JPEG, PNG or OFD"
_BY_FILETYPE = {"image/jpeg", "image/png"}


def sniff(file: BinaryIO) -> str:
    """The media type of the seekable ``file`` (read from its start); raises ``UnsupportedFileType``."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    if not head:
        raise UnsupportedFileType(f"the file is empty; accepted: {ACCEPTED_NAMES}")
    if head.startswith(b"%PDF-"):
        return PDF
    guessed = filetype.guess(head)
    found = guessed.mime if guessed is not None else None
    if found in _BY_FILETYPE:
        return str(found)
    if found == "application/zip" or head.startswith(b"PK\x03\x04"):
        if _holds_ofd_root(file):
            return OFD
        raise UnsupportedFileType(f"the file is a ZIP archive without {OFD_ROOT} at its root, so not OFD; "
                                  f"accepted: {ACCEPTED_NAMES}")
    what = f"of type {found}" if found else "of a type not recognised from its content"
    raise UnsupportedFileType(f"the file is {what}; accepted: {ACCEPTED_NAMES}")


def _holds_ofd_root(file: BinaryIO) -> bool:
    """Whether the ZIP ``file`` names ``OFD.xml`` at its root (only the central directory is read)."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            return OFD_ROOT in archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False
