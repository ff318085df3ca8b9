"""Which days are working days in mainland China: chinesecalendar, with a fallback.

``chinesecalendar`` knows the State Council's holidays and adjusted working days (调休) for
the years it ships (2004–2026 in 1.11). For a later year, until a release knows it, the
calendar falls back to Monday–Friday and says so once in the log, and ``knows(day)`` answers False so
that results built on such a day are marked provisional; ``overrides`` (from
``ONETHING_CALENDAR_OVERRIDES``, a JSON file ``{"holidays": [...], "workdays": [...], "years": [2027]}``
of ISO dates, "years" naming the years whose schedule the file declares in full) lets an
administrator enter a newly published holiday schedule without an upgrade.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

import chinese_calendar

log = logging.getLogger(__name__)


class WorkingCalendar:
    """Answers ``is_workday(day)``; pass the bound method to the application."""

    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = (), years: Iterable[int] = ()):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.years = frozenset(years)  # years whose whole schedule the overrides declare
        self._warned_years: set[int] = set()
        self._cached = lru_cache(maxsize=4096)(self._is_workday)

    @classmethod
    def from_file(cls, path: str | Path | None) -> WorkingCalendar:
        """Build a calendar with the overrides in ``path`` (none when ``path`` is empty)."""
        if not path:
            return cls()
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            holidays=[date.fromisoformat(d) for d in data.get("holidays", [])],
            workdays=[date.fromisoformat(d) for d in data.get("workdays", [])],
            years=[int(y) for y in data.get("years", [])],
        )

    def knows(self, day: date) -> bool:
        """Whether ``day``'s year has a real holiday schedule (chinesecalendar's, or declared overrides)."""
        if day.year in self.years:
            return True
        try:
            chinese_calendar.is_workday(day)
            return True
        except NotImplementedError:
            return False

    def is_workday(self, day: date) -> bool:
        """Return whether ``day`` is a working day."""
        return self._cached(day)

    def _is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                log.warning("chinesecalendar does not know %s: counting Monday to Friday", day.year)
            return day.weekday() < 5
