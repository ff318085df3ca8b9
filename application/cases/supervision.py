"""Commands of supervisors: escalate and resolve, urge, assign and transfer items between departments."""

from __future__ import annotations

from collections.abc import Callable

from application.catalogue.application import CatalogueApplication
from application.common.access import require_item_reviewer, require_role
from application.common.changes import Changes, Saved
from application.common.clock import Clock
from application.common.errors import InvalidInput
from domain.case.aggregate import Case
from domain.shared.values import Actor, Role


class Supervision:
    """What supervisors do to cases (``CaseApplication.supervision``); deadlines are checked by
    ``application.supervision.sla``."""

    def __init__(self, changes: Changes[Case], catalogue: CatalogueApplication, clock: Clock,
                 find_actor: Callable[[str], Actor | None]):
        self.changes, self.catalogue, self.clock, self.find_actor = changes, catalogue, clock, find_actor

    def escalate(self, actor: Actor, case_id: str, reason: str, level: int = 1,
                 expected_version: int | None = None) -> Saved:
        """Put the case under supervision (督办) at ``level``; the result is the escalation's number."""
        require_role(actor, "escalating a case", Role.SUPERVISOR)
        return self.changes.change(case_id, "escalating",
                                   lambda c: c.escalate(level, actor, reason, self.clock.today()), expected_version)

    def raise_escalation(self, actor: Actor, case_id: str, number: int, reason: str,
                         expected_version: int | None = None) -> Saved:
        """Take an open escalation a level up (提级督办); the result is its new level."""
        require_role(actor, "raising an escalation", Role.SUPERVISOR)
        return self.changes.change(case_id, "raising an escalation",
                                   lambda c: c.raise_escalation(number, self.clock.today(), actor, reason),
                                   expected_version)

    def assign_item(self, actor: Actor, case_id: str, item: str, reviewer: str, reason: str,
                    expected_version: int | None = None) -> Saved:
        """Put an item on one reviewer's desk (a reviewer of the department that holds it)."""
        require_role(actor, "assigning items", Role.SUPERVISOR)
        who = self.find_actor(reviewer) if isinstance(reviewer, str) else None

        def command(case: Case) -> None:
            department = case.check_item(item).department
            if who is None or who.role != Role.REVIEWER or who.department != department:
                raise InvalidInput(f"reviewer: {reviewer!r} is no reviewer of {department!r}",
                                   {"reviewer": [f"no reviewer of {department!r}"]})
            case.assign_item(item, reviewer, actor, reason)

        return self.changes.change(case_id, "assigning an item", command, expected_version)

    def urge(self, actor: Actor, case_id: str, item: str, reason: str, expected_version: int | None = None) -> Saved:
        """Urge the department that holds an item (催办); it counts on the item and the board."""
        require_role(actor, "urging", Role.SUPERVISOR)
        return self.changes.change(case_id, "urging", lambda c: c.urge(item, actor, reason), expected_version)

    def close_follow_up(self, actor: Actor, case_id: str, return_visit: str, reason: str,
                        expected_version: int | None = None) -> Saved:
        """Close the follow-up a poor rating opened (差评整改), recording the return visit (回访)."""
        require_role(actor, "closing a rating's follow-up", Role.SUPERVISOR)
        return self.changes.change(case_id, "closing a follow-up",
                                   lambda case: case.close_follow_up(return_visit, actor, reason), expected_version)

    def resolve_escalation(self, actor: Actor, case_id: str, number: int, reason: str,
                           expected_version: int | None = None) -> Saved:
        """Close escalation ``number`` of the case."""
        require_role(actor, "resolving an escalation", Role.SUPERVISOR)
        return self.changes.change(case_id, "resolving an escalation",
                                   lambda c: c.resolve_escalation(number, actor, reason), expected_version)

    def transfer_item(self, actor: Actor, case_id: str, item: str, to_department: str, reason: str,
                      expected_version: int | None = None) -> Saved:
        """Pass an item to another department (its own reviewer or a supervisor may)."""
        if not isinstance(to_department, str) or to_department not in self.catalogue.departments():
            raise InvalidInput(f"to_department: unknown department {to_department!r}",
                               {"to_department": [f"unknown department {to_department!r}"]})

        def authorize(case: Case) -> None:
            require_item_reviewer(actor, case, item, "transferring", Role.SUPERVISOR)

        return self.changes.change(case_id, "transferring an item",
                                   lambda case: case.transfer_item(item, to_department, actor, reason),
                                   expected_version, authorize)
