"""Working-day arithmetic. Pure: the calendar comes in as an ``is_workday`` function.

Rule (shared/API.md): an item accepted on day D with a limit of N working days is due on the
N-th working day after D, counting from the next day. A supplement request pauses the clock:
the working days from the request (exclusive) to the supplement (inclusive) are added again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

IsWorkday = Callable[[date], bool]
ONE_DAY = timedelta(days=1)


def add_working_days(start: date, days: int, is_workday: IsWorkday) -> date:
    """Return the ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current, counted = start, 0
    while counted < days:
        current += ONE_DAY
        if is_workday(current):
            counted += 1
    return current


def working_days_between(start: date, end: date, is_workday: IsWorkday) -> int:
    """Count working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    count, current = 0, start
    while current < end:
        current += ONE_DAY
        if is_workday(current):
            count += 1
    return count


def extend_after_pause(due: date, paused_on: date, resumed_on: date, is_workday: IsWorkday) -> date:
    """Return the due date moved on by the working days the clock stood still."""
    return add_working_days(due, working_days_between(paused_on, resumed_on, is_workday), is_workday)


@dataclass(frozen=True)
class WorkClock:
    """Today and the calendar, as a command that starts a clock needs them."""

    today: date
    is_workday: IsWorkday
    knows: Callable[[date], bool] = lambda _: True

    def due_after(self, days: int) -> tuple[date, bool]:
        """The due date ``days`` working days after today, and whether it is provisional (a year the
        calendar does not know is involved)."""
        due = add_working_days(self.today, days, self.is_workday)
        return due, not (self.knows(self.today) and self.knows(due))
