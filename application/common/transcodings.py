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


DOMAIN_TRANSCODINGS = (
    DateAsISO(),
    AsDict(Actor, "actor"),  # on every event
    AsDict(ItemState, "item_state"),  # in snapshots
    AsDict(Escalation, "escalation"),  # in snapshots
)

