"""The petition list: one row per petition (诉求), for the list, its counts, the SLA tick and the figures.

Every business day the row needs travels on the events (``routed_on``, ``answered_on``, ``closed_on``), so
the projection needs no calendar and no time zone.
"""

from __future__ import annotations

from typing import Any

from application.projections.base import Change, ReadModel, Row, ViewSession, handles
from domain.petition.aggregate import Petition

PETITIONS = "rm_petitions"


class PetitionReadModel(ReadModel):
    """Petitions → rm_petitions."""

    name = "petitions"
    applications = ("Petitions",)
    tables = (PETITIONS,)

    def process(self, change: Change, view: ViewSession) -> None:
        super().process(change, view)
        if not isinstance(change.event, Petition.Submitted):  # every later event moves the row's version
            self._update(change, view, version=change.position, updated_at=change.event.timestamp)

    @handles(Petition.Submitted)
    def on_submitted(self, change: Change, e: Petition.Submitted, view: ViewSession) -> None:
        view.insert(PETITIONS, {
            "petition_id": change.key, "number": e.number, "enterprise_name": e.enterprise["name"],
            "credit_code": e.enterprise.get("credit_code"), "subject": e.subject, "channel": e.channel,
            "related_case": e.related_case, "status": "submitted", "department": None,
            "submitted_by": e.actor.user_id, "submitted_at": e.timestamp, "submitted_on": e.submitted_on,
            "routed_on": None, "time_limit_days": None, "due": None, "due_provisional": False, "answers": 0,
            "answered_on": None, "on_time": None, "level": 0, "max_level": 0, "round": 1, "rating": None,
            "satisfied": None, "closed_on": None, "version": 1, "updated_at": e.timestamp,
        })

    @handles(Petition.Routed)
    def on_routed(self, change: Change, e: Petition.Routed, view: ViewSession) -> None:
        self._update(change, view, status="routed", department=e.department, routed_on=e.routed_on,
                     time_limit_days=e.time_limit_days, due=e.due, due_provisional=e.due_provisional)

    @handles(Petition.Rerouted)
    def on_rerouted(self, change: Change, e: Petition.Rerouted, view: ViewSession) -> None:
        self._update(change, view, department=e.to_department)

    @handles(Petition.Answered)
    def on_answered(self, change: Change, e: Petition.Answered, view: ViewSession) -> None:
        row = self._update(change, view, status="answered", answered_on=e.answered_on)
        if row["answers"] == 0:
            row["on_time"] = row["due"] is None or e.answered_on <= row["due"]
        row["answers"] += 1

    @handles(Petition.Escalated)
    def on_escalated(self, change: Change, e: Petition.Escalated, view: ViewSession) -> None:
        row = self._update(change, view, level=e.level)
        row["max_level"] = max(row["max_level"], e.level)

    @handles(Petition.ReturnVisited)
    def on_return_visited(self, change: Change, e: Petition.ReturnVisited, view: ViewSession) -> None:
        self._update(change, view, rating=e.rating, satisfied=e.satisfied)

    @handles(Petition.Reopened)
    def on_reopened(self, change: Change, e: Petition.Reopened, view: ViewSession) -> None:
        self._update(change, view, status="routed", round=e.round, due=e.due, due_provisional=e.due_provisional,
                     level=0)

    @handles(Petition.Closed)
    def on_closed(self, change: Change, e: Petition.Closed, view: ViewSession) -> None:
        self._update(change, view, status="closed", closed_on=e.closed_on)

    @staticmethod
    def _update(change: Change, view: ViewSession, **values: Any) -> Row:
        return view.update(PETITIONS, (change.key,), **values)
