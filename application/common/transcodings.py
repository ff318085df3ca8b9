"""How OneThing's values are written into stored events and snapshots (JSON)."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from eventsourcing.persistence import Transcoding

from domain.case.state import Escalation, ItemState
from domain.shared.values import Actor


class DateAsISO(Transcoding):
    """A ``date`` as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class DictValue(Protocol):
    """A value that turns into a dict and back."""

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any: ...


class AsDict(Transcoding):
    """A value with ``to_dict()`` and a ``from_dict()`` class method, stored as its dict."""

    def __init__(self, kind: type[DictValue], name: str):
        self.type, self.name, self.kind = kind, name, kind

    def encode(self, obj: DictValue) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> Any:
        return self.kind.from_dict(data)


class RecurringAsDict(AsDict):
    """``AsDict`` for an immutable value that recurs on many events (the actor: a few thousand users make millions
    of events): each distinct value read is made once and then shared, up to ``limit`` of them."""

    def __init__(self, kind: type[DictValue], name: str, limit: int = 10_000):
        super().__init__(kind, name)
        self.limit, self.made = limit, dict[tuple[Any, ...], Any]()

    def decode(self, data: dict[str, Any]) -> Any:
        try:
            key = tuple(data.items())
            return self.made[key]
        except KeyError:
            if len(self.made) >= self.limit:
                self.made.clear()
            value = self.made[key] = self.kind.from_dict(data)
            return value
        except TypeError:  # a value that cannot be a key (none such is written): made each time
            return self.kind.from_dict(data)


DOMAIN_TRANSCODINGS = (
    DateAsISO(),
    RecurringAsDict(Actor, "actor"),  # on every event
    AsDict(ItemState, "item_state"),  # in snapshots
    AsDict(Escalation, "escalation"),  # in snapshots
)

