"""What a read model is, how its handlers are found (by event class), and the view session it writes through."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEvent

Row = dict[str, Any]
Handler = Callable[[Any, "Change", Any, "ViewSession"], None]  # (read model, change, event, view)
H = TypeVar("H", bound=Callable[..., None])
_HANDLES = "_handles_events"


class Change(NamedTuple):
    """One recorded event as the projections see it (a named tuple: a catch-up makes one per event)."""

    application: str
    notification_id: int
    originator_id: UUID
    position: int  # the event's version in its aggregate: the audit position
    type: str  # the event class's name, e.g. "ItemApproved", as the audit log shows it (handlers go by class)
    event: Any  # the domain event object
    key: str  # the aggregate id as read models store it (str(originator_id), made once)


class ViewSession(Protocol):
    """Rows of read-model tables, within one transaction; keys are primary-key tuples."""

    def get(self, table: str, key: tuple[Any, ...]) -> Row | None:
        """Return the row with this primary key, or None."""

    def put(self, table: str, row: Row) -> None:
        """Insert or replace the row (the primary key is taken from it)."""

    def insert(self, table: str, row: Row) -> None:
        """Add a row the projection knows is new (e.g. made by a creation event); later readable."""

    def update(self, table: str, key: tuple[Any, ...], **values: Any) -> Row:
        """Change some columns of an existing row (LookupError if there is none); return the row."""

    def append(self, table: str, row: Row) -> None:
        """Add a row to an append-only table (never read back by projections)."""

    def delete(self, table: str, key: tuple[Any, ...]) -> None:
        """Remove the row with this primary key, if any."""


def handles(*events: type[DomainEvent]) -> Callable[[H], H]:
    """Declare a read model's method the handler of these event classes (``@handles(Case.ItemApproved)``)."""
    def mark(handler: H) -> H:
        setattr(handler, _HANDLES, events)
        return handler
    return mark


class ReadModel:
    """Turns the events of some applications into rows of its ``tables``.

    Not eventsourcing's ``Projection``: a read model holds no tracking and no recorder of its own. The runner
    (``infrastructure.readmodels.runner.ReadModelRunner``) gives it each event with a ``ViewSession`` bound to
    the transaction that also moves its tracking position. Its methods marked ``@handles(EventClass, ...)``
    form ``handlers``, looked up by the event's exact class: an event of a class with no handler changes
    nothing, and a handler can only name a class that exists (``tests/application/projections/test_handlers.py``
    checks the tables against the aggregates' events).
    """

    name: str = ""
    applications: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    weight: ClassVar[float] = 1.0  # work per event, relative to the others (projecting and writing rows; measured
    # by benchmarks/projections.py): a long catch-up shares read models out over processes by it
    handlers: ClassVar[Mapping[type[DomainEvent], Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own: dict[type[DomainEvent], Handler] = {}
        for member in vars(cls).values():
            for event in getattr(member, _HANDLES, ()):
                if not (isinstance(event, type) and issubclass(event, DomainEvent)):
                    raise TypeError(f"{cls.__name__}.{member.__name__} handles {event!r}, not an event class")
                if event in own:
                    raise TypeError(f"{cls.__name__}: two handlers for {event.__qualname__}")
                own[event] = member
        cls.handlers = {**cls.handlers, **own}

    def process(self, change: Change, view: ViewSession) -> None:
        """Apply one event to the views (events without a handler change nothing)."""
        handler = self.handlers.get(type(change.event))
        if handler is not None:
            handler(self, change, change.event, view)


def required(row: Row | None, what: str) -> Row:
    """Return the row, or fail loudly: a projection that lost a row must not guess."""
    if row is None:
        raise LookupError(f"read model is missing {what}; rebuild the projections")
    return row
