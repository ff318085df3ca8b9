"""The deadline policy of a case: warnings at 80 %, breaches, automatic escalation and its rising.

``due_events`` is a pure function of the case's state, today and the calendar: it returns what is due, in
the order it is to be recorded, and changes nothing; ``Case.check_deadlines`` records each as its event
(``DeadlineWarned``, ``DeadlineBreached``, ``EscalationOpened``, ``EscalationRaised``). Running it again on
the new state finds nothing more: each warning and breach is due once per item, an automatic escalation
only when none is open, and an escalation rises a level only after ``raise_after`` working days at its
current level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from domain.shared.values import TOP_ESCALATION_LEVEL, CaseStatus, ItemStatus
from domain.shared.working_days import IsWorkday, working_days_between

if TYPE_CHECKING:
    from domain.case.state import Escalation, ItemState

WARNING_SHARE = 0.8
RUNNING = (ItemStatus.IN_REVIEW, ItemStatus.WAITING)  # a waiting item runs once its prerequisites are approved


@dataclass(frozen=True)
class DeadlineWarning:
    """80 % of an item's working time is used: ``Case.DeadlineWarned`` is due."""

    item: str
    due: date
    used_days: int
    allowed_days: int
    reason: str


@dataclass(frozen=True)
class DeadlineBreach:
    """An item is overdue: ``Case.DeadlineBreached`` is due."""

    item: str
    due: date
    reason: str


@dataclass(frozen=True)
class EscalationOpening:
    """An item was breached and no escalation is open: ``Case.EscalationOpened`` is due."""

    number: int
    level: int
    opened_on: date
    reason: str


@dataclass(frozen=True)
class EscalationRising:
    """An escalation stayed unresolved too long at its level: ``Case.EscalationRaised`` is due."""

    number: int
    level: int
    raised_on: date
    reason: str


Due = DeadlineWarning | DeadlineBreach | EscalationOpening | EscalationRising


def due_events(status: CaseStatus, items: Iterable[ItemState], escalations: Sequence[Escalation], today: date,
               is_workday: IsWorkday, raise_after: int) -> list[Due]:
    """What a case with this state must record as of ``today``, in order (nothing once it is closed)."""
    if status != CaseStatus.OPEN:
        return []
    due: list[Due] = [d for d in (_item_due(item, today, is_workday) for item in items) if d is not None]
    breached = [d.item for d in due if isinstance(d, DeadlineBreach)]
    open_ones = [(e.number, e.level, e.since) for e in escalations if e.is_open]
    if breached and not open_ones:
        due.append(EscalationOpening(len(escalations) + 1, 1, today, f"overdue: {', '.join(breached)}"))
        open_ones.append((len(escalations) + 1, 1, today))  # it may rise at once, as any open one
    for number, level, since in open_ones:
        if since and level < TOP_ESCALATION_LEVEL and working_days_between(since, today, is_workday) >= raise_after:
            due.append(EscalationRising(number, level + 1, today, f"unresolved for {raise_after} working days"))
    return due


def _item_due(item: ItemState, today: date, is_workday: IsWorkday) -> DeadlineWarning | DeadlineBreach | None:
    """The warning or breach due for one item, if any."""
    start = item.clock_start
    if item.status not in RUNNING or item.due is None or start is None:
        return None  # not running: not started, paused for a supplement, or decided
    if today > item.due and not item.breached:
        return DeadlineBreach(item.code, item.due, f"due {item.due.isoformat()}")
    allowed = working_days_between(start, item.due, is_workday)
    used = working_days_between(start, today, is_workday)
    if not item.warned and not item.breached and used >= math.ceil(WARNING_SHARE * allowed):
        return DeadlineWarning(item.code, item.due, used, allowed, f"{used} of {allowed} working days used")
    return None
