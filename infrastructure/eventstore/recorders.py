"""A faster application recorder for eventsourcing-sqlalchemy.

The extension's recorder adds one ORM object per event in an ORM session and flushes them one
INSERT at a time, and reads events back through ORM queries. These subclasses keep its tables,
locking rules and error types, but write each command's events in one transaction of a plain Core
connection, each row inserted with a fixed statement on the driver's cursor (on PostgreSQL after one
fixed statement string that takes the table lock), and read with prebuilt Core selects: most of the
per-command Python overhead goes (see benchmarks/commands.py).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any
from uuid import UUID

import sqlalchemy.exc
from eventsourcing import persistence as es
from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore, transactions
from eventsourcing_sqlalchemy.recorders import (
    SQLAlchemyAggregateRecorder,
    SQLAlchemyApplicationRecorder,
)
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    Text,
    bindparam,
    inspect,
    select,
    type_coerce,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy_utils.types.uuid import UUIDType

from application.common.consistency import note_written
from application.common.idempotency import Earlier, Request, current_request
from infrastructure.eventstore.chain import GENESIS, event_hash
from infrastructure.eventstore.idempotency import committed_request, record_request

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


def _as_sqlalchemy_error(error: Exception, dialect: Any, statement: str | None, gone: bool,
                         ) -> sqlalchemy.exc.StatementError:
    """A driver's error as SQLAlchemy raises it (``IntegrityError``, ``OperationalError``…)."""
    return sqlalchemy.exc.DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error,
                                              connection_invalidated=gone, dialect=dialect)


def _end_failed(pooled: Any, error: BaseException, gone: bool) -> None:
    """End a failed transaction on a pooled driver connection: roll it back, or drop the connection from the
    pool if the server is gone or the rollback fails too."""
    if gone:
        pooled.invalidate(error)
        return
    try:
        pooled.rollback()
    except Exception as failed:  # noqa: BLE001 - the first error is the one to raise; this connection is done
        pooled.invalidate(failed)


def engine_of(datastore: SQLAlchemyDatastore) -> Engine:
    """The datastore's engine: OneThing builds every datastore from a URL, so it has one (never a connection)."""
    engine = datastore.engine
    if not isinstance(engine, Engine):
        raise TypeError(f"a datastore built from a URL has an engine, not {engine!r}")
    return engine


def _in_transaction() -> bool:
    """Whether the extension has a transaction open in this context (``recorder.transaction()``)."""
    return transactions.get(None) is not None


class CoreSelectMixin(SQLAlchemyAggregateRecorder):
    """Read an aggregate's events with a Core ``SELECT`` instead of ORM objects."""

    events_record_cls: Any

    def select_events(
        self, originator_id: UUID | str, gt: int | None = None, lte: int | None = None,
        desc: bool = False, limit: int | None = None,
    ) -> list[StoredEvent]:
        query = self._select_events_query(gt is not None, lte is not None, desc, limit is not None)
        params = {"originator_id": originator_id, "gt": gt, "lte": lte, "limit": limit}
        if _in_transaction() or self.datastore.access_lock is not None or self.datastore.scoped_session:
            with self.transaction(commit=False) as session:  # join it, or take the in-memory database's lock
                rows = session.execute(query, params).all()
        else:  # a plain Core connection: an ORM session per read cost more than the read itself
            with as_persistence_errors(), engine_of(self.datastore).connect() as connection:
                rows = connection.execute(query, params).all()
                if self._ends_reads_with_commit:
                    connection.commit()
        return [StoredEvent(originator_id, v, t, bytes(s)) for v, t, s in rows]

    @cached_property
    def _ends_reads_with_commit(self) -> bool:
        """PostgreSQL: end a read with COMMIT rather than the pool's ROLLBACK (the same for a read), since psycopg
        deallocates every prepared statement of the connection after a rollback, and the next inserts of
        events on it would be parsed and planned again."""
        return engine_of(self.datastore).dialect.name == "postgresql"

    @functools.cache  # noqa: B019 - sixteen shapes at most, for the recorder's lifetime
    def _select_events_query(self, gt: bool, lte: bool, desc: bool, limit: bool) -> Any:
        """The select of one shape, built once (building and keying a statement cost more than running it)."""
        table = self.events_record_cls.__table__
        version = table.c.originator_version
        query = select(version, table.c.topic, table.c.state).where(
            table.c.originator_id == bindparam("originator_id", type_=table.c.originator_id.type))
        if gt:
            query = query.where(version > bindparam("gt", type_=version.type))
        if lte:
            query = query.where(version <= bindparam("lte", type_=version.type))
        query = query.order_by(version.desc() if desc else version)
        if limit:
            query = query.limit(bindparam("limit", type_=Integer()))
        return query


class FastAggregateRecorder(CoreSelectMixin, SQLAlchemyAggregateRecorder):
    """Snapshots: Core selects."""


class OneThingBase(DeclarativeBase):
    """OneThing's record classes live on their own declarative base, so that the extension's stock classes
    (which name the same tables) can exist in the same process, as benchmarks/commands.py needs."""

    __allow_unmapped__ = True
Version = BigInteger().with_variant(Integer(), "sqlite")


class ChainedStoredEventRecord(OneThingBase):
    """The extension's stored event (same columns and unique index), plus the hash chain
    (``infrastructure.eventstore.chain``): ``hash`` of the row's own stored content and ``prev_hash``, the
    hash of the aggregate's previous event."""

    __abstract__ = True
    __table_args__ = (Index("stored_aggregate_event_index", "originator_id", "originator_version", unique=True),)

    id = Column(Version, primary_key=True, autoincrement=True)  # the notification id
    originator_id = Column(UUIDType(), nullable=False)
    originator_version = Column(Version, nullable=False)
    topic = Column(Text(), nullable=False)
    state = Column(LargeBinary(), nullable=False)
    hash = Column(LargeBinary(), nullable=True)  # NULL only where a row was tampered with
    prev_hash = Column(LargeBinary(), nullable=True)


class SnapshotRecord(OneThingBase):
    """The extension's snapshot record, on OneThing's base."""

    __abstract__ = True
    originator_id = Column(UUIDType(), primary_key=True)
    originator_version = Column(Version, primary_key=True)
    topic = Column(Text(), nullable=False)
    state = Column(LargeBinary(), nullable=False)


class OneThingDatastore(SQLAlchemyDatastore):
    """The extension's datastore, with hash-chained event tables."""

    base_stored_event_record_cls = ChainedStoredEventRecord
    base_snapshot_record_cls = SnapshotRecord
    record_classes: dict[str, Any] = {}  # not the parent's: its classes lack the chain


def chain(stored_events: Sequence[StoredEvent], previous: Callable[[list[tuple[Any, int]]], dict[Any, bytes]],
          ) -> list[tuple[bytes, bytes]]:
    """The (hash, prev_hash) of each new event, in order; ``previous`` gives the stored hash of each
    (originator id, version) that precedes an aggregate's first new event (version 1 follows GENESIS)."""
    firsts: dict[Any, int] = {}
    for e in stored_events:
        firsts.setdefault(e.originator_id, e.originator_version)
    lookups = [(originator_id, version - 1) for originator_id, version in firsts.items() if version > 1]
    known = previous(lookups) if lookups else {}
    heads: dict[Any, tuple[int, bytes]] = {}
    result = []
    for e in stored_events:
        head = heads.get(e.originator_id)
        if head is not None and head[0] == e.originator_version - 1:
            prev = head[1]
        elif e.originator_version == 1:
            prev = GENESIS
        else:
            prev = known.get(e.originator_id) or GENESIS  # a missing predecessor fails the insert or the verify
        if not isinstance(e.originator_id, UUID):
            raise TypeError(f"OneThing's events have UUID ids, not {e.originator_id!r}")
        digest = event_hash(prev, e.originator_id, e.originator_version, e.topic, e.state)
        heads[e.originator_id] = (e.originator_version, digest)
        result.append((digest, prev))
    return result


def sql_recorder(recorder: object) -> FastApplicationRecorder:
    """``recorder`` as the recorder every OneThing application keeps its events with (``OneThingFactory``)."""
    if not isinstance(recorder, FastApplicationRecorder):
        raise TypeError(f"expected a FastApplicationRecorder, not {recorder!r}")
    return recorder


class ChainHeads:
    """The hash of each aggregate's last event this process committed (bounded, most recent kept): the
    next command on a case then needs no read of its previous hash. Safe across processes: an entry is used
    only for the version right after it, and a version this process committed is nobody else's."""

    def __init__(self, size: int = 10_000):
        self.size, self.heads = size, OrderedDict[Any, tuple[int, bytes]]()
        self.lock = threading.Lock()

    def known(self, wanted: list[tuple[Any, int]]) -> dict[Any, bytes] | None:
        """The hashes of every wanted (originator id, version), if all are known; else None."""
        with self.lock:
            found = {o: head[1] for o, v in wanted if (head := self.heads.get(o)) is not None and head[0] == v}
        return found if len(found) == len(wanted) else None

    def remember(self, stored_events: Sequence[StoredEvent], hashes: Sequence[tuple[bytes, bytes]]) -> None:
        """Keep the last committed (version, hash) of each aggregate just written."""
        with self.lock:
            for event, (digest, _) in zip(stored_events, hashes, strict=True):
                self.heads[event.originator_id] = (event.originator_version, digest)
                self.heads.move_to_end(event.originator_id)
            while len(self.heads) > self.size:
                self.heads.popitem(last=False)


class FastApplicationRecorder(CoreSelectMixin, SQLAlchemyApplicationRecorder):
    """Events: one transaction per command, its rows inserted on the driver's cursor; a lock timeout on PostgreSQL;
    each row hash-chained to its aggregate's previous one."""

    @cached_property
    def _is_postgres(self) -> bool:
        return self.datastore.engine is not None and self.datastore.engine.dialect.name == "postgresql"

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if kwargs.get("session") is not None or kwargs.get("tracking") is not None or _in_transaction():
            return super().insert_events(stored_events, **kwargs)  # join someone else's transaction
        if not stored_events:
            return []
        lock = self.datastore.write_lock or self.datastore.access_lock
        if lock is not None:
            lock.acquire()  # SQLite: one writer per process at a time, as the extension does
        try:
            request = current_request()
            if request is None or request.written:
                with as_persistence_errors(), self._driver_transaction() as dbapi:
                    ids, hashes = self._write(dbapi, stored_events)
            else:  # the request's ledger row joins the events' transaction (written with SQLAlchemy Core)
                with as_persistence_errors(), engine_of(self.datastore).begin() as connection:
                    try:
                        ids, hashes = self._write(connection.connection, stored_events)
                    except connection.dialect.loaded_dbapi.Error as error:
                        raise _as_sqlalchemy_error(error, connection.dialect, self._insert_sql, False) from error
                    self._record_request(connection, request, stored_events, ids)
                request.written = True
            self._heads.remember(stored_events, hashes)  # committed: these are the aggregates' heads now
            note_written(self.events_table_name, max(ids, default=None))  # for the answer's consistency token
            return ids
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def _driver_transaction(self) -> Iterator[Any]:
        """A pooled driver connection for one transaction: committed if the block succeeds, else rolled back
        (or dropped from the pool if the server is gone); the driver's errors raised as SQLAlchemy's, as an
        ``engine.begin()`` would. A command's write needs no more, and SQLAlchemy's ``Connection`` and
        transaction objects cost about a twentieth of a command's CPU."""
        engine = engine_of(self.datastore)
        dialect = engine.dialect
        driver_error = dialect.loaded_dbapi.Error
        try:
            pooled = engine.raw_connection()
        except driver_error as error:
            raise _as_sqlalchemy_error(error, dialect, None, dialect.is_disconnect(error, None, None)) from error
        try:
            try:
                yield pooled
                pooled.commit()
            except driver_error as error:
                gone = dialect.is_disconnect(error, pooled.dbapi_connection, None)
                _end_failed(pooled, error, gone)
                raise _as_sqlalchemy_error(error, dialect, self._insert_sql, gone) from error
            except BaseException as error:
                _end_failed(pooled, error, False)
                raise
        finally:
            pooled.close()  # back to the pool

    @cached_property
    def _heads(self) -> ChainHeads:
        return ChainHeads()

    def _write(self, dbapi: Any, stored_events: Sequence[StoredEvent],
               ) -> tuple[list[int], list[tuple[bytes, bytes]]]:
        """Insert the events (chained) on the driver's own cursor of the pooled connection ``dbapi``: the statement
        is fixed, and SQLAlchemy's compiling, parameter processing and result objects cost more than the insert
        itself. The driver's errors propagate (the caller's transaction raises them as SQLAlchemy's)."""
        hashes = chain(stored_events, lambda wanted: self._heads.known(wanted) or self._driver_hashes_of(dbapi, wanted))
        rows = [(e.originator_id, e.originator_version, e.topic, e.state, digest, prev)
                for e, (digest, prev) in zip(stored_events, hashes, strict=True)]
        ids = self._insert_postgres(dbapi, rows) if self._is_postgres else self._insert_sqlite(dbapi, rows)
        return ids, hashes

    def _driver_hashes_of(self, dbapi: Any, wanted: list[tuple[Any, int]]) -> dict[Any, bytes]:
        """``_hashes_of`` on the driver's cursor (an aggregate this process has not written since it started)."""
        cursor, found = dbapi.cursor(), {}
        try:
            for originator_id, version in wanted:
                cursor.execute(self._select_hash_sql, (self._driver_uuid(originator_id), version))
                row = cursor.fetchone()
                if row is not None and row[0] is not None:
                    found[originator_id] = bytes(row[0])
        finally:
            cursor.close()
        return found

    def _driver_uuid(self, originator_id: Any) -> Any:
        """An id as the driver takes it: psycopg a UUID, SQLite its 16 bytes (as sqlalchemy-utils stores it)."""
        return originator_id if self._is_postgres else originator_id.bytes

    def _insert_sqlite(self, dbapi: Any, rows: list[tuple[Any, ...]]) -> list[int]:
        cursor, ids = dbapi.cursor(), []
        try:
            for originator_id, *rest in rows:
                cursor.execute(self._insert_sql, (self._driver_uuid(originator_id), *rest))
                ids.append(cursor.lastrowid)
        finally:
            cursor.close()
        return ids

    def _insert_postgres(self, dbapi: Any, rows: list[tuple[Any, ...]]) -> list[int]:
        """Bound the wait for the table lock that keeps notification ids in commit order (as the extension does)
        and queue the NOTIFY (sent on commit) in one fixed statement string, then insert each row with bound
        parameters. Plain round trips: psycopg's pipeline cost more client CPU per command than the round trips
        it saved on a local server."""
        cursor, ids = dbapi.driver_connection.cursor(), []
        try:
            cursor.execute(self._postgres_preamble)  # no parameters: one simple query, three statements
            for row in rows:
                cursor.execute(self._insert_sql, row)
                ids.append(cursor.fetchone()[0])
        finally:
            cursor.close()
        return ids

    @cached_property
    def _select_hash_sql(self) -> str:
        placeholder = "%s" if self._is_postgres else "?"
        return (f"SELECT hash FROM {self._qualified_name} "
                f"WHERE originator_id = {placeholder} AND originator_version = {placeholder}")

    @cached_property
    def _insert_sql(self) -> str:
        placeholder = "%s" if self._is_postgres else "?"
        columns = "originator_id, originator_version, topic, state, hash, prev_hash"
        return (f"INSERT INTO {self._qualified_name} ({columns}) VALUES ({', '.join([placeholder] * 6)})"
                + (" RETURNING id" if self._is_postgres else ""))

    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any,
                              ) -> Sequence[int]:
        """The extension's ORM path (joining another transaction), with the chain."""
        hashes = chain(stored_events, lambda wanted: self._hashes_of(session, wanted))
        if self._has_autoincrementing_ids:
            self._lock_table(session)
        records = [
            self.events_record_cls(originator_id=e.originator_id, originator_version=e.originator_version,
                                   topic=e.topic, state=e.state, hash=digest, prev_hash=prev)
            for e, (digest, prev) in zip(stored_events, hashes, strict=True)
        ]
        session.add_all(records)
        session.flush()
        ids = [record.id for record in records]
        request = current_request()
        self._record_request(session.connection(), request, stored_events, ids)
        if request is not None:
            request.written = True  # with the surrounding transaction: if it fails, so does the request
        note_written(self.events_table_name, max(ids, default=None))  # a failed request answers no token
        self._notify_channel(session)
        return ids

    def _record_request(self, connection: Connection, request: Request | None,
                        stored_events: Sequence[StoredEvent], ids: Sequence[int]) -> None:
        """Record a request sent with an ``Idempotency-Key`` in the transaction of its events, once: a second
        copy of the request collides here, and a crash loses either both or neither."""
        if request is None or request.written or not stored_events:
            return
        last = stored_events[-1]
        record_request(connection, request, self.events_table_name, str(last.originator_id),
                       last.originator_version, ids[-1] if ids else None)

    def committed_request(self, user: str, key: str) -> Earlier | None:
        """What the request with this key committed, if it did (``application.common.idempotency``)."""
        with engine_of(self.datastore).connect() as connection:
            return committed_request(connection, user, key)

    def _hashes_of(self, connection: Connection | Session, wanted: list[tuple[Any, int]]) -> dict[Any, bytes]:
        """The stored hash of each (originator id, version) in ``wanted``, by originator id."""
        table = self.events_record_cls.__table__
        found: dict[Any, bytes] = {}
        for originator_id, version in wanted:
            digest = connection.execute(select(table.c.hash).where(
                table.c.originator_id == originator_id, table.c.originator_version == version)).scalar()
            if digest is not None:
                found[originator_id] = bytes(digest)
        return found

    def adopt_chain(self) -> int:
        """Give an events table made before the chain existed its two columns, and hash its rows once
        (``onething db init``); return how many rows were hashed. Later NULLs are tampering, not history."""
        engine = engine_of(self.datastore)
        columns = {c["name"] for c in inspect(engine).get_columns(self.events_table_name, schema=self.schema_name)}
        if {"hash", "prev_hash"} <= columns:
            return 0
        table = self.events_record_cls.__table__
        blob = engine.dialect.type_descriptor(LargeBinary()).compile(dialect=engine.dialect)
        with engine.begin() as connection:
            for name in ("hash", "prev_hash"):
                connection.exec_driver_sql(f"ALTER TABLE {self._qualified_name} ADD COLUMN {name} {blob}")
            rows = connection.execute(select(table.c.id, table.c.originator_id, table.c.originator_version,
                                             table.c.topic, table.c.state)
                                      .order_by(table.c.originator_id, table.c.originator_version)).all()
            updates, current, prev = [], None, GENESIS
            for notification_id, originator_id, version, topic, state in rows:
                if originator_id != current:
                    current, prev = originator_id, GENESIS
                digest = event_hash(prev, originator_id, version, topic, bytes(state))
                updates.append({"row_id": notification_id, "h": digest, "p": prev})
                prev = digest
            if updates:
                connection.execute(table.update().where(table.c.id == bindparam("row_id"))
                                   .values(hash=bindparam("h"), prev_hash=bindparam("p")), updates)
        return len(updates)

    def select_head(self, originator_id: UUID | str, version: int | None = None) -> bytes | None:
        """The stored hash of the aggregate's event at ``version`` (default: its last)."""
        table = self.events_record_cls.__table__
        query = select(table.c.hash).where(table.c.originator_id == originator_id)
        if version is not None:
            query = query.where(table.c.originator_version <= version)
        query = query.order_by(table.c.originator_version.desc()).limit(1)
        with self.transaction(commit=False) as session:
            digest = session.execute(query).scalar()
        return None if digest is None else bytes(digest)

    def select_chain(self, originator_id: UUID | str) -> list[tuple[int, bytes | None, bytes | None]]:
        """(version, hash, prev_hash) of each of the aggregate's stored events, in version order."""
        table = self.events_record_cls.__table__
        query = select(table.c.originator_version, table.c.hash, table.c.prev_hash).where(
            table.c.originator_id == originator_id).order_by(table.c.originator_version)
        with self.transaction(commit=False) as session:
            rows = session.execute(query).all()
        return [(v, None if h is None else bytes(h), None if p is None else bytes(p)) for v, h, p in rows]

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
        ids: dict[Any, UUID] = {}  # a batch holds many events of each aggregate: each id is made once
        return [es.Notification(id=i, originator_id=ids.get(o) or ids.setdefault(o, self._to_uuid(o)),
                                originator_version=v, topic=t, state=bytes(s))
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
        """Fixed text only (no event's content): a lock timeout or a clash logs no stored state."""
        return (f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; LOCK TABLE {self._qualified_name} IN EXCLUSIVE MODE; "
                f"NOTIFY {self.channel_name}")

    @property
    def _qualified_name(self) -> str:
        if self.schema_name:
            return f"{self.schema_name}.{self.events_table_name}"
        return self.events_table_name
