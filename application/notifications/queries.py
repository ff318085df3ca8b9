"""Reading notifications: an applicant's inbox (its enterprise's only), and the deliveries supervisors watch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from application.common.errors import InvalidInput, NotAllowed
from application.common.page import Page
from domain.notification.aggregate import DeliveryState
from domain.shared.values import Actor, Role

Row = dict[str, Any]
DELIVERY_READERS = (Role.SUPERVISOR, Role.AUDITOR)
DELIVERY_STATES = tuple(str(s) for s in DeliveryState)
MAX_PER_PAGE = 100


class NotificationStore(Protocol):
    """The notifications' read models (``infrastructure.readmodels.notifications``)."""

    def inbox(self, credit_code: str, bundles: tuple[str, ...] | None, page: int, per_page: int) -> Page:
        """The enterprise's notifications (of these bundles; None: all), newest first, each with its
        ``deliveries``."""

    def deliveries(self, state: str, page: int, per_page: int) -> Page:
        """Deliveries on e-mail and SMS (of one state, or all), the latest changed first."""

    def undelivered(self, limit: int, after: int = 0) -> list[Row]:
        """Notifications not queued yet (no inbox delivery), oldest first, from after position ``after``."""

    def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of deliveries waiting for an attempt at ``now``, the longest waiting first."""

    def stale(self, before: datetime, limit: int) -> list[str]:
        """Ids of deliveries with an attempt under way since before ``before``."""


class NotificationQueries:
    """Who may read which notifications."""

    def __init__(self, store: NotificationStore,
                 wait_for: Callable[[str, int | None], None] = lambda application, notification_id: None):
        self.store, self.wait_for = store, wait_for

    def inbox(self, actor: Actor, page: int = 1, per_page: int = 20) -> Page:
        """The caller's enterprise's notifications, newest first (applicants only)."""
        if actor.role != Role.APPLICANT or not actor.enterprise:
            raise NotAllowed(f"the notifications inbox is for applicants; {actor.user_id} is {actor.role}")
        return self.store.inbox(actor.enterprise, actor.bundles, *_paging(page, per_page))

    def deliveries(self, actor: Actor, state: str = "", page: int = 1, per_page: int = 20,
                   after: int | None = None) -> Page:
        """Deliveries by state (``failed``, ``retrying`` …; empty: all), for supervisors and auditors; ``after``:
        a retry's place in the deliveries' log that the list must include."""
        if actor.role not in DELIVERY_READERS:
            raise NotAllowed(f"deliveries are for supervisors and auditors; {actor.user_id} is {actor.role}")
        if state and state not in DELIVERY_STATES:
            known = ", ".join(DELIVERY_STATES)
            raise InvalidInput(f"state: one of {known}", {"state": [f"one of {known}"]})
        self.wait_for("Notifications", after)
        return self.store.deliveries(state, *_paging(page, per_page))


def _paging(page: int, per_page: int) -> tuple[int, int]:
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"page from 1, per_page from 1 to {MAX_PER_PAGE}",
                           {"page": ["from 1"], "per_page": [f"1 to {MAX_PER_PAGE}"]})
    return page, per_page
