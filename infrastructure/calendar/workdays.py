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
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar

from domain.shared.working_days import add_working_days, working_days_between

log = logging.getLogger(__name__)


class WorkingCalendar:
    """Answers ``is_workday(day)``; pass the bound method to the application."""

    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = (), years: Iterable[int] = (),
                 recorded: Callable[[], tuple[int, dict[date, bool], set[int]]] | None = None,
                 refresh_seconds: float = 1.0):
        self.file_holidays, self.file_workdays, self.file_years = frozenset(holidays), frozenset(workdays), \
            frozenset(years)
        self.holidays, self.workdays, self.years = self.file_holidays, self.file_workdays, self.file_years
        self._warned_years: set[int] = set()
        self._cached = lru_cache(maxsize=4096)(self._is_workday)
        self._spans = lru_cache(maxsize=65536)(self._working_days)
        self._afters = lru_cache(maxsize=65536)(self._after)
        self.recorded, self.refresh_seconds = recorded, refresh_seconds  # overrides an admin recorded
        self._version, self._checked_at = -1, float("-inf")
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Take the recorded overrides, at most once per ``refresh_seconds`` (they change rarely)."""
        if self.recorded is None or time.monotonic() - self._checked_at < self.refresh_seconds:
            return
        with self._lock:
            version, days, years = self.recorded()
            self._checked_at = time.monotonic()
            if version != self._version:
                self.holidays = self.file_holidays | {d for d, w in days.items() if not w}
                self.workdays = (self.file_workdays | {d for d, w in days.items() if w}) - {
                    d for d, w in days.items() if not w}
                self.years = self.file_years | frozenset(years)
                self._cached.cache_clear()
                self._spans.cache_clear()
                self._afters.cache_clear()
                self._version = version

    @classmethod
    def from_file(cls, path: str | Path | None, **kwargs: Any) -> WorkingCalendar:
        """Build a calendar with the overrides in ``path`` (none when ``path`` is empty)."""
        if not path:
            return cls(**kwargs)
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            holidays=[date.fromisoformat(d) for d in data.get("holidays", [])],
            workdays=[date.fromisoformat(d) for d in data.get("workdays", [])],
            years=[int(y) for y in data.get("years", [])], **kwargs,
        )

    def knows(self, day: date) -> bool:
        """Whether ``day``'s year has a real holiday schedule (chinesecalendar's, or declared overrides)."""
        self.refresh()
        if day.year in self.years:
            return True
        try:
            chinese_calendar.is_workday(day)
            return True
        except NotImplementedError:
            return False

    def is_workday(self, day: date) -> bool:
        """Return whether ``day`` is a working day."""
        self.refresh()
        return self._cached(day)

    def working_days(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (memoised: many cases share dates)."""
        self.refresh()
        return self._spans(start, end)

    def after(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (memoised like ``working_days``)."""
        self.refresh()
        return self._afters(start, days)

    def _after(self, start: date, days: int) -> date:
        return add_working_days(start, days, self._cached)

    def _working_days(self, start: date, end: date) -> int:
        return working_days_between(start, end, self._cached)

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
