"""The audit log: one row per event of every aggregate — the auditor's index into histories.

The row's position is the event's version in its aggregate (gap-free, per aggregate), never the
notification id (which has gaps on PostgreSQL and orders applications separately).
"""

from __future__ import annotations

from typing import Any

from application.projections.base import Change, ReadModel, ViewSession
from domain.case.aggregate import Case

AUDIT_LOG = "rm_audit_log"


def aggregate_kind(event: Any) -> str:
    """``Case``, ``Petition``, ``Bundle``, ``Catalogue``, ``User`` or ``Delivery``: the aggregate an event belongs to."""
    return type(event).__qualname__.partition(".")[0]  # every event is nested in its aggregate's class


class AuditReadModel(ReadModel):
    """Every event of every application → rm_audit_log (append-only): one row per event whatever its class, so
    it needs no handler table."""

    name = "audit"
    applications = ("Cases", "Catalogue", "Users", "Petitions", "Notifications")
    tables = (AUDIT_LOG,)
    weight = 4.5  # little Python, but a row for every event

    def __init__(self) -> None:
        # event class -> (aggregate_kind, whether it opens a case): one row per event, few classes
        self._kinds: dict[type, tuple[str, bool]] = {}

    def process(self, change: Change, view: ViewSession) -> None:
        event = change.event
        kind = self._kinds.get(type(event))
        if kind is None:
            kind = self._kinds[type(event)] = (aggregate_kind(event), issubclass(type(event), Case.Opened))
        actor = getattr(event, "actor", None)
        view.append(AUDIT_LOG, {
            "application": change.application, "originator_id": change.key,
            "position": change.position, "aggregate": kind[0], "type": change.type,
            "case_number": event.number if kind[1] else None,
            "at": event.timestamp, "reason": getattr(event, "reason", "") or "",
            "actor_id": None if actor is None else actor.user_id,
            "actor_role": None if actor is None else str(actor.role),
            "actor_department": None if actor is None else actor.department,
        })
