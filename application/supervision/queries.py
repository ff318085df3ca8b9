"""What supervisors (and auditors, who only read) see across departments: late items, escalations page by
page, each department's load; and the staff a supervisor may hand an item or a case to.

Like ``application.cases.queries``: every query reads projected tables, and a caller that has just written passes
where its write landed (``after=``) so the read includes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol

from application.common.access import require_role
from application.common.changes import Saved
from application.common.clock import Clock
from application.common.errors import InvalidInput
from application.common.page import Page, Row
from domain.shared.values import Actor, Role

BOARD_READERS = (Role.SUPERVISOR, Role.AUDITOR)
ESCALATION_STATES = ("open", "closed")
LATE_LISTS = ("overdue", "due_soon")
MAX_PER_PAGE = 100


class SupervisionStore(Protocol):
    """What these queries need of the read models (``infrastructure.readmodels.supervision``)."""

    def overdue_items(self, *, today: date, department: str = ..., page: int = ..., per_page: int = ...) -> Page: ...
    def due_soon_items(self, *, today: date, soon_before: date, department: str = ..., page: int = ...,
                       per_page: int = ...) -> Page: ...
    def late_counts(self, *, today: date, soon_before: date, department: str = ...,
                    lists: tuple[str, ...] = ...) -> dict[str, int]: ...
    def escalations(self, *, state: str, page: int = ..., per_page: int = ...) -> Page: ...
    def escalation_counts(self) -> dict[str, int]: ...
    def department_load(self, *, today: date) -> dict[str, dict[str, int]]: ...
    def staff(self, *, role: str, department: str | None = ...) -> list[Row]: ...


class SupervisionQueries:
    """The supervision board's lists and figures, as supervisors and auditors may see them.

    ``after_working_days(day, n)`` is the calendar's n-th working day after ``day``.
    """

    def __init__(self, store: SupervisionStore, clock: Clock, wait_for: Callable[[str, int | None], None],
                 after_working_days: Callable[[date, int], date]):
        self.store, self.clock, self.wait_for, self.after_working_days = store, clock, wait_for, after_working_days

    def _after(self, saved: Saved | int | None) -> None:
        if isinstance(saved, Saved):
            self.wait_for("Cases", saved.notification_id)
        elif isinstance(saved, int) and not isinstance(saved, bool):
            self.wait_for("Cases", saved)

    def overdue_items(self, actor: Actor, department: str = "", page: int = 1, per_page: int = 20,
                      after: Saved | int | None = None) -> Page:
        """Items past their due date whose clock runs, in every department (or one), longest overdue first."""
        require_role(actor, "the overdue list", *BOARD_READERS)
        self._after(after)
        return self.store.overdue_items(today=self.clock.today(), department=department,
                                        **_paging(page, per_page))

    def due_soon_items(self, actor: Actor, department: str = "", page: int = 1, per_page: int = 20,
                       after: Saved | int | None = None) -> Page:
        """Items due within one working day or with 80 % of their working time used (预警), soonest first."""
        require_role(actor, "the due-soon list", *BOARD_READERS)
        self._after(after)
        today = self.clock.today()
        return self.store.due_soon_items(today=today, soon_before=self._soon_before(today), department=department,
                                         **_paging(page, per_page))

    def late_counts(self, actor: Actor, department: str = "",
                    lists: tuple[str, ...] = LATE_LISTS) -> dict[str, int]:
        """How many items the overdue and the due-soon lists (those of ``lists``) hold in all:
        ``{"overdue": n, "due_soon": n}``."""
        require_role(actor, "the overdue list", *BOARD_READERS)
        today = self.clock.today()
        return self.store.late_counts(today=today, soon_before=self._soon_before(today), department=department,
                                      lists=tuple(name for name in lists if name in LATE_LISTS))

    def _soon_before(self, today: date) -> date:
        """Due within one working day: at most one working day after today up to the due date."""
        return self.after_working_days(today, 2)

    def escalations(self, actor: Actor, state: str = "open", page: int = 1, per_page: int = 20,
                    after: Saved | int | None = None) -> Page:
        """One page of the escalations board in ``state`` ("open" or "closed"), each with its age in days."""
        require_role(actor, "the escalations board", *BOARD_READERS)
        if state not in ESCALATION_STATES:
            raise InvalidInput(f"state: one of {', '.join(ESCALATION_STATES)}", {"state": ["open or closed"]})
        self._after(after)
        result = self.store.escalations(state=state, **_paging(page, per_page))
        now = self.clock.now()
        for row in result.rows:
            row["age_days"] = ((row["resolved_at"] or now) - row["opened_at"]).days
        return result

    def escalation_counts(self, actor: Actor) -> dict[str, int]:
        """How many escalations are open and closed."""
        require_role(actor, "the escalations board", *BOARD_READERS)
        counts = self.store.escalation_counts()
        return {state: counts.get(state, 0) for state in ESCALATION_STATES}

    def department_load(self, actor: Actor) -> dict[str, dict[str, int]]:
        """Per department: its undecided items of open cases, and how many are overdue."""
        require_role(actor, "department load", *BOARD_READERS)
        return self.store.department_load(today=self.clock.today())

    def staff(self, actor: Actor, role: Role | str, department: str | None = None) -> list[Row]:
        """The users of ``role`` (of ``department``) a supervisor may hand an item or a case to."""
        require_role(actor, "the staff directory", Role.SUPERVISOR)
        return self.store.staff(role=str(role), department=department)


def _paging(page: int, per_page: int) -> dict[str, int]:
    """A page number of at least 1 and a page size of 1 … ``MAX_PER_PAGE``."""
    return {"page": max(1, int(page)), "per_page": min(MAX_PER_PAGE, max(1, int(per_page)))}
