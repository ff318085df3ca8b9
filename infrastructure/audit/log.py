"""The global audit log: every stored event at a dense position, a Merkle tree over it, signed checkpoints.

A follower reads each event store's new rows in notification-id order and appends them to ``audit_log``
at positions 0, 1, 2, … (dense across all applications: notification ids have gaps on PostgreSQL and are
per store). Each position is a leaf of an RFC 6962 Merkle tree (``infrastructure.audit.offline_verifier``).
Every ``every_events`` new events or ``every_minutes`` minutes, and on demand, it writes a checkpoint —
log size and root — signed with an Ed25519 key kept in a file outside the database. Someone who can
write to the database can rewrite a whole hash chain consistently, and the log rows too; they cannot
sign a checkpoint over the result, and the server signs nothing over a log that no longer gives the root
of a checkpoint it signed before (``CheckpointRefused``). One follower at a time: a PostgreSQL advisory
lock serialises them (and the signers); on SQLite a follower that lost a race fails on the unique position
and reads again. The next position is one past the last, never ``count(*)``: a deleted row leaves a hole
that verify names, not a position every later append collides with.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
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
from sqlalchemy.exc import IntegrityError

from infrastructure.audit.offline_verifier import (
    LOG_NAME,
    MerkleTree,
    leaf_data,
    leaf_hash,
    prefix_roots,
    sign_checkpoint,
)
from infrastructure.eventstore.recorders import FastApplicationRecorder
from infrastructure.common.keys import SigningKey

LOG_LOCK_KEY = 7_305_002  # PostgreSQL advisory lock id held while appending to the log or signing
BATCH = 5_000
RACES = 5  # a follower that lost this many races in a row (SQLite: no advisory lock) gives up for this round
YIELD_PER = 10_000

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
        total, lost = 0, 0
        while True:
            try:
                appended = self._append_batch(batch)
            except IntegrityError:  # another process's follower took these positions first: read again
                lost += 1
                if lost > RACES:
                    raise
                continue
            if appended == 0:
                return total
            total, lost = total + appended, 0

    def _append_batch(self, batch: int) -> int:
        with self._lock, self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOG_LOCK_KEY})
            size = next_position(connection)  # not count(*): a deleted row must not make positions collide
            rows: list[dict[str, Any]] = []
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
        """Follow the stores, then sign a checkpoint if one is due (or ``force``); return it, if written.
        Raises ``CheckpointRefused`` rather than sign over a log that no longer gives the roots signed before."""
        if not self.key.available:
            return None
        self.follow()
        try:
            with self._lock, self.engine.begin() as connection:
                if self.engine.dialect.name == "postgresql":  # one signer (and no follower) at a time
                    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOG_LOCK_KEY})
                size = next_position(connection)
                signed = [dict(row._mapping) for row in connection.execute(
                    select(audit_checkpoints).order_by(audit_checkpoints.c.size))]
                last = signed[-1] if signed else None
                if last is not None and last["size"] == size:
                    return None  # nothing new to sign
                if not force and not self._due(last, size):
                    return None  # decided before reading the log: this runs every few seconds
                roots = prefix_roots(log_leaf_hashes(connection, size), [c["size"] for c in signed] + [size])
                for old in signed:
                    if old["size"] not in roots or roots[old["size"]].hex() != old["root"]:
                        raise CheckpointRefused(
                            f"the audit log no longer gives the root of the checkpoint of size {old['size']}: "
                            "nothing more is signed over it (run `onething audit verify`)")
                row = {k: v for k, v in sign_checkpoint(self.key.private, size, roots[size].hex(),
                                                        self.now().astimezone(UTC).isoformat()).items() if k != "log"}
                connection.execute(audit_checkpoints.insert(), row)
            return row
        except IntegrityError:
            return None  # another process signed a checkpoint of this size meanwhile

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
        mine = [e for e in self.entries(str(originator_id), below=checkpoint["size"]) if e.application == application]
        with self.engine.connect() as connection:  # one tree for every event's proof, not one pass per event
            tree = MerkleTree(list(log_leaf_hashes(connection, checkpoint["size"], dense=False)))
        return {"checkpoint": {**checkpoint, "log": LOG_NAME}, "events": [
            {"version": e.version, "position": e.position, "event_hash": e.event_hash.hex(),
             "leaf_hash": e.leaf_hash.hex(), "path": [h.hex() for h in tree.inclusion_proof(e.position)]}
            for e in mine]}


class CheckpointRefused(RuntimeError):
    """The log no longer gives a signed root (it was rewritten): the server signs nothing over it."""


def next_position(connection: Connection) -> int:
    """The position the next log entry takes: one past the last (0 for an empty log)."""
    return connection.execute(select(func.coalesce(func.max(audit_log.c.position) + 1, 0))).scalar_one()


def log_leaf_hashes(connection: Connection, size: int | None = None, dense: bool = True) -> Iterator[bytes]:
    """The leaf hash of each log position below ``size`` (all unless told) in order, streamed; ``dense``:
    raise ``CheckpointRefused`` at a missing position."""
    query = select(audit_log.c.position, audit_log.c.application, audit_log.c.originator_id, audit_log.c.version,
                   audit_log.c.event_hash).order_by(audit_log.c.position)
    if size is not None:
        query = query.where(audit_log.c.position < size)
    sha256, prefixes, expected = hashlib.sha256, _Prefixes(), 0
    for rows in connection.execute(query, execution_options={"yield_per": YIELD_PER}).partitions():
        for position, application, aggregate, version, digest in rows:
            if dense and position != expected:
                raise CheckpointRefused(f"the audit log has no entry at position {expected}")
            expected += 1
            yield sha256(prefixes[application, aggregate] + version.to_bytes(8, "big") + digest).digest()


class _Prefixes(dict):
    """0x00 + application + newline + aggregate id bytes: the start of a leaf's hashed bytes (format 2 and RFC
    6962), made once per aggregate while no more than ``LIMIT`` are kept."""

    LIMIT = 16_384

    def __missing__(self, key: tuple[str, str]) -> bytes:
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = prefix = leaf_prefix(*key)
        return prefix


def leaf_prefix(application: str, aggregate: str) -> bytes:
    """0x00 + application + newline + aggregate id bytes: the start of the bytes an entry's leaf hash covers."""
    return b"\x00" + application.encode() + b"\n" + uuid_bytes(aggregate)


def uuid_bytes(text: str) -> bytes:
    """``UUID(text).bytes``, five times faster for the canonical form the log writes."""
    if len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-":
        try:
            raw = bytes.fromhex(text.replace("-", ""))
        except ValueError:
            raw = b""
        if len(raw) == 16:  # 32 hex digits: no other dash, no blank
            return raw
    return UUID(text).bytes
