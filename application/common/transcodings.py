"""How OneThing's values are written into stored events and snapshots (JSON)."""

from __future__ import annotations

from datetime import date
from typing import Any

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


class AsDict(Transcoding):
    """A value with ``to_dict()`` and a ``from_dict()`` class method, stored as its dict."""

    def __init__(self, kind: type, name: str):
        self.type, self.name = kind, name

    def encode(self, obj: Any) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type.from_dict(data)


DOMAIN_TRANSCODINGS = (
    DateAsISO(),
    AsDict(Actor, "actor"),  # on every event
    AsDict(ItemState, "item_state"),  # in snapshots
    AsDict(Escalation, "escalation"),  # in snapshots
)

