"""The global audit log: every stored event at a dense position, a Merkle tree over it, signed checkpoints.

A follower reads each event store's new rows in notification-id order and appends them to ``audit_log``
at positions 0, 1, 2, … (dense across all applications: notification ids have gaps on PostgreSQL and are
per store). Each position is a leaf of an RFC 6962 Merkle tree (``infrastructure.offline_verifier``).
Every ``every_events`` new events or ``every_minutes`` minutes, and on demand, it writes a checkpoint —
log size and root — signed with an Ed25519 key kept in a file outside the database. Someone who can
write to the database can rewrite a whole hash chain consistently, and the log rows too; they cannot
sign a checkpoint over the result. One follower at a time: a PostgreSQL advisory lock (or SQLite's
single writer) serialises them, and a unique position makes a lost race fail instead of doubling rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    select,
    text,
)

from infrastructure.offline_verifier import (
    inclusion_proof,
    leaf_data,
    leaf_hash,
    load_private_key,
    merkle_root,
    public_key_pem,
    sign_checkpoint,
)
from infrastructure.recorders import FastApplicationRecorder

LOG_LOCK_KEY = 7_305_002  # PostgreSQL advisory lock id held while appending to the log
BATCH = 5_000

metadata = MetaData()
Position = BigInteger().with_variant(Integer(), "sqlite")
audit_log = Table(
    "audit_log", metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("application", String(32), nullable=False),
    Column("notification_id", Position, nullable=False),
    Column("originator_id", String(36), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("event_hash", LargeBinary, nullable=False),
    Index("ix_audit_log_notification", "application", "notification_id", unique=True),
)
audit_checkpoints = Table(
    "audit_checkpoints", metadata,
    Column("size", Position, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", String(128), nullable=False),
)


@dataclass(frozen=True)
class LogEntry:
    """One position of the log."""

    position: int
    application: str
    notification_id: int
    originator_id: str
    version: int
    event_hash: bytes

    @property
    def leaf_hash(self) -> bytes:
        """The entry's RFC 6962 leaf hash."""
        return leaf_hash(leaf_data(self.application, UUID(self.originator_id), self.version, self.event_hash))


class SigningKey:
    """The checkpoint key: a PEM file outside the database (``ONETHING_AUDIT_KEY``)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._key: Any = None

    @property
    def available(self) -> bool:
        """Whether the key file exists (without it, the log grows but nothing is signed)."""
        return self.path.is_file()

    @property
    def private(self) -> Any:
        """The Ed25519 private key (read once)."""
        if self._key is None:
            self._key = load_private_key(self.path)
        return self._key

    def public_pem(self) -> bytes:
        """The public key, PEM."""
        return public_key_pem(self.private)


class AuditLog:
    """Appends events to the log and writes signed checkpoints."""

    def __init__(self, engine: Engine, recorders: Mapping[str, FastApplicationRecorder], key: SigningKey,
                 every_events: int = 1_000, every_minutes: float = 60.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine, self.recorders, self.key = engine, dict(sorted(recorders.items())), key
        self.every_events, self.every_minutes, self.now = every_events, every_minutes, now
        self._lock = threading.Lock()

    def create_tables(self) -> None:
        """Create the log's tables if missing (``onething db init``); they are never dropped."""
        metadata.create_all(self.engine)

    # Following ---------------------------------------------------------------------------------
    def follow(self, batch: int = BATCH) -> int:
        """Append every event not logged yet; return how many were appended."""
        total = 0
        while (appended := self._append_batch(batch)) > 0:
            total += appended
        return total

    def _append_batch(self, batch: int) -> int:
        with self._lock, self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOG_LOCK_KEY})
            size = connection.execute(select(func.count()).select_from(audit_log)).scalar_one()
            rows = []
            for application, recorder in self.recorders.items():
                last = connection.execute(select(func.max(audit_log.c.notification_id)).where(
                    audit_log.c.application == application)).scalar()
                table = recorder.events_record_cls.__table__
                query = select(table.c.id, recorder._raw_originator_id, table.c.originator_version, table.c.hash)
                if last is not None:
                    query = query.where(table.c.id > last)
                for notification_id, originator, version, digest in connection.execute(
                        query.order_by(table.c.id).limit(batch - len(rows))):
                    rows.append({"position": size + len(rows), "application": application,
                                 "notification_id": notification_id,
                                 "originator_id": str(recorder._to_uuid(originator)), "version": version,
                                 "event_hash": bytes(digest) if digest is not None else b""})
                if len(rows) >= batch:
                    break
            if rows:
                connection.execute(audit_log.insert(), rows)
            return len(rows)

    # Reading -----------------------------------------------------------------------------------
    def size(self) -> int:
        """How many events the log holds."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(audit_log)).scalar_one()

    def entries(self, originator_id: str | None = None, below: int | None = None) -> list[LogEntry]:
        """The log in position order (one aggregate's entries, or those below a size)."""
        query = select(audit_log).order_by(audit_log.c.position)
        if originator_id is not None:
            query = query.where(audit_log.c.originator_id == str(originator_id))
        if below is not None:
            query = query.where(audit_log.c.position < below)
        with self.engine.connect() as connection:
            return [LogEntry(r.position, r.application, r.notification_id, r.originator_id, r.version,
                             bytes(r.event_hash)) for r in connection.execute(query)]

    def leaf_hashes(self, size: int | None = None) -> list[bytes]:
        """The leaf hashes of the first ``size`` positions (all, unless told)."""
        return [entry.leaf_hash for entry in self.entries(below=size)]

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every signed checkpoint, smallest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.size))
            return [dict(row._mapping) for row in rows]

    # Checkpoints -------------------------------------------------------------------------------
    def checkpoint(self, force: bool = False) -> dict[str, Any] | None:
        """Follow the stores, then sign a checkpoint if one is due (or ``force``); return it, if written."""
        if not self.key.available:
            return None
        self.follow()
        leaves = self.leaf_hashes()
        last = (self.checkpoints() or [None])[-1]
        if last is not None and last["size"] == len(leaves):
            return None  # nothing new to sign
        if not force and not self._due(last, len(leaves)):
            return None
        signed = sign_checkpoint(self.key.private, len(leaves), merkle_root(leaves).hex(),
                                 self.now().astimezone(UTC).isoformat())
        row = {k: signed[k] for k in ("size", "root", "timestamp", "key_id", "signature")}
        with self.engine.begin() as connection:
            connection.execute(audit_checkpoints.insert(), row)
        return row

    def _due(self, last: dict[str, Any] | None, size: int) -> bool:
        if last is None:
            return size > 0
        old_enough = self.now() - datetime.fromisoformat(last["timestamp"]) >= timedelta(minutes=self.every_minutes)
        return size - last["size"] >= self.every_events or old_enough

    def case_proof(self, application: str, originator_id: str, size: int | None = None) -> dict[str, Any]:
        """Inclusion proofs of every logged event of one aggregate in a signed checkpoint (the latest unless
        ``size``), with the checkpoint: they show the case is in the signed log and reveal nothing of other
        cases but hashes."""
        checkpoints = [c for c in self.checkpoints() if size is None or c["size"] == size]
        if not checkpoints:
            raise LookupError("no signed checkpoint" + (f" of size {size}" if size is not None else ""))
        checkpoint = checkpoints[-1]
        entries = self.entries(below=checkpoint["size"])
        leaves = [e.leaf_hash for e in entries]
        mine = [e for e in entries if (e.application, e.originator_id) == (application, str(originator_id))]
        return {"checkpoint": {**checkpoint, "log": "onething"}, "events": [
            {"version": e.version, "position": e.position, "event_hash": e.event_hash.hex(),
             "leaf_hash": leaves[e.position].hex(), "path": [h.hex() for h in inclusion_proof(e.position, leaves)]}
            for e in mine]}
