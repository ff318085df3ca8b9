"""A faster application recorder for eventsourcing-sqlalchemy.

The extension's recorder adds one ORM object per event in an ORM session and flushes them one
INSERT at a time, and reads events back through ORM queries. These subclasses keep its tables,
locking rules and error types, but write each command's events with one prebuilt multi-row
``INSERT … RETURNING id`` on a plain Core connection in one transaction, and read with Core
selects: most of the per-command Python overhead goes (see benchmarks/commands.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any
from uuid import UUID

import sqlalchemy.exc
from eventsourcing import persistence as es
from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.datastore import transactions
from eventsourcing_sqlalchemy.recorders import (
    SQLAlchemyAggregateRecorder,
    SQLAlchemyApplicationRecorder,
)
from sqlalchemy import Connection, LargeBinary, insert, select, type_coerce

LOCK_TIMEOUT = "5s"  # PostgreSQL: how long an insert waits for the events table's lock

# SQLAlchemy's errors, as the eventsourcing errors the application layer catches (most specific first).
ERRORS = [
    (sqlalchemy.exc.IntegrityError, es.IntegrityError),
    (sqlalchemy.exc.DataError, es.DataError),
    (sqlalchemy.exc.OperationalError, es.OperationalError),
    (sqlalchemy.exc.ProgrammingError, es.ProgrammingError),
    (sqlalchemy.exc.InterfaceError, es.InterfaceError),
    (sqlalchemy.exc.InternalError, es.InternalError),
    (sqlalchemy.exc.NotSupportedError, es.NotSupportedError),
    (sqlalchemy.exc.DatabaseError, es.DatabaseError),
    (sqlalchemy.exc.SQLAlchemyError, es.PersistenceError),
]


@contextmanager
def as_persistence_errors() -> Iterator[None]:
    """Raise SQLAlchemy's errors as eventsourcing's (an ``IntegrityError`` is a version conflict)."""
    try:
        yield
    except sqlalchemy.exc.SQLAlchemyError as error:
        for theirs, ours in ERRORS:
            if isinstance(error, theirs):
                raise ours(error) from error
        raise


def _in_transaction() -> bool:
    """Whether the extension has a transaction open in this context (``recorder.transaction()``)."""
    return transactions.get(None) is not None


class CoreSelectMixin:
    """Read an aggregate's events with a Core ``SELECT`` instead of ORM objects."""

    events_record_cls: Any

    def select_events(
        self, originator_id: UUID | str, gt: int | None = None, lte: int | None = None,
        desc: bool = False, limit: int | None = None,
    ) -> list[StoredEvent]:
        table = self.events_record_cls.__table__
        version = table.c.originator_version
        query = select(version, table.c.topic, table.c.state).where(
            table.c.originator_id == originator_id
        )
        if gt is not None:
            query = query.where(version > gt)
        if lte is not None:
            query = query.where(version <= lte)
        query = query.order_by(version.desc() if desc else version)
        if limit is not None:
            query = query.limit(limit)
        with self.transaction(commit=False) as session:  # type: ignore[attr-defined]
            rows = session.execute(query).all()
        return [StoredEvent(originator_id, v, t, bytes(s)) for v, t, s in rows]


class FastAggregateRecorder(CoreSelectMixin, SQLAlchemyAggregateRecorder):
    """Snapshots: Core selects."""


class FastApplicationRecorder(CoreSelectMixin, SQLAlchemyApplicationRecorder):
    """Events: one multi-row insert per command on a Core connection; a lock timeout on PostgreSQL."""

    @cached_property
    def _insert_returning_ids(self) -> Any:
        table = self.events_record_cls.__table__
        return insert(table).returning(table.c.id, sort_by_parameter_order=True)

    @cached_property
    def _is_postgres(self) -> bool:
        return self.datastore.engine is not None and self.datastore.engine.dialect.name == "postgresql"

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        if kwargs.get("session") is not None or kwargs.get("tracking") is not None or _in_transaction():
            return super().insert_events(stored_events, **kwargs)  # join someone else's transaction
        if not stored_events:
            return []
        lock = self.datastore.write_lock or self.datastore.access_lock
        if lock is not None:
            lock.acquire()  # SQLite: one writer per process at a time, as the extension does
        try:
            with as_persistence_errors(), self.datastore.engine.begin() as connection:  # type: ignore[union-attr]
                return self._write(connection, stored_events)
        finally:
            if lock is not None:
                lock.release()

    def _write(self, connection: Connection, stored_events: Sequence[StoredEvent]) -> list[int]:
        if self._is_postgres:
            # One round trip: bound the wait for the table lock that keeps notification ids in
            # commit order (as the extension does), and queue the NOTIFY (sent on commit).
            connection.exec_driver_sql(self._postgres_preamble)
        rows = [
            {"originator_id": e.originator_id, "originator_version": e.originator_version,
             "topic": e.topic, "state": e.state}
            for e in stored_events
        ]
        return list(connection.execute(self._insert_returning_ids, rows).scalars())

    def select_notifications(
        self, start: int | None, limit: int, stop: int | None = None, topics: Sequence[str] = (),
        *, inclusive_of_start: bool = True,
    ) -> list[es.Notification]:
        """Notifications in id order, read with Core (the extension builds an ORM object per row)."""
        table = self.events_record_cls.__table__
        query = select(table.c.id, self._raw_originator_id, table.c.originator_version, table.c.topic,
                       table.c.state)
        if start is not None:
            query = query.where(table.c.id >= start if inclusive_of_start else table.c.id > start)
        if stop is not None:
            query = query.where(table.c.id <= stop)
        if topics:
            query = query.where(table.c.topic.in_(topics))
        query = query.order_by(table.c.id).limit(limit)
        with self.transaction(commit=False) as session:
            rows = session.execute(query).all()
        to_uuid = self._to_uuid
        return [es.Notification(id=i, originator_id=to_uuid(o), originator_version=v, topic=t, state=bytes(s))
                for i, o, v, t, s in rows]

    @cached_property
    def _raw_originator_id(self) -> Any:
        """The id column without sqlalchemy-utils' per-row conversion (slow on large reads)."""
        column = self.events_record_cls.__table__.c.originator_id
        return type_coerce(column, LargeBinary) if not self._is_postgres else column

    def _to_uuid(self, value: Any) -> UUID:
        if isinstance(value, UUID):
            return value  # psycopg returns UUIDs
        if isinstance(value, (bytes, memoryview)) and len(value) == 16:
            return UUID(bytes=bytes(value))  # sqlalchemy-utils' binary form (SQLite)
        return UUID(str(value))

    @cached_property
    def _postgres_preamble(self) -> str:
        return (f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; "
                f"LOCK TABLE {self._qualified_name} IN EXCLUSIVE MODE; NOTIFY {self.channel_name}")

    @property
    def _qualified_name(self) -> str:
        if self.schema_name:
            return f"{self.schema_name}.{self.events_table_name}"
        return self.events_table_name
