"""The stored files of a backup: copied into ``OUT/files/<sha256>`` after the database, put back on restore.

Files are copied after the database so that every file an event of the copy names is in the backup (a file is
stored before its event, and ``files gc`` removes only files no event names). Each file is hashed while it is
copied and again before it is put back: a file whose bytes do not match its name is never passed on silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from application.common.errors import ApplicationError
from application.materials.files import FileMissing, FileStore
from infrastructure.backup.contents import Progress, create_private
from infrastructure.files.layout import is_digest
from infrastructure.files.spool import copy_hashing

FILES_DIR = "files"


def back_up_files(store: FileStore, out: Path, progress: Progress) -> dict[str, Any]:
    """Copy every file of ``store`` into ``out/files`` (0700, files 0600); return what the manifest records:
    ``count``, ``bytes`` and ``damaged`` (the stored files whose bytes no longer match their SHA-256, left out)."""
    folder = out / FILES_DIR
    folder.mkdir(mode=0o700)
    entries = sorted(store.entries(), key=lambda entry: entry.sha256)
    count = total = 0
    damaged: list[str] = []
    for done, entry in enumerate(entries, 1):
        target = folder / entry.sha256
        create_private(target)
        try:
            with store.open(entry.sha256) as stream, target.open("wb") as copy:
                found, size = copy_hashing(stream, copy)
        except FileMissing:  # removed by files gc since it was listed: no event of this backup names it
            found, size = "", 0
        if found != entry.sha256:
            target.unlink()
            if found:
                damaged.append(entry.sha256)
        else:
            count, total = count + 1, total + size
        progress(done, len(entries))
    return {"count": count, "bytes": total, "damaged": damaged}


def restore_files(backup: Path, manifest: dict[str, Any], store: FileStore, progress: Progress) -> dict[str, Any]:
    """Put the files of ``backup`` into ``store``, each checked against its name first; return ``count``,
    ``bytes`` and ``differences`` (a file that does not match is named there and not restored)."""
    recorded = manifest.get("files")
    if recorded is None:  # a backup taken without files (or by an earlier release)
        return {"count": 0, "bytes": 0, "differences": []}
    folder = backup / FILES_DIR
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    count = total = 0
    differences: list[str] = []
    for done, path in enumerate(paths, 1):
        problem = _restore_one(path, store)
        if problem:
            differences.append(f"file {path.name}: {problem}; not restored")
        else:
            count, total = count + 1, total + path.stat().st_size
        progress(done, len(paths))
    if (count, total) != (recorded["count"], recorded["bytes"]):
        differences.append(f"files: {recorded['count']:,} ({recorded['bytes']:,} bytes) in the backup, "
                           f"{count:,} ({total:,} bytes) restored")
    return {"count": count, "bytes": total, "differences": differences}


def _restore_one(path: Path, store: FileStore) -> str | None:
    """Put one backed-up file back; what is wrong with it, or None."""
    if not is_digest(path.name):
        return "not named by a SHA-256"
    with path.open("rb") as stream:
        found, size = copy_hashing(stream, None)
    if found != path.name:
        return f"its bytes hash to {found} (damaged in the backup)"
    try:
        with path.open("rb") as stream:
            stored = store.put(stream, max_bytes=size)
    except ApplicationError as error:  # a type refused by this release
        return str(error)
    return None if stored.sha256 == path.name else f"it changed while it was restored (now {stored.sha256})"
