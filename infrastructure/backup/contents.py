"""What a backup holds and how it is checked: the counts a manifest records, private files, digests.

Shared by ``infrastructure.backup.archive`` and its SQLite and PostgreSQL halves.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from infrastructure.audit.log import audit_checkpoints, audit_log
from infrastructure.eventstore.persistence import describe_url

CHUNK = 1 << 20

Progress = Callable[[int, int], None]  # (done, total): pages, tables or bytes


class BackupError(RuntimeError):
    """Raised when a backup or restore cannot be made; the message says why and what to do."""


def no_progress(done: int, total: int) -> None:
    """Report nothing."""


def contents(url: str, event_tables: Mapping[str, str], connection: Connection | None = None) -> dict[str, Any]:
    """What the database holds, as a manifest records it: events per store, audit log size, latest checkpoint
    and the number of tables (read on ``connection`` if given, e.g. inside a snapshot).

    ``event_tables`` maps each application (``Cases``) to its events table (``cases_events``)."""
    if connection is not None:
        return _contents(connection, event_tables)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as own:
            return _contents(own, event_tables)
    except SQLAlchemyError as error:
        raise BackupError(f"cannot read {describe_url(url)}: {str(error).splitlines()[0]}") from error
    finally:
        engine.dispose()


def _contents(connection: Connection, event_tables: Mapping[str, str]) -> dict[str, Any]:
    names = set(inspect(connection).get_table_names())
    missing = sorted({*event_tables.values(), audit_log.name, audit_checkpoints.name} - names)
    if missing:
        raise BackupError(f"the database has no OneThing tables ({', '.join(missing)} missing): "
                          "run 'onething db init' first")
    events = {app: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
              for app, name in sorted(event_tables.items())}
    logged = connection.execute(select(func.count()).select_from(audit_log)).scalar_one()
    latest = connection.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(1)).first()
    checkpoint = {k: latest._mapping[k] for k in ("size", "root", "timestamp", "key_id")} if latest else None
    return {"events": events, "audit_log_size": logged, "latest_checkpoint": checkpoint, "tables": len(names)}


def differences(manifest: Mapping[str, Any], restored: Mapping[str, Any]) -> list[str]:
    """How the restored database's ``contents`` differ from what the manifest recorded (none: it matches)."""
    found = []
    for app, count in manifest["events"].items():
        if restored["events"].get(app) != count:
            found.append(f"{app}: {count} events in the backup, {restored['events'].get(app)} restored")
    if restored["audit_log_size"] != manifest["audit_log_size"]:
        found.append(f"audit log: {manifest['audit_log_size']} entries in the backup, "
                     f"{restored['audit_log_size']} restored")
    if restored["latest_checkpoint"] != manifest["latest_checkpoint"]:
        found.append(f"latest checkpoint: {manifest['latest_checkpoint']} in the backup, "
                     f"{restored['latest_checkpoint']} restored")
    return found


def check_digest(file: Path, manifest: Mapping[str, Any]) -> None:
    """Raise ``BackupError`` unless ``file`` has the size and SHA-256 its manifest records."""
    if not file.is_file():
        raise BackupError(f"{file} is missing: the backup is incomplete")
    if digest(file) != {"bytes": manifest.get("bytes"), "sha256": manifest.get("sha256")}:
        raise BackupError(f"{file} does not match its manifest (size or SHA-256 differs): the backup is damaged, "
                          "nothing was restored")


def digest(file: Path) -> dict[str, Any]:
    """The size and SHA-256 of ``file``, as a manifest records them."""
    sha = hashlib.sha256()
    with file.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            sha.update(chunk)
    return {"bytes": file.stat().st_size, "sha256": sha.hexdigest()}


def create_private(path: Path) -> None:
    """Create the empty file ``path`` readable by its owner only (fails if it exists)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
