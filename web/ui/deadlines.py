"""The colour of a deadline badge: green, yellow (warning) or red (overdue), as 预警 works.

Pure: today and the working-day count come in as arguments (``WorkingCalendar.working_days`` in the app,
``domain.shared.working_days.working_days_between`` with a fixed calendar in tests). The 80 % share is the domain's
own (``domain.case.deadlines.WARNING_SHARE``), so the badge turns yellow when the case records its warning.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

from domain.case.deadlines import WARNING_SHARE

WorkingDays = Callable[[date, date], int]  # working days after the first date up to and including the second
GREEN, YELLOW, RED, PAUSED = "green", "yellow", "red", "paused"


def deadline_colour(due: date | None, today: date, working_days: WorkingDays, started: date | None = None,
                    paused: bool = False) -> str | None:
    """Red when overdue; yellow when due within 1 working day or ≥ 80 % of the working days from ``started``
    to ``due`` are used; green otherwise. ``paused`` (a supplement stopped the clock) and no due date: no colour
    of the three (``"paused"`` and None)."""
    if due is None:
        return None
    if paused:
        return PAUSED
    if today > due:
        return RED
    if working_days(today, due) <= 1:
        return YELLOW
    if started is not None and started < today:
        allowed = working_days(started, due)
        if allowed and working_days(started, today) >= math.ceil(WARNING_SHARE * allowed):
            return YELLOW
    return GREEN
