"""A case's due date: the latest of its items' deadlines, following prerequisites.

An item's clock starts when it is accepted, or — if it waits for prerequisites — when the last of
them is approved, whichever comes first (``Case`` records both). For an item whose clock has not
started yet, the due date is projected: it starts when its unfinished prerequisites are due (or on
``as_of``, if that is later or it has none) and runs its time limit. Rejected and withdrawn items
count for nothing. The roadmap (``domain.catalogue.roadmap``) uses the same rule before a case exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import NamedTuple

from domain.shared.values import CLEARED_ITEM_STATUSES, ItemStatus

AddWorkingDays = Callable[[date, int], date]
_DROPPED = frozenset({ItemStatus.REJECTED, ItemStatus.WITHDRAWN, ItemStatus.NOT_APPLICABLE})


class ItemClock(NamedTuple):
    """What the due date needs of one item (from the case, or from a read-model row; a projection makes
    one per item of each event that moves a date, so a named tuple, not a dataclass)."""

    code: str
    status: str
    due: date | None
    time_limit_days: int
    prerequisites: tuple[str, ...]


def projected_due(items: Iterable[ItemClock], as_of: date, add_days: AddWorkingDays) -> date | None:
    """The case's due date as of ``as_of``: the latest recorded or projected item deadline."""
    by_code = {item.code: item for item in items}
    ends: dict[str, date | None] = {}
    latest: date | None = None
    for code, item in by_code.items():
        status, end = item.status, item.due
        if status in _DROPPED:
            continue
        if end is None and status != ItemStatus.APPROVED:  # not started: projected (``_end``, memoised)
            end = _end(code, by_code, ends, as_of, add_days)
        if end is not None and (latest is None or end > latest):
            latest = end
    return latest


def _end(code: str, by_code: dict[str, ItemClock], ends: dict[str, date | None], as_of: date,
         add_days: AddWorkingDays) -> date | None:
    """The item's deadline, recorded or projected, memoised in ``ends`` (a module function, not a recursive
    closure: that would be a reference cycle per call, left for the garbage collector)."""
    if code in ends:
        return ends[code]
    item = by_code[code]
    status, end = item.status, item.due
    if status in _DROPPED:
        end = None
    elif end is None and status != ItemStatus.APPROVED:
        start = as_of  # the latest of as_of and the unfinished prerequisites' deadlines
        for prerequisite in item.prerequisites:
            if by_code[prerequisite].status not in CLEARED_ITEM_STATUSES:
                waits = _end(prerequisite, by_code, ends, as_of, add_days)
                if waits is not None and waits > start:
                    start = waits
        end = add_days(start, item.time_limit_days)
    ends[code] = end
    return end
