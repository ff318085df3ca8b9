"""The ledger of requests sent with an ``Idempotency-Key`` (``application.common.idempotency``).

A row is inserted by the event store in the same transaction as the request's events
(``infrastructure.eventstore.recorders``), so it exists exactly when the write committed: no claim is taken before a
command runs, and none is left behind by a crash. The answer itself is not kept: a retry makes it again
from the row's aggregate and version (so no case or petition text lies here in clear, whatever the event
store's encryption, and a keyed write costs no second transaction).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    and_,
    delete,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from application.common.idempotency import Earlier, Request
from infrastructure.readmodels.tables import UtcDateTime

metadata = MetaData()
requests = Table(
    "api_requests", metadata,
    Column("user_id", String(128), primary_key=True), Column("key", String(128), primary_key=True),
    Column("request", String(64), nullable=False),  # a digest of method, path and body
    Column("events_table", String(64), nullable=False),  # which event store the write went to
    Column("aggregate_id", String(36), nullable=False),  # its aggregate and version after the write
    Column("aggregate_version", Integer, nullable=False),
    Column("notification_id", BigInteger().with_variant(Integer(), "sqlite")),
    Column("created_at", UtcDateTime(), nullable=False),
)
EARLIER_TABLES = ("api_idempotency",)  # the claims table of releases before the ledger: dropped by db init
KEEP_FOR = timedelta(hours=24)
log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 600.0


@dataclass(frozen=True)
class Stored:
    """What the ledger holds for a key: the request's digest and what it wrote."""

    request: str
    earlier: Earlier


def record_request(connection: Connection, request: Request, events_table: str, aggregate_id: str,
                   version: int, notification_id: int | None) -> None:
    """Insert the request's row in the transaction that writes its events (a second copy collides here)."""
    connection.execute(requests.insert().values(
        user_id=request.user, key=request.key, request=request.digest, events_table=events_table,
        aggregate_id=aggregate_id, aggregate_version=version, notification_id=notification_id,
        created_at=datetime.now(UTC)))


def committed_request(connection: Connection, user: str, key: str) -> Earlier | None:
    """What the request with this key wrote, if it committed."""
    row = connection.execute(select(requests).where(
        and_(requests.c.user_id == user, requests.c.key == key))).first()
    return None if row is None else _earlier(row)


def _earlier(row: Row[Any]) -> Earlier:
    return Earlier(row.events_table, row.aggregate_id, row.aggregate_version, row.notification_id, row.request)


class IdempotencyStore:
    """Reads the ledger for the web layer, and forgets keys after ``KEEP_FOR``."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._purged_at = 0.0
        self._lock = threading.Lock()

    def create_table(self) -> None:
        metadata.create_all(self.engine)
        with self.engine.begin() as connection:
            for name in EARLIER_TABLES:
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")

    def lookup(self, user: str, key: str) -> Stored | None:
        """What the ledger holds for this user's key (nothing if its request never committed)."""
        self._purge_now_and_then()
        with self.engine.connect() as connection:
            row = connection.execute(select(requests).where(
                and_(requests.c.user_id == user, requests.c.key == key))).first()
        return None if row is None else Stored(row.request, _earlier(row))

    def _purge_now_and_then(self) -> None:
        """Forget keys older than ``KEEP_FOR``, at most every ``PURGE_EVERY_SECONDS`` per process; a purge that
        fails (a locked database) is tried again next time and never fails the request."""
        now = time.monotonic()
        with self._lock:
            if now - self._purged_at < PURGE_EVERY_SECONDS:
                return
            self._purged_at = now
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(requests).where(requests.c.created_at < datetime.now(UTC) - KEEP_FOR))
        except SQLAlchemyError:
            log.warning("could not forget old idempotency keys now; will try again", exc_info=True)
            self._purged_at = 0.0
