"""Deadline supervision of a case: warnings at 80 %, breaches, automatic escalation and its rising.

Mixed into ``Case``. ``check_deadlines`` is idempotent: each warning and breach is recorded once per
item, an automatic escalation is opened only when none is open, and an escalation rises a level
only after ``raise_after`` working days at its current level.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from domain.case import events as ev
from domain.shared.values import Actor, CaseStatus, ItemStatus
from domain.shared.working_days import IsWorkday, working_days_between

if TYPE_CHECKING:
    from domain.case.state import Escalation, ItemState

WARNING_SHARE = 0.8
MAX_LEVEL = 3
RUNNING = (ItemStatus.IN_REVIEW, ItemStatus.WAITING)  # a waiting item runs once its prerequisites are approved


class CaseDeadlines:
    """Deadline checks; uses ``Case``'s state and ``trigger_event``."""

    status: CaseStatus
    items: dict[str, ItemState]
    escalations: list[Escalation]

    def check_deadlines(self, today: date, is_workday: IsWorkday, raise_after: int, actor: Actor) -> int:
        """Record due warnings, breaches and escalations as of ``today``; return how many events."""
        if self.status != CaseStatus.OPEN:
            return 0
        before = len(self.pending_events)  # type: ignore[attr-defined]
        breached = [item for item in self.items.values() if self._check_item(item, today, is_workday, actor)]
        if breached and not any(e.is_open for e in self.escalations):
            late = ", ".join(item.code for item in breached)
            self.trigger_event(ev.EscalationOpened, number=len(self.escalations) + 1, level=1,  # type: ignore[attr-defined]
                               opened_on=today, actor=actor, reason=f"overdue: {late}")
        for escalation in self.escalations:
            if escalation.is_open and escalation.since and escalation.level < MAX_LEVEL and \
                    working_days_between(escalation.since, today, is_workday) >= raise_after:
                self.trigger_event(ev.EscalationRaised, number=escalation.number,  # type: ignore[attr-defined]
                                   level=escalation.level + 1, raised_on=today, actor=actor,
                                   reason=f"unresolved for {raise_after} working days")
        return len(self.pending_events) - before  # type: ignore[attr-defined]

    def _check_item(self, item: ItemState, today: date, is_workday: IsWorkday, actor: Actor) -> bool:
        """Warn or breach one item if due; return whether it was breached now."""
        start = item.clock_start
        if item.status not in RUNNING or item.due is None or start is None:
            return False  # not running: not started, paused for a supplement, or decided
        if today > item.due and not item.breached:
            self.trigger_event(ev.DeadlineBreached, item=item.code, due=item.due, actor=actor,  # type: ignore[attr-defined]
                               reason=f"due {item.due.isoformat()}")
            return True
        allowed = working_days_between(start, item.due, is_workday)
        used = working_days_between(start, today, is_workday)
        if not item.warned and not item.breached and used >= math.ceil(WARNING_SHARE * allowed):
            self.trigger_event(ev.DeadlineWarned, item=item.code, due=item.due, used_days=used,  # type: ignore[attr-defined]
                               allowed_days=allowed, actor=actor, reason=f"{used} of {allowed} working days used")
        return False
