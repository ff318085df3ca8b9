"""The base of every event in OneThing: who acted, and why."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from domain.shared.values import Actor


class Recorded(Aggregate.Event):
    """An event that records its actor and reason (the time is the event's own timestamp)."""

    actor: Actor
    reason: str


class Created(Recorded, Aggregate.Created):
    """The first event of an aggregate, with its actor and reason."""
