"""A faster application recorder for eventsourcing-sqlalchemy.

The extension's recorder adds one ORM object per event and flushes them one INSERT at a time,
and reads events back through ORM queries. These subclasses keep its tables, locking and
transactions but insert all of a command's events in one multi-row ``INSERT … RETURNING`` and
select with Core, which removes most of the per-event Python overhead (see benchmarks/).
"""

from __future__ import annotations

from typing import Any, Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.recorders import (
    SQLAlchemyAggregateRecorder,
    SQLAlchemyApplicationRecorder,
)
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

LOCK_TIMEOUT = "5s"  # PostgreSQL: how long an insert waits for the events table's lock


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
    """Events: one multi-row insert per command, Core selects, a lock timeout on PostgreSQL."""

    def _insert_stored_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        if not stored_events:
            return []
        table = self.events_record_cls.__table__
        self._lock_table(session)
        rows = [
            {"originator_id": e.originator_id, "originator_version": e.originator_version,
             "topic": e.topic, "state": e.state}
            for e in stored_events
        ]
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = list(session.execute(statement, rows).scalars())
        self._notify_channel(session)
        return ids

    def _lock_table(self, session: Session) -> None:
        if self.datastore.engine is not None and self.datastore.engine.dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        super()._lock_table(session)
