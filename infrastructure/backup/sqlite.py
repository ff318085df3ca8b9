"""The SQLite half of ``infrastructure.backup.archive``: SQLite's online backup API, and a restore into a new file.

The copying connection holds one read transaction from the first page to the last. In WAL mode the server
keeps writing meanwhile, and the copy is the database as it was when the transaction began; without it the
API starts the copy again after every write by another connection (under a busy server, never finishing).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from infrastructure.backup.contents import CHUNK, BackupError, Progress, contents, create_private

SQLITE_FILE = "onething.sqlite3"
PAGES_PER_STEP = 1024  # pages copied between two progress reports (4 MiB with 4 KiB pages)


def back_up(source: Path, copy: Path, event_tables: Mapping[str, str], progress: Progress) -> dict[str, Any]:
    """Copy the database file ``source`` into the new file ``copy`` (0600); return what it holds."""
    create_private(copy)
    try:
        reader = sqlite3.connect(f"{source.as_uri()}?mode=rw", uri=True, isolation_level=None, timeout=10)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open the SQLite database {source}: {error}") from error
    try:
        reader.execute("BEGIN")  # one read transaction for the whole copy: a consistent snapshot
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
        writer = sqlite3.connect(copy)
        try:
            reader.backup(writer, pages=PAGES_PER_STEP,
                          progress=lambda _status, remaining, total: progress(total - remaining, total))
            writer.execute("PRAGMA journal_mode = DELETE")  # one self-contained file; the server turns WAL on
        finally:
            writer.close()
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite backup of {source} failed: {error}") from error
    finally:
        reader.close()
    return contents(f"sqlite:///{copy}", event_tables)


def restore(file: Path, manifest: Mapping[str, Any], target: Path, force: bool, progress: Progress) -> None:
    """Copy the backed-up ``file`` to ``target`` if its digest matches the manifest: under a temporary name
    first, renamed at the end; an existing ``target`` only with ``force``."""
    if target.exists() and not force:
        raise BackupError(f"{target} exists: restore into a new file, or add --force to replace it "
                          "(stop every OneThing process using it first)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restoring-{uuid.uuid4().hex[:8]}")
    try:
        create_private(partial)
        sha, total, done = hashlib.sha256(), file.stat().st_size, 0
        with file.open("rb") as source, partial.open("wb") as copy:
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                copy.write(chunk)
                done += len(chunk)
                progress(done, total)
            copy.flush()
            os.fsync(copy.fileno())
        if sha.hexdigest() != manifest.get("sha256"):
            raise BackupError(f"{file} does not match its manifest (SHA-256 differs): the backup is damaged, "
                              "nothing was restored")
        for stale in ("-wal", "-shm", "-journal"):  # an old WAL would be replayed into the restored file
            target.with_name(target.name + stale).unlink(missing_ok=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def sqlite_path(url: str, must_exist: bool = False) -> Path:
    """The file of a SQLite URL; raises ``BackupError`` for an in-memory database or a missing file."""
    parsed = make_url(url)
    database = parsed.database or ""
    if not database or database == ":memory:" or parsed.query.get("mode") == "memory" or "mode=memory" in database:
        raise BackupError(f"{url} is an in-memory database: there is no file to back up or restore into")
    path = Path(database.removeprefix("file:")).expanduser().resolve()
    if must_exist and not path.is_file():
        raise BackupError(f"no SQLite database at {path}: check ONETHING_DATABASE_URL")
    return path
