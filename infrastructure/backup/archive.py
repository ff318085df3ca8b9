"""``onething backup OUT`` and ``onething restore IN``: a copy of the whole database, taken while the server
runs, and a restore that can be checked.

A backup is a new directory (mode 0700) holding one file (0600) and ``manifest.json``:

* SQLite: ``onething.sqlite3``, made with SQLite's online backup API in one read transaction
  (``infrastructure.backup.sqlite``).
* PostgreSQL: ``onething.dump``, ``pg_dump --format=custom`` run on a snapshot exported by the transaction
  that counts what the dump holds (``infrastructure.backup.postgres``).

Given the file store, a backup also holds every stored file (the materials) as ``files/<sha256>``, copied after
the database and hashed while copied (``infrastructure.backup.files``), and a restore given a file store puts
them back, each checked first.

The manifest records what was copied: when, from which kind of database, the events of each store, the
audit log's size and the latest signed checkpoint, the file's size and SHA-256, and (with files) how many
stored files and bytes, and which stored files were damaged and left out. A backup without ``files`` in its
manifest (from an earlier release, or taken without a file store) restores as before. The directory appears only
when complete: it is written under a temporary name and renamed at the end. A restore refuses a file whose
digest differs and writes into a new place only (a new SQLite file, an empty PostgreSQL database);
``differences`` then compares the restored database with the manifest. Not in a backup: the audit signing
key and the cipher keys (files and settings outside the database); the stored files unless a file store
is given.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from application.materials.files import FileStore
from infrastructure.backup import postgres as backup_postgres
from infrastructure.backup import sqlite as backup_sqlite
from infrastructure.backup.contents import (
    BackupError,
    Progress,
    check_digest,
    contents,
    create_private,
    differences,
    digest,
    no_progress,
)
from infrastructure.backup.files import back_up_files, restore_files
from infrastructure.eventstore.persistence import describe_url

__all__ = ["BackupError", "back_up", "contents", "differences", "read_manifest", "restore"]

MANIFEST = "manifest.json"
FORMAT = "onething-backup"
FORMAT_VERSION = 1
NOT_INCLUDED = ["the audit signing key (ONETHING_AUDIT_KEY)",
                "the cipher keys (ONETHING_CIPHER_KEY, ONETHING_CIPHER_OLD_KEYS)"]
NO_FILES = "the stored files (ONETHING_FILES_URL): this backup was taken without its file store"


def kind(url: str) -> str:
    """``sqlite`` or ``postgresql``; raises ``BackupError`` for any other database."""
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up or restore a {name} database: OneThing supports SQLite and PostgreSQL")
    return name


def back_up(url: str, out: str | Path, event_tables: Mapping[str, str],
            progress: Progress = no_progress, files: FileStore | None = None) -> dict[str, Any]:
    """Copy the database at ``url`` (then every file of ``files``, if given) into the new directory ``out``;
    return the manifest written beside it.

    ``event_tables`` maps each application (``Cases``) to its events table (``cases_events``)."""
    target = Path(out)
    if target.exists():
        raise BackupError(f"{target} exists: choose a new name (a backup never overwrites anything)")
    database = kind(url)
    with _partial_directory(target) as work:
        if database == "sqlite":
            file = backup_sqlite.SQLITE_FILE
            held = backup_sqlite.back_up(backup_sqlite.sqlite_path(url, must_exist=True), work / file,
                                         event_tables, progress)
        else:
            file = backup_postgres.DUMP_FILE
            held = backup_postgres.dump(url, work / file, event_tables, progress)
        stored = {"files": back_up_files(files, work, progress)} if files is not None else {}
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"), "database": database,
                    "source": describe_url(url), "file": file, **digest(work / file), **held,
                    **stored, "not_included": NOT_INCLUDED + ([] if stored else [NO_FILES])}
        create_private(work / MANIFEST)
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        if target.exists():
            raise BackupError(f"{target} appeared while the backup was written: the backup is discarded")
        os.rename(work, target)
    return manifest


def read_manifest(backup: str | Path) -> dict[str, Any]:
    """The manifest of the backup directory ``backup``; raises ``BackupError`` if it is not a backup."""
    path = Path(backup) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{backup} is not a OneThing backup (no readable {MANIFEST}: {error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a OneThing backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} has format version {manifest.get('format_version')}; "
                          f"this release reads version {FORMAT_VERSION}")
    return manifest


def restore(backup: str | Path, url: str, force: bool = False, progress: Progress = no_progress,
            files: FileStore | None = None) -> dict[str, Any]:
    """Restore the backup directory ``backup`` into ``url`` (a new SQLite file, or an empty PostgreSQL
    database), then its stored files into ``files`` if given; return its manifest. Nothing is written unless
    the backup file is intact. With ``files``, the manifest returned also holds ``files_restored``: ``count``,
    ``bytes`` and ``differences`` (each backed-up file that does not match its SHA-256, not restored)."""
    manifest = read_manifest(backup)
    database = kind(url)
    if manifest["database"] != database:
        raise BackupError(f"this is a {manifest['database']} backup: restore it into a {manifest['database']} "
                          f"database, not {describe_url(url)}")
    file = Path(backup) / Path(manifest["file"]).name
    if database == "sqlite":
        backup_sqlite.restore(file, manifest, backup_sqlite.sqlite_path(url), force, progress)
    else:
        check_digest(file, manifest)
        backup_postgres.restore(file, url, manifest, progress)
    if files is not None:
        return {**manifest, "files_restored": restore_files(Path(backup), manifest, files, progress)}
    return manifest


@contextmanager
def _partial_directory(target: Path) -> Iterator[Path]:
    """A new private directory beside ``target``, removed unless it was renamed to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))  # mode 0700
    try:
        yield work
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
