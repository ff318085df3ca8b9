"""The read side of petitions: the list with its counts, and the figures, as each role may see them.

Figures, per department holding the petition and over all of them:

* answered on time (按时答复率): petitions whose first answer came by its due date / answered petitions;
* average rating (好差评) and satisfied rate: over the latest return visit of each visited petition;
* escalated: petitions that came under supervision at least once; reopened: sent back after a poor rating.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from statistics import mean
from typing import Any, Protocol

from application.common.access import READERS, require_role
from application.common.changes import Saved
from application.common.clock import Clock
from application.common.errors import NotAllowed
from application.common.page import Page, Row
from domain.shared.values import Actor, Role


class PetitionStore(Protocol):
    """What the queries need of the petition read model (``infrastructure.readmodels.petitions``)."""

    def petition_list(self, *, today: date, status: str = ..., department: str = ..., overdue: bool | None = ...,
                      page: int = ..., per_page: int = ...) -> Page: ...
    def petition_counts(self, *, today: date, department: str = ...) -> dict[str, int]: ...
    def petition_kpi_rows(self) -> list[Row]: ...


class PetitionQueries:
    """Petition lists and figures, caught up to the caller's own writes."""

    def __init__(self, store: PetitionStore, clock: Clock, wait_for: Callable[[str, int | None], None]):
        self.store, self.clock, self.wait_for = store, clock, wait_for

    def _after(self, saved: Saved | int | None) -> None:
        if isinstance(saved, Saved):
            self.wait_for("Petitions", saved.notification_id)
        elif isinstance(saved, int):
            self.wait_for("Petitions", saved)

    def petition_list(self, actor: Actor, after: Saved | int | None = None, status: str = "",
                      department: str = "", **filters: Any) -> dict[str, Any]:
        """Petitions by status and department, with counts per status (and overdue) for the same department;
        a reviewer sees only the petitions its department holds, whatever it asks for."""
        if actor.role == Role.REVIEWER and actor.department:
            department = actor.department
        elif actor.role not in READERS:
            raise NotAllowed(f"{actor.role} may not list petitions")
        self._after(after)
        today = self.clock.today()
        page = self.store.petition_list(today=today, status=status, department=department, **filters)
        return {"items": page.rows, "total": page.total, "page": page.page, "per_page": page.per_page,
                "counts": self.store.petition_counts(today=today, department=department)}

    def figures(self, actor: Actor) -> dict[str, Any]:
        """Key figures of petitions, over all and per department (supervisors, auditors)."""
        require_role(actor, "petition figures", Role.SUPERVISOR, Role.AUDITOR)
        rows = self.store.petition_kpi_rows()
        by_department: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            if row["department"]:
                by_department[row["department"]].append(row)
        return {"all": petition_figures(rows),
                "departments": {code: petition_figures(by_department[code]) for code in sorted(by_department)}}


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def petition_figures(rows: Iterable[Row]) -> dict[str, Any]:
    """Counts, answered-on-time rate, average rating and satisfied rate of these petition rows."""
    rows = list(rows)
    answered = [r for r in rows if r["answers"]]
    visited = [r for r in rows if r["rating"] is not None]
    return {
        "received": len(rows), "open": sum(r["status"] != "closed" for r in rows), "answered": len(answered),
        "on_time_rate": _rate(sum(bool(r["on_time"]) for r in answered), len(answered)),
        "average_rating": round(mean(r["rating"] for r in visited), 2) if visited else None,
        "satisfied_rate": _rate(sum(bool(r["satisfied"]) for r in visited), len(visited)),
        "escalated": sum(r["max_level"] > 0 for r in rows), "reopened": sum(r["round"] > 1 for r in rows),
    }
