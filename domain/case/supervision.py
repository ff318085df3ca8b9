"""Supervision of a case: transfers between departments, owners, escalations (督办)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.case import events as ev
from domain.shared import errors
from domain.shared.values import Actor

if TYPE_CHECKING:
    from datetime import date

    from domain.case.state import Escalation

MAX_ESCALATION_LEVEL = 3


class CaseSupervision:
    """Commands mixed into ``Case``; they use its guards (``CaseGuards``) and ``trigger_event``."""

    owner: str
    escalations: list[Escalation]

    def transfer_item(self, code: str, to_department: str, actor: Actor, reason: str) -> None:
        """Pass an undecided item to another department."""
        item = self.check_undecided(code)
        if to_department == item.department:
            raise errors.InvalidValue(f"item {code!r} is already with {to_department!r}")
        self.check_reason(reason)
        self.trigger_event(ev.ItemTransferred, item=code, from_department=item.department,
                           to_department=to_department, actor=actor, reason=reason)

    def reassign_owner(self, owner: str, actor: Actor, reason: str) -> None:
        """Make another officer the case's first-contact owner."""
        self.check_open()
        if owner == self.owner:
            raise errors.InvalidValue(f"{owner!r} already owns this case")
        self.check_reason(reason)
        self.trigger_event(ev.OwnerReassigned, owner=owner, actor=actor, reason=reason)

    def assign_item(self, code: str, reviewer: str, actor: Actor, reason: str) -> None:
        """Put an undecided item on one reviewer's desk."""
        item = self.check_undecided(code)
        if not isinstance(reviewer, str) or not reviewer or reviewer == item.assignee:
            raise errors.InvalidValue(f"item {code!r} is on {reviewer!r}'s desk already" if reviewer else
                                      "name the reviewer")
        self.check_reason(reason)
        self.trigger_event(ev.ItemAssigned, item=code, reviewer=reviewer, actor=actor, reason=reason)

    def urge(self, code: str, actor: Actor, reason: str) -> None:
        """Urge the department that holds an undecided item (催办)."""
        self.check_undecided(code)
        self.check_reason(reason)
        self.trigger_event(ev.ItemUrged, item=code, actor=actor, reason=reason)

    def raise_escalation(self, number: int, today: date, actor: Actor, reason: str) -> int:
        """Take an open escalation a level up (提级督办); return the new level."""
        self.check_open()
        escalation = self._open_escalation(number)
        if escalation.level >= MAX_ESCALATION_LEVEL:
            raise errors.InvalidValue(f"escalation {number} is at the highest level already")
        self.check_reason(reason)
        self.trigger_event(ev.EscalationRaised, number=number, level=escalation.level + 1, raised_on=today,
                           actor=actor, reason=reason)
        return escalation.level  # the new level (the event has been applied)

    def _open_escalation(self, number: int) -> Escalation:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(self.escalations):
            raise errors.EscalationNotFound(f"this case has no escalation {number}")
        if not self.escalations[number - 1].is_open:
            raise errors.EscalationAlreadyResolved(f"escalation {number} is resolved already")
        return self.escalations[number - 1]

    def escalate(self, level: int, actor: Actor, reason: str, today: date | None = None) -> int:
        """Put the case under supervision at ``level`` (1 … 3); return the escalation's number."""
        self.check_open()
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_ESCALATION_LEVEL:
            raise errors.InvalidValue(f"level must be from 1 to {MAX_ESCALATION_LEVEL}")
        self.check_reason(reason)
        number = len(self.escalations) + 1
        self.trigger_event(ev.EscalationOpened, number=number, level=level, opened_on=today, actor=actor,
                           reason=reason)
        return number

    def resolve_escalation(self, number: int, actor: Actor, reason: str) -> None:
        """Close escalation ``number`` (also after the case closed)."""
        self._open_escalation(number)
        self.check_reason(reason)
        self.trigger_event(ev.EscalationResolved, number=number, actor=actor, reason=reason)
