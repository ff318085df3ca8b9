"""The deliveries' event store (``Notifications``): queue, claim an attempt, record its outcome, retry.

Every write is a save of ``Delivery`` events with the aggregate's version checked, so a delivery is queued once
(its id is its notification, channel and recipient) and an attempt is claimed by one sender only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.common.access import require_role
from application.common.application import OneThingApplication
from application.common.errors import InvalidInput, NotFound, VersionConflict
from domain.notification.aggregate import Delivery
from domain.shared.values import Actor, Role

SYSTEM = Actor("system:notify", Role.SUPERVISOR)  # who records what the notifier does


class DeliveryNotFound(NotFound):
    """Raised when no delivery has the given id."""


class NotificationsApplication(OneThingApplication):
    """The deliveries of notifications to applicants, as events."""

    name = "Notifications"

    def queue(self, deliveries: Sequence[Delivery]) -> bool:
        """Save new deliveries together; False if they were queued already (by another pass or process)."""
        try:
            self.save(*deliveries)
        except IntegrityError:
            return False
        return True

    def load(self, delivery_id: str | UUID) -> Delivery:
        """The delivery with this id, or ``DeliveryNotFound``."""
        try:
            found: Delivery = self.repository.get(UUID(str(delivery_id)))
        except (AggregateNotFoundError, ValueError) as error:
            raise DeliveryNotFound(f"no delivery {delivery_id}") from error
        return found

    def claim(self, delivery_id: str | UUID, now: datetime) -> Delivery | None:
        """Record an attempt on the delivery if one is due now; None if not due or another sender claimed it."""
        try:
            delivery = self.load(delivery_id)
        except DeliveryNotFound:
            return None
        if not delivery.is_due(now):
            return None
        delivery.start_attempt(now, SYSTEM)
        return delivery if self._saved(delivery) else None

    def record(self, delivery: Delivery, change: Callable[[Delivery], Any]) -> bool:
        """Record an outcome of a claimed attempt (False if the delivery moved on meanwhile)."""
        change(delivery)
        return self._saved(delivery)

    def abandon(self, delivery_id: str | UUID, now: datetime) -> bool:
        """Give up an attempt whose sender stopped long ago without an outcome (it is not sent again by itself)."""
        delivery = self.load(delivery_id)
        if not delivery.is_stale(now):
            return False
        delivery.abandon(now, SYSTEM)
        return self._saved(delivery)

    def retry(self, actor: Actor, delivery_id: str, reason: str, now: datetime) -> dict[str, Any]:
        """Try a failed delivery again now (supervisors); return its new state."""
        require_role(actor, "retrying a delivery", Role.SUPERVISOR)
        if not isinstance(reason, str) or len(reason) > 2000:
            raise InvalidInput("reason: text of at most 2000 characters", {"reason": ["at most 2000 characters"]})
        delivery = self.load(delivery_id)
        delivery.retry(now, actor, reason or "retried by a supervisor")
        try:
            recordings = self.save(delivery)
        except IntegrityError:
            raise VersionConflict(f"delivery {delivery_id} changed meanwhile; look again", delivery.version) from None
        return {"id": str(delivery.id), "state": str(delivery.state), "attempts": delivery.attempts,
                "next_attempt_at": delivery.next_attempt_at, "channel": str(delivery.channel),
                "notification_id": recordings[-1].notification.id if recordings else None}

    def _saved(self, delivery: Delivery) -> bool:
        try:
            self.save(delivery)
        except IntegrityError:
            return False
        return True
