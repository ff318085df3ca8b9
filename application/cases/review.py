"""Commands of department reviewers: each acts only on items its own department now holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from application.common.access import require_item_reviewer
from application.common.changes import Changes, Saved
from application.common.clock import Clock
from domain.case.aggregate import Case
from domain.shared.values import Actor, Role
from domain.shared.working_days import IsWorkday, WorkClock


class Review:
    """What reviewers do to the items of cases (``CaseApplication.review``); ``knows`` says whether the
    working-day calendar covers a day."""

    def __init__(self, changes: Changes[Case], clock: Clock, is_workday: IsWorkday, knows: Callable[[date], bool]):
        self.changes, self.clock, self.is_workday, self.knows = changes, clock, is_workday, knows

    def accept_item(self, actor: Actor, case_id: str, item: str, reason: str = "",
                    expected_version: int | None = None) -> Saved:
        """Accept an item for review; its working-day clock starts."""
        return self._review(actor, case_id, item, "accepting", lambda c: c.accept_item(
            item, self.clock.today(), self.is_workday, actor, reason, self.knows), expected_version)

    def request_supplement(self, actor: Actor, case_id: str, item: str, reason: str,
                           materials: list[str] | None = None, expected_version: int | None = None) -> Saved:
        """Ask the applicant for corrected or additional materials; the clock pauses."""
        return self._review(actor, case_id, item, "requesting a supplement", lambda c: c.request_supplement(
            item, [] if materials is None else materials, self.clock.today(), actor, reason), expected_version)

    def receive_supplement(self, actor: Actor, case_id: str, item: str, reason: str = "",
                           expected_version: int | None = None) -> Saved:
        """Record that the supplement arrived; the due date moves by the pause."""
        return self._review(actor, case_id, item, "receiving a supplement", lambda c: c.receive_supplement(
            item, self.clock.today(), self.is_workday, actor, reason, self.knows), expected_version)

    def record_inspection(self, actor: Actor, case_id: str, item: str, method: str, passed: bool,
                          reason: str = "", expected_version: int | None = None) -> Saved:
        """Record an on-site or video inspection of the item."""
        return self._review(actor, case_id, item, "recording an inspection", lambda c: c.record_inspection(
            item, method, passed, actor, reason), expected_version)

    def approve_item(self, actor: Actor, case_id: str, item: str, reason: str = "",
                     expected_version: int | None = None) -> Saved:
        """Approve the item on review."""
        return self._review(actor, case_id, item, "approving", lambda c: c.approve_item(
            item, actor, reason, clock=self._work_clock()), expected_version)

    def approve_on_commitment(self, actor: Actor, case_id: str, item: str, commitment: str,
                              reason: str = "", expected_version: int | None = None) -> Saved:
        """Approve the item at once on the applicant's signed commitment (告知承诺)."""
        return self._review(actor, case_id, item, "approving on commitment", lambda c: c.approve_on_commitment(
            item, commitment, actor, reason, clock=self._work_clock()), expected_version)

    def revoke_commitment(self, actor: Actor, case_id: str, item: str, reason: str,
                          expected_version: int | None = None) -> Saved:
        """Revoke an approval on commitment that failed its verification (reviewer or supervisor)."""
        return self._review(actor, case_id, item, "revoking a commitment", lambda c: c.revoke_commitment(
            item, actor, reason), expected_version, Role.SUPERVISOR)

    def reject_item(self, actor: Actor, case_id: str, item: str, reason: str,
                    expected_version: int | None = None) -> Saved:
        """Reject the item, with the reason."""
        return self._review(actor, case_id, item, "rejecting", lambda c: c.reject_item(
            item, actor, reason), expected_version)

    def issue_certificates(self, actor: Actor, case_id: str, item: str, reason: str = "",
                           expected_version: int | None = None) -> Saved:
        """Issue the approved item's certificates (released when the case completes)."""
        return self._review(actor, case_id, item, "issuing certificates", lambda c: c.issue_certificates(
            item, actor, reason, self.clock.today()), expected_version)

    def _review(self, actor: Actor, case_id: str, item: str, doing: str, command: Callable[[Case], Any],
                expected_version: int | None, *also: Role) -> Saved:
        """Run ``command`` if the actor reviews ``item`` now (or has a role in ``also``)."""

        def authorize(case: Case) -> None:
            require_item_reviewer(actor, case, item, doing, *also)

        return self.changes.change(case_id, doing, command, expected_version, authorize)

    def _work_clock(self) -> WorkClock:
        """Today and the working-day calendar, for commands that start clocks."""
        return WorkClock(self.clock.today(), self.is_workday, self.knows)
