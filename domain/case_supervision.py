"""Supervision of a case: transfers between departments, owners, escalations (督办)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain import case_events as ev
from domain import errors
from domain.values import Actor

if TYPE_CHECKING:
    from domain.case_state import Escalation

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

    def escalate(self, level: int, actor: Actor, reason: str) -> int:
        """Put the case under supervision at ``level`` (1 … 3); return the escalation's number."""
        self.check_open()
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_ESCALATION_LEVEL:
            raise errors.InvalidValue(f"level must be from 1 to {MAX_ESCALATION_LEVEL}")
        self.check_reason(reason)
        number = len(self.escalations) + 1
        self.trigger_event(ev.EscalationOpened, number=number, level=level, actor=actor, reason=reason)
        return number

    def resolve_escalation(self, number: int, actor: Actor, reason: str) -> None:
        """Close escalation ``number`` (also after the case closed)."""
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(self.escalations):
            raise errors.EscalationNotFound(f"this case has no escalation {number}")
        if not self.escalations[number - 1].is_open:
            raise errors.EscalationAlreadyResolved(f"escalation {number} is resolved already")
        self.check_reason(reason)
        self.trigger_event(ev.EscalationResolved, number=number, actor=actor, reason=reason)
