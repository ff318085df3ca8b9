"""Reads of the intake desk: published bundles with their time limits, and each item's due date on a receipt."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from application.common.page import Page
from domain.case.due import AddWorkingDays, ItemClock
from domain.catalogue.definitions import BundleDef, prerequisite_order
from domain.shared.values import ItemStatus

MAX_PER_PAGE = 100
_DROPPED = (ItemStatus.REJECTED, ItemStatus.WITHDRAWN)


class BundlePages(Protocol):
    """What the desk needs of the read models (``infrastructure.readmodels.desk``)."""

    def bundle_page(self, text: str = ..., page: int = ..., per_page: int = ...) -> Page: ...


@dataclass(frozen=True)
class ItemDue:
    """An item's due date on a receipt: recorded on the case, or projected (its clock has not started)."""

    due: date | None
    projected: bool


class DeskQueries:
    """The published bundles the intake desk chooses from (public reads: no actor needed)."""

    def __init__(self, store: BundlePages):
        self.store = store

    def bundles(self, text: str = "", page: int = 1, per_page: int = 20) -> Page:
        """A page of published bundles matching ``text``; each row also has ``time_limit_days`` (the longest
        chain of prerequisites, in working days: the bundle's promised total) and ``limits_sum`` (the items'
        limits added up, as if filed one after another)."""
        text, per_page = text.strip()[:100], min(max(per_page, 1), MAX_PER_PAGE)
        found = self.store.bundle_page(text, max(page, 1), per_page)
        if not found.rows and found.total:  # past the last page (the list shrank, or a typed address): the last one
            found = self.store.bundle_page(text, (found.total + per_page - 1) // per_page, per_page)
        return dataclasses.replace(found, rows=[_with_limits(row) for row in found.rows])


def longest_chain_days(bundle: BundleDef) -> int:
    """Working days of the longest chain of prerequisites (items without one run in parallel)."""
    ends: dict[str, int] = {}
    for code in prerequisite_order(bundle):
        item = bundle.item(code)
        ends[code] = max((ends[p] for p in item.prerequisites), default=0) + item.time_limit_days
    return max(ends.values(), default=0)


def item_dues(items: Iterable[ItemClock], as_of: date, add_days: AddWorkingDays) -> dict[str, ItemDue]:
    """Each item's due date as ``domain.case.due`` projects the case's: recorded if its clock runs, else
    from ``as_of`` (or when its unfinished prerequisites are due) plus its limit; none if it was dropped."""
    by_code = {item.code: item for item in items}
    dues: dict[str, ItemDue] = {}

    def due_of(code: str) -> ItemDue:
        if code not in dues:
            item = by_code[code]
            if item.status in _DROPPED:
                dues[code] = ItemDue(None, False)
            elif item.due is not None or item.status == ItemStatus.APPROVED:
                dues[code] = ItemDue(item.due, False)
            else:
                waits = [d for p in item.prerequisites if by_code[p].status != ItemStatus.APPROVED
                         and (d := due_of(p).due) is not None]
                dues[code] = ItemDue(add_days(max([as_of, *waits]), item.time_limit_days), True)
        return dues[code]

    for code in by_code:
        due_of(code)
    return dues


def _with_limits(row: dict[str, Any]) -> dict[str, Any]:
    try:
        bundle = BundleDef.from_dict(json.loads(row["definition"]))
    except (TypeError, ValueError, KeyError):  # a row projected before its definition: no limits to show
        return {**row, "time_limit_days": None, "limits_sum": None}
    return {**row, "time_limit_days": longest_chain_days(bundle),
            "limits_sum": sum(item.time_limit_days for item in bundle.items)}
