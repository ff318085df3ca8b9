"""What a projection is, and the view session it writes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

Row = dict[str, Any]


@dataclass(frozen=True)
class Change:
    """One recorded event as the projections see it."""

    application: str
    notification_id: int
    originator_id: UUID
    position: int  # the event's version in its aggregate: the audit position
    type: str  # the event class's name, e.g. "ItemApproved"
    event: Any  # the domain event object
    key: str  # the aggregate id as read models store it (str(originator_id), made once)


class ViewSession(Protocol):
    """Rows of read-model tables, within one transaction; keys are primary-key tuples."""

    def get(self, table: str, key: tuple) -> Row | None:
        """Return the row with this primary key, or None."""

    def put(self, table: str, row: Row) -> None:
        """Insert or replace the row (the primary key is taken from it)."""

    def insert(self, table: str, row: Row) -> None:
        """Add a row the projection knows is new (e.g. made by a creation event); later readable."""

    def update(self, table: str, key: tuple, **values: Any) -> Row:
        """Change some columns of an existing row (LookupError if there is none); return the row."""

    def append(self, table: str, row: Row) -> None:
        """Add a row to an append-only table (never read back by projections)."""

    def delete(self, table: str, key: tuple) -> None:
        """Remove the row with this primary key, if any."""


class ReadModel:
    """Turns the events of some applications into rows; handlers are ``on_<EventName>``."""

    name: str = ""
    applications: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    def process(self, change: Change, view: ViewSession) -> None:
        """Apply one event to the views (events without a handler change nothing)."""
        handler = getattr(self, f"on_{change.type}", None)
        if handler is not None:
            handler(change, change.event, view)


def actor_fields(event: Any) -> Row:
    """The actor of an event as columns."""
    actor = getattr(event, "actor", None)
    if actor is None:
        return {"actor_id": None, "actor_role": None, "actor_department": None}
    return {"actor_id": actor.user_id, "actor_role": str(actor.role), "actor_department": actor.department}


def required(row: Row | None, what: str) -> Row:
    """Return the row, or fail loudly: a projection that lost a row must not guess."""
    if row is None:
        raise LookupError(f"read model is missing {what}; rebuild the projections")
    return row
