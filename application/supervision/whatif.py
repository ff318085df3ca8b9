"""What if the time limits had been different? Replays recorded case histories; writes nothing.

For every item whose clock started, the replay takes the recorded day it started (acceptance, or the
approval of its last prerequisite), supplement pauses
and decision day, and computes its due date under the policy (each limit × ``scale``, rounded up,
at least one working day), pauses added back as the real rule does. It then compares, per bundle
and per department, the on-time rate (decided by the due date / decided) and the breaches (decided
after the due date, or still undecided and past it today) as recorded and as they would have been.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.shared.working_days import IsWorkday, add_working_days, extend_after_pause

DECISIONS = {"ItemApproved", "ItemApprovedOnCommitment", "ItemRejected"}


@dataclass
class ItemRun:
    """One item's recorded life from the start of its clock, as far as deadlines go."""

    bundle: str
    department: str
    time_limit_days: int
    clock_from: date
    recorded_due: date
    pauses: list[tuple[date, date]] = field(default_factory=list)
    paused_on: date | None = None
    decided_on: date | None = None

    def due_under(self, scale: float, is_workday: IsWorkday) -> date:
        """The due date had the limit been scaled (pauses still added back)."""
        due = add_working_days(self.clock_from, max(1, math.ceil(self.time_limit_days * scale)), is_workday)
        for paused, resumed in self.pauses:
            due = extend_after_pause(due, paused, resumed, is_workday)
        return due


@dataclass
class Tally:
    """On-time and breach counts for one group of items."""

    decided: int = 0
    on_time: int = 0
    breaches: int = 0

    def rate(self) -> float | None:
        return round(self.on_time / self.decided, 4) if self.decided else None


def item_runs(history: Iterable[Any], business_date: Callable[[datetime], date]) -> list[ItemRun]:
    """The items of one case history whose clocks started (its events in order)."""
    runs: dict[str, ItemRun] = {}
    meta: dict[str, Any] = {}
    bundle = ""
    for event in history:
        kind = type(event).__name__
        if kind == "Opened":
            bundle = event.bundle
            meta = {i["code"]: i for i in event.items}
        elif kind == "ItemTransferred":
            meta[event.item] = {**meta[event.item], "department": event.to_department}
        elif kind in ("ItemAccepted", "ItemClockStarted") and event.item not in runs:
            item = meta[event.item]
            start = event.accepted_on if kind == "ItemAccepted" else event.started_on
            runs[event.item] = ItemRun(bundle, item["department"], item["time_limit_days"], start, event.due)
        elif kind == "SupplementRequested" and event.item in runs:
            runs[event.item].paused_on = event.paused_on
        elif kind == "SupplementReceived" and event.item in runs:
            run = runs[event.item]
            run.pauses.append((run.paused_on or run.clock_from, business_date(event.timestamp)))
            run.recorded_due, run.paused_on = event.due, None
        elif kind in DECISIONS and event.item in runs:
            runs[event.item].decided_on = business_date(event.timestamp)
    return list(runs.values())


def compare(runs: Iterable[ItemRun], scale: float, today: date, is_workday: IsWorkday) -> dict[str, Any]:
    """Recorded against what-if tallies, per bundle and per department."""
    groups: dict[tuple[str, str], dict[str, Tally]] = defaultdict(lambda: {"recorded": Tally(), "what_if": Tally()})
    for run in runs:
        dues = {"recorded": run.recorded_due, "what_if": run.due_under(scale, is_workday)}
        for key in (("bundle", run.bundle), ("department", run.department)):
            for name, due in dues.items():
                tally = groups[key][name]
                if run.decided_on is not None:
                    tally.decided += 1
                    tally.on_time += run.decided_on <= due
                    tally.breaches += run.decided_on > due
                elif run.paused_on is None and today > due:
                    tally.breaches += 1
    return {f"{kind}:{code}": value for (kind, code), value in sorted(groups.items())}
