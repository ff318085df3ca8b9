"""The two whole-database reads of ``audit verify``, streamed on the driver's own cursor.

Verify reads every stored event once (in aggregate and version order, for the chains) and every log entry
once (in position order, for the Merkle root, joined with the row of its notification id). At that size
SQLAlchemy's compiling is nothing, but its result rows and their processing add 10–25 % to a pass
(benchmarks/audit.py); the statements are fixed, so they are written here with the driver's placeholders and
run on its cursor, as the event store writes its rows (``FastApplicationRecorder._write``).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping
from typing import Any
from uuid import UUID

import sqlalchemy.exc
from sqlalchemy import Connection

from infrastructure.audit.log import leaf_prefix
from infrastructure.eventstore.recorders import FastApplicationRecorder

BATCH = 1_000  # rows of ~0.7 kB: a batch stays in the CPU's cache while it is hashed (10,000: 15 % slower)
NOWHERE = object()  # equal to no stored aggregate id
_cursor_names = itertools.count()


def driver_batches(connection: Connection, sql: str, params: tuple[Any, ...] = ()) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` in lists of up to ``BATCH``, streamed (on PostgreSQL a server-side cursor), never
    held whole in memory; driver errors raised as SQLAlchemy's, as a query through it would raise them."""
    driver = connection.connection.driver_connection
    if driver is None:
        raise sqlalchemy.exc.ResourceClosedError("the connection was invalidated")
    postgres = connection.dialect.name == "postgresql"
    error = connection.dialect.loaded_dbapi.Error
    cursor = driver.cursor(name=f"onething_audit_{next(_cursor_names)}") if postgres else driver.cursor()
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH):
            yield rows
    except error as failure:
        raise sqlalchemy.exc.DBAPIError.instance(sql, params, failure, error) from failure
    finally:
        cursor.close()


def chain_rows(recorder: FastApplicationRecorder, originator_id: UUID | None) -> tuple[str, tuple[Any, ...]]:
    """Every stored event of the store (or of one aggregate) in aggregate and version order: the statement
    and its parameters. The id comes back as the driver gives it (16 bytes on SQLite, a UUID on PostgreSQL)."""
    postgres = recorder._is_postgres
    sql = (f"SELECT originator_id, originator_version, topic, state, hash, prev_hash FROM {recorder._qualified_name}"
           + ("" if originator_id is None else f" WHERE originator_id = {'%s' if postgres else '?'}")
           + " ORDER BY originator_id, originator_version")
    if originator_id is None:
        return sql, ()
    return sql, (originator_id if postgres else originator_id.bytes,)


def log_rows(recorders: Mapping[str, FastApplicationRecorder], postgres: bool) -> tuple[str, tuple[Any, ...]]:
    """Every log entry in position order — application, aggregate id (text), version, event hash — with the
    aggregate id, version and hash of the row its notification id names in its application's store (NULLs
    when there is none). The statement and its parameters."""
    mark = "%s" if postgres else "?"
    joins, params = [], []
    for number, (application, recorder) in enumerate(recorders.items()):
        joins.append(f" LEFT JOIN {recorder._qualified_name} e{number}"
                     f" ON l.application = {mark} AND e{number}.id = l.notification_id")
        params.append(application)
    stored = ", ".join(_first([f"e{number}.{column}" for number in range(len(joins))])
                       for column in ("originator_id", "originator_version", "hash"))
    return (f"SELECT l.application, l.originator_id, l.version, l.event_hash, {stored} FROM audit_log l"
            + "".join(joins) + " ORDER BY l.position", tuple(params))


def compared_leaves(connection: Connection, recorders: Mapping[str, FastApplicationRecorder],
                    mismatched: set[str]) -> Iterator[bytes]:
    """Each log position's leaf hash in position order, streamed; on the way each entry is compared with the
    row of its notification id (aggregate, version, hash), and the application of an entry that has no such
    row or differs from it goes into ``mismatched``."""
    postgres = connection.dialect.name == "postgresql"
    sha256, names = hashlib.sha256, LoggedNames(postgres)
    for rows in driver_batches(connection, *log_rows(recorders, postgres)):
        for application, aggregate, version, digest, stored_id, stored_version, stored_hash in rows:
            known = names.get(aggregate)
            if known is None or known[0] != application:
                known = names.learn(application, aggregate)
            if stored_hash != digest or stored_version != version or stored_id != known[2]:
                mismatched.add(application)
            yield sha256(known[1] + version.to_bytes(8, "big") + digest).digest()


class LoggedNames(dict[str, tuple[str, bytes, Any]]):
    """For each aggregate id the log names (as text): the application last named with it, the start of its
    entries' leaf bytes (``leaf_prefix``) and the id as its store holds it — 16 bytes on SQLite, a UUID on
    PostgreSQL, or ``NOWHERE`` for a name other than the ``str(UUID)`` the follower writes, so that the exact
    comparison decides about it. Keyed by the one string: a tuple key per entry cost more than the comparing.
    No more than ``LIMIT`` are kept."""

    LIMIT = 16_384

    def __init__(self, postgres: bool):
        super().__init__()
        self.postgres = postgres

    def learn(self, application: str, aggregate: str) -> tuple[str, bytes, Any]:
        """The entry for ``aggregate`` named with ``application``, made and kept."""
        if len(self) >= self.LIMIT:
            self.clear()
        prefix = leaf_prefix(application, aggregate)  # raises ValueError if it is no UUID at all
        uuid = UUID(aggregate)
        stored = NOWHERE if str(uuid) != aggregate else uuid if self.postgres else uuid.bytes
        self[aggregate] = known = (application, prefix, stored)
        return known


def _first(columns: list[str]) -> str:
    """The one non-NULL of the columns (at most one join matches an entry: they are kept apart by application)."""
    if not columns:
        return "NULL"
    return columns[0] if len(columns) == 1 else f"COALESCE({', '.join(columns)})"
