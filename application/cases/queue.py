"""A department's review queue, one page at a time: filtered, sorted, counted, for those who may see it.

Who may see a queue: ``application.common.access.require_queue_reader`` (a department's reviewers, and supervisors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from application.common.access import require_queue_reader
from application.common.changes import Saved
from application.common.clock import Clock
from application.common.errors import InvalidInput
from application.common.page import Page
from domain.shared.values import Actor

QUEUE_STATUSES = ("waiting", "in_review", "supplement_requested")
QUEUE_SORTS = ("due", "opened", "number")
MAX_PER_PAGE = 100


class QueueStore(Protocol):
    """What the queue needs of the read models (``infrastructure.readmodels.queue.SqlReadQueue``)."""

    def queue_page(self, department: str, *, today: date, status: str = ..., overdue: bool | None = ...,
                   assignee: str = ..., sort: str = ..., descending: bool = ..., page: int = ...,
                   per_page: int = ..., total: int | None = ...) -> Page: ...
    def queue_counts(self, department: str, *, today: date, assignee: str = ...) -> dict[str, int]: ...


@dataclass(frozen=True)
class QueueFilter:
    """Which of the queue's items to show, in which order, which page."""

    status: str = ""  # one of QUEUE_STATUSES, or every open one
    overdue: bool | None = None  # only overdue items (True), only those that are not (False), or all
    mine: bool = False  # only the items assigned to the caller
    sort: str = "due"
    descending: bool = False
    page: int = 1
    per_page: int = 25

    def check(self) -> None:
        """Raise ``InvalidInput`` for a status, sort or page that does not exist."""
        problems = {}
        if self.status and self.status not in QUEUE_STATUSES:
            problems["status"] = [f"one of {', '.join(QUEUE_STATUSES)}"]
        if self.sort not in QUEUE_SORTS:
            problems["sort"] = [f"one of {', '.join(QUEUE_SORTS)}"]
        if self.page < 1:
            problems["page"] = ["a whole number from 1"]
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            problems["per_page"] = [f"from 1 to {MAX_PER_PAGE}"]
        if problems:
            raise InvalidInput("the queue cannot be shown that way", problems)


class QueueQueries:
    """The review queues of departments."""

    def __init__(self, store: QueueStore, clock: Clock, wait_for: Callable[[str, int | None], None]):
        self.store, self.clock, self.wait_for = store, clock, wait_for

    def department_queue(self, actor: Actor, department: str, chosen: QueueFilter | None = None,
                         after: Saved | int | None = None) -> dict[str, Any]:
        """One page of the items under way in ``department`` (``page``: rows with ``overdue``, and the total),
        and its ``counts`` per status, overdue and assigned to the caller."""
        require_queue_reader(actor, department)
        chosen = chosen or QueueFilter()
        chosen.check()
        self.wait_for("Cases", after.notification_id if isinstance(after, Saved) else after)
        today = self.clock.today()
        counts = self.store.queue_counts(department, today=today, assignee=actor.user_id)
        page = self.store.queue_page(
            department, today=today, status=chosen.status, overdue=chosen.overdue,
            assignee=actor.user_id if chosen.mine else "", sort=chosen.sort, descending=chosen.descending,
            page=chosen.page, per_page=chosen.per_page, total=_total_of(chosen, counts))
        return {"department": department, "today": today, "page": page, "counts": counts}


def _total_of(chosen: QueueFilter, counts: dict[str, int]) -> int | None:
    """How many items ``chosen`` shows in all, when one of ``counts`` says so (no filter, or one); else None."""
    if chosen.mine:
        return counts["mine"] if not chosen.status and chosen.overdue is None else None
    if chosen.status:
        return counts[chosen.status] if chosen.overdue is None else None
    if chosen.overdue is None:
        return counts["all"]
    return counts["overdue"] if chosen.overdue else counts["all"] - counts["overdue"]
