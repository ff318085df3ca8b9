"""Roadmaps of published bundles: what to file, in which order, and the earliest dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from application.catalogue.application import CatalogueApplication
from application.common.clock import Clock
from application.common.errors import InvalidInput
from domain.catalogue.roadmap import Roadmap, plan
from domain.shared.working_days import IsWorkday

LATEST_START = date(2100, 1, 1)


class Roadmaps:
    """Plans a bundle's items from a start date with the working-day calendar (public to signed-in users)."""

    def __init__(self, catalogue: CatalogueApplication, clock: Clock, is_workday: IsWorkday,
                 knows: Callable[[date], bool]):
        self.catalogue, self.clock, self.is_workday, self.knows = catalogue, clock, is_workday, knows

    def roadmap(self, code: str, start: date | None = None) -> Roadmap:
        """The roadmap of bundle ``code``'s latest version from ``start`` (default: today)."""
        start = start or self.clock.today()
        if not isinstance(start, date) or not date(2000, 1, 1) <= start <= LATEST_START:
            raise InvalidInput("start: a date from 2000-01-01 to 2100-01-01", {"start": ["a date in range"]})
        definition, version = self.catalogue.definition(code)
        return plan(definition, version, start, self.is_workday, self.knows)
