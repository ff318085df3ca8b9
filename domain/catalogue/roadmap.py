"""The roadmap of a bundle (项目报建智能导航): its items in the order prerequisites allow, with dates.

Rule (shared/API.md): an item with no prerequisite is accepted on ``start``; one with prerequisites is
accepted on the day the last of them ends; each ends ``time_limit_days`` working days after its
acceptance, counted from the next day. The critical path is the chain of items, ending with the one
that ends last, in which each item starts the day its prerequisite on the path ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from domain.catalogue.definitions import BundleDef, prerequisite_order
from domain.shared.working_days import IsWorkday, add_working_days, working_days_between


@dataclass(frozen=True)
class PlannedItem:
    """One item of a roadmap."""

    code: str
    name: str
    department: str
    stage: str | None
    materials: tuple[str, ...]
    prerequisites: tuple[str, ...]
    time_limit_days: int
    earliest_start: date
    earliest_end: date
    end_working_day: int  # working days from the start date to this item's end
    critical: bool


@dataclass(frozen=True)
class Roadmap:
    """A bundle's items with their earliest dates, the critical path and the earliest completion."""

    bundle: str
    version: int
    start: date
    items: tuple[PlannedItem, ...]
    critical_path: tuple[str, ...]
    earliest_completion: date
    working_days: int
    provisional: bool  # some date falls in a year the calendar does not know yet


def plan(bundle: BundleDef, version: int, start: date, is_workday: IsWorkday,
         knows: Callable[[date], bool] = lambda _: True) -> Roadmap:
    """Lay out ``bundle`` from ``start``."""
    order = prerequisite_order(bundle)
    starts: dict[str, date] = {}
    ends: dict[str, date] = {}
    for code in order:
        item = bundle.item(code)
        starts[code] = max((ends[p] for p in item.prerequisites), default=start)
        ends[code] = add_working_days(starts[code], item.time_limit_days, is_workday)
    path = _critical_path(bundle, order, starts, ends) if order else []  # no item: nothing to wait for
    completion = max(ends.values(), default=start)
    items = tuple(
        PlannedItem(
            code=code, name=bundle.item(code).name, department=bundle.item(code).department,
            stage=bundle.item(code).stage, materials=bundle.item(code).materials,
            prerequisites=bundle.item(code).prerequisites, time_limit_days=bundle.item(code).time_limit_days,
            earliest_start=starts[code], earliest_end=ends[code],
            end_working_day=working_days_between(start, ends[code], is_workday), critical=code in path,
        )
        for code in order
    )
    provisional = not all(knows(day) for day in (start, completion))
    return Roadmap(bundle.code, version, start, items, tuple(path), completion,
                   working_days_between(start, completion, is_workday), provisional)


def _critical_path(bundle: BundleDef, order: list[str], starts: dict[str, date], ends: dict[str, date]) -> list[str]:
    last = max(order, key=lambda code: (ends[code], -order.index(code)))  # the first of those ending last
    path = [last]
    while True:
        item = bundle.item(path[-1])
        feeding = [p for p in item.prerequisites if ends[p] == starts[item.code]]
        if not feeding:
            return list(reversed(path))
        path.append(min(feeding, key=order.index))
