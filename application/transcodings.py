"""How OneThing's values are written into stored events and snapshots (JSON)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.case_state import Escalation, ItemState
from domain.values import Actor


class DateAsISO(Transcoding):
    """A ``date`` as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ActorAsDict(Transcoding):
    """An ``Actor`` as ``{user_id, role, department}``."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor.from_dict(data)


class ItemStateAsDict(Transcoding):
    """A case item's state (in snapshots)."""

    type = ItemState
    name = "item_state"

    def encode(self, obj: ItemState) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> ItemState:
        return ItemState.from_dict(data)


class EscalationAsDict(Transcoding):
    """A case's escalation (in snapshots)."""

    type = Escalation
    name = "escalation"

    def encode(self, obj: Escalation) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> Escalation:
        return Escalation.from_dict(data)


class OneThingApplication(Application):
    """Base of OneThing's applications: registers the domain's transcodings."""

    extra_transcodings: tuple[Transcoding, ...] = ()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in (DateAsISO(), ActorAsDict(), ItemStateAsDict(), EscalationAsDict()):
            transcoder.register(transcoding)
        for transcoding in self.extra_transcodings:
            transcoder.register(transcoding)
