"""Deadline supervision over all open cases: ``onething sla tick``, also run on a schedule.

The tick finds the cases worth checking in the read models (open cases with an item under review, or
an open escalation), then records on each what is due as of today: warnings, breaches, automatic
escalations and their rising. Each is recorded once, so running the tick twice changes nothing more.
Petitions waiting for an answer are checked the same way: a late one is escalated, and its escalation
rises after the same number of working days. Online filings intake left unanswered for 5 working days are
recorded accepted (行政许可法 art. 32) before the cases are checked, so their clocks are checked the same day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.cases.application import CaseApplication
from application.common.clock import Clock
from application.common.errors import InvalidInput
from application.petitions.application import PetitionApplication
from application.supervision.whatif import compare, item_runs
from domain.shared.values import Actor, Role
from domain.shared.working_days import IsWorkday

SYSTEM = Actor("system:sla", Role.SUPERVISOR)
RAISE_AFTER_WORKING_DAYS = 3


@dataclass
class TickReport:
    """What one tick did."""

    cases_checked: int = 0
    events: int = 0  # cases' and petitions'
    petitions_checked: int = 0
    filings_accepted: int = 0  # online filings intake did not answer in time: accepted by law


class SlaService:
    """Runs the deadline checks."""

    def __init__(self, cases: CaseApplication, candidates: Callable[[], Iterable[str]], clock: Clock,
                 is_workday: IsWorkday, catch_up: Callable[[], object] = lambda: None,
                 raise_after: int = RAISE_AFTER_WORKING_DAYS, petitions: PetitionApplication | None = None,
                 petition_candidates: Callable[[], Iterable[str]] = tuple,
                 filing_candidates: Callable[[], Iterable[str]] = tuple):
        self.cases, self.candidates, self.clock, self.is_workday = cases, candidates, clock, is_workday
        self.filing_candidates = filing_candidates
        self.catch_up, self.raise_after = catch_up, raise_after
        self.petitions, self.petition_candidates = petitions, petition_candidates

    def what_if(self, scale: float, case_ids: Iterable[str],
                business_date: Callable[[datetime], date]) -> dict[str, Any]:
        """Recorded against a time-limit policy scaled by ``scale``, over these cases; writes nothing."""
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale <= 10:
            raise InvalidInput("time-limit-scale: a number above 0 and at most 10", {"scale": ["0 < x <= 10"]})
        runs = [run for case_id in case_ids
                for run in item_runs(self.cases.events.get(UUID(case_id)), business_date)]
        return compare(runs, scale, self.clock.today(), self.is_workday)

    def tick(self) -> TickReport:
        """Check every open case that has a running clock or an open escalation, and every petition
        waiting for an answer."""
        self.catch_up()  # the candidates come from the read models
        report, today = TickReport(), self.clock.today()
        for case_id in self.filing_candidates():  # 行政许可法 art. 32: unanswered in 5 working days is accepted
            accepted = self.cases.changes.change(case_id, "accepting an unanswered filing",
                                                 lambda case: case.accept_if_unanswered(today, self.is_workday, SYSTEM))
            report.filings_accepted += bool(accepted.result)
            report.events += bool(accepted.result)
        for case_id in self.candidates():
            saved = self.cases.changes.change(case_id, "checking deadlines", lambda case: case.check_deadlines(
                today, self.is_workday, self.raise_after, SYSTEM))
            report.cases_checked += 1
            report.events += saved.result
        if self.petitions is not None:
            for petition_id in self.petition_candidates():
                report.events += self.petitions.check_deadlines(petition_id, today, self.raise_after, SYSTEM)
                report.petitions_checked += 1
        return report
