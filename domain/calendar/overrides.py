"""Local changes to the working-day calendar, recorded by an admin: a local holiday, an emergency
closure, or next year's schedule before the calendar package knows it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.catalogue.aggregate import CATALOGUE_NAMESPACE
from domain.shared.errors import InvalidValue
from domain.shared.recorded import Created, Recorded
from domain.shared.values import Actor


class CalendarOverrides(Aggregate):
    """The one set of overrides: days declared working or not, and years declared known in full."""

    class Started(Created):
        """The overrides were started."""

    class DayDeclared(Recorded):
        """A day was declared a working day, or not."""

        day: date
        workday: bool

        def apply(self, overrides: CalendarOverrides) -> None:
            overrides.days[self.day.isoformat()] = self.workday

    class YearDeclared(Recorded):
        """Every holiday and adjusted working day of a year is now declared: its deadlines are final."""

        year: int

        def apply(self, overrides: CalendarOverrides) -> None:
            overrides.years = sorted({*overrides.years, self.year})

    @staticmethod
    def create_id(**_: Any) -> UUID:
        """There is one set of overrides."""
        return uuid5(CATALOGUE_NAMESPACE, "calendar-overrides")

    def __init__(self, actor: Actor, reason: str):
        self.days: dict[str, bool] = {}
        self.years: list[int] = []

    @classmethod
    def start(cls, actor: Actor) -> CalendarOverrides:
        """Start with no overrides."""
        return cls._create(cls.Started, actor=actor, reason="calendar overrides started")

    def declare_day(self, day: date, workday: bool, actor: Actor, reason: str) -> None:
        """Declare ``day`` a working day (``workday``) or a day off."""
        if not isinstance(day, date) or not isinstance(workday, bool):
            raise InvalidValue("a day is a date, and workday is true or false")
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidValue("say why (a holiday's name, a closure's cause)")
        self.trigger_event(self.DayDeclared, day=day, workday=workday, actor=actor, reason=reason)

    def declare_year(self, year: int, actor: Actor, reason: str) -> None:
        """Declare that ``year``'s schedule is complete."""
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise InvalidValue("a year from 2000 to 2100")
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidValue("say why (e.g. the State Council notice)")
        self.trigger_event(self.YearDeclared, year=year, actor=actor, reason=reason)
