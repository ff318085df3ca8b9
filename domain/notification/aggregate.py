"""A Delivery: one notification sent (or put in the inbox) to one recipient over one channel, and every attempt.

Deliveries are recorded events, not read-model rows, so rebuilding the read models never sends anything again:
a delivery's id comes from the notification, the channel and the recipient (``Delivery.create_id``), so it is
queued once, and an attempt is recorded (``start_attempt``) before the message leaves, so two senders racing
for the same delivery cannot both send it (the second one's save loses on the aggregate's version).

States: ``pending`` (queued, due) → ``sending`` (an attempt recorded, its outcome not yet) → ``sent``, or
``retrying`` (it failed; due again at ``next_attempt_at``, after 1, 2, 4, 8 … minutes) → ``failed`` (gave up
after ``MAX_ATTEMPTS``, or the sender stopped while sending and the outcome is unknown: never sent again by
itself). A supervisor may retry a failed delivery. The in-app inbox is a channel whose delivery is ``sent``
when it is queued: the notification is in the inbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.shared.errors import DomainError
from domain.shared.recorded import Created, Recorded
from domain.shared.values import Actor

MAX_ATTEMPTS = 5
BACKOFF_MINUTES = (1, 2, 4, 8, 16)  # after the 1st, 2nd … failed attempt
STALE_SENDING = timedelta(minutes=10)  # an attempt without an outcome after this: the sender stopped


class DeliveryChannel(StrEnum):
    """How a notification reaches the applicant."""

    INBOX = "inbox"  # in-app (网上办 inbox): always
    EMAIL = "email"
    SMS = "sms"


class DeliveryState(StrEnum):
    """Where a delivery stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


class DeliveryNotDue(DomainError):
    """Raised when an attempt is started on a delivery that is not waiting for one now."""

    code = "delivery_not_due"


class DeliveryNotRetryable(DomainError):
    """Raised when a supervisor retries a delivery that has not failed."""

    code = "delivery_not_retryable"


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (1, 2, 4, 8, 16 minutes, then 16)."""
    return timedelta(minutes=BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1])


class Delivery(Aggregate):
    """One notification to one recipient over one channel."""

    class Queued(Created):
        """The notification is to be delivered: what is sent (subject and body as rendered) and to whom."""

        notification: str
        kind: str
        case_number: str
        credit_code: str
        channel: str
        recipient: str  # the applicant's username (the enterprise's credit code for the inbox)
        address: str  # the e-mail address or phone number ("" for the inbox)
        subject: str
        body: str
        at: datetime

    class AttemptStarted(Recorded):
        """An attempt to send began (recorded before the message leaves)."""

        attempt: int
        at: datetime

        def apply(self, delivery: Delivery) -> None:
            delivery.state, delivery.attempts, delivery.attempt_at = DeliveryState.SENDING, self.attempt, self.at

    class Sent(Recorded):
        """The channel took the message."""

        attempt: int
        at: datetime

        def apply(self, delivery: Delivery) -> None:
            delivery.state, delivery.sent_at, delivery.next_attempt_at = DeliveryState.SENT, self.at, None

    class AttemptFailed(Recorded):
        """The attempt failed; due again at ``next_attempt_at``, or given up (None)."""

        attempt: int
        error: str
        at: datetime
        next_attempt_at: datetime | None

        def apply(self, delivery: Delivery) -> None:
            delivery.last_error, delivery.next_attempt_at = self.error, self.next_attempt_at
            delivery.state = DeliveryState.FAILED if self.next_attempt_at is None else DeliveryState.RETRYING

    class RetryRequested(Recorded):
        """A supervisor asked for a failed delivery to be tried again now."""

        at: datetime

        def apply(self, delivery: Delivery) -> None:
            delivery.state, delivery.next_attempt_at = DeliveryState.RETRYING, self.at
            delivery.allowed = delivery.attempts + MAX_ATTEMPTS

    def __init__(self, notification: str, kind: str, case_number: str, credit_code: str, channel: str,
                 recipient: str, address: str, subject: str, body: str, at: datetime, actor: Actor, reason: str):
        self.notification, self.kind, self.case_number, self.credit_code = notification, kind, case_number, credit_code
        self.channel, self.recipient, self.address = DeliveryChannel(channel), recipient, address
        self.subject, self.body, self.queued_at = subject, body, at
        inbox = self.channel == DeliveryChannel.INBOX
        self.state = DeliveryState.SENT if inbox else DeliveryState.PENDING
        self.attempts, self.allowed = int(inbox), MAX_ATTEMPTS  # the inbox's one attempt is its queueing
        self.next_attempt_at: datetime | None = None if inbox else at
        self.last_error = ""
        self.sent_at: datetime | None = at if inbox else None
        self.attempt_at: datetime | None = None

    @staticmethod
    def create_id(notification: str, channel: str, recipient: str, **_: Any) -> UUID:
        """One delivery per notification, channel and recipient."""
        return delivery_id(notification, channel, recipient)

    @classmethod
    def queue(cls, *, notification: str, kind: str, case_number: str, credit_code: str, channel: DeliveryChannel,
              recipient: str, address: str, subject: str, body: str, at: datetime, actor: Actor) -> Delivery:
        """Queue the notification for one recipient on one channel (the inbox's is delivered at once)."""
        return cls._create(cls.Queued, notification=notification, kind=kind, case_number=case_number,
                           credit_code=credit_code, channel=str(channel), recipient=recipient, address=address,
                           subject=subject, body=body, at=at, actor=actor, reason=f"notification {kind}")

    # Commands -----------------------------------------------------------------------------------
    def is_due(self, now: datetime) -> bool:
        """Whether an attempt is due now."""
        return self.state in (DeliveryState.PENDING, DeliveryState.RETRYING) and \
            self.next_attempt_at is not None and self.next_attempt_at <= now

    def is_stale(self, now: datetime) -> bool:
        """Whether an attempt began so long ago without an outcome that its sender must have stopped."""
        return self.state == DeliveryState.SENDING and self.attempt_at is not None and \
            now - self.attempt_at >= STALE_SENDING

    def start_attempt(self, now: datetime, actor: Actor) -> int:
        """Record that an attempt begins now; return its number."""
        if not self.is_due(now):
            raise DeliveryNotDue(f"delivery {self.id} is {self.state}, not due at {now.isoformat()}")
        self.trigger_event(self.AttemptStarted, attempt=self.attempts + 1, at=now, actor=actor,
                           reason=f"attempt {self.attempts + 1}")
        return self.attempts

    def record_sent(self, now: datetime, actor: Actor) -> None:
        """The channel took the message."""
        self._check_sending()
        self.trigger_event(self.Sent, attempt=self.attempts, at=now, actor=actor, reason="sent")

    def record_failure(self, error: str, now: datetime, actor: Actor) -> None:
        """The attempt failed: try again after the back-off, or give up after the allowed attempts."""
        self._check_sending()
        later = None if self.attempts >= self.allowed else now + backoff(self.attempts)
        self.trigger_event(self.AttemptFailed, attempt=self.attempts, error=error[:500], at=now,
                           next_attempt_at=later, actor=actor, reason="failed" if later is None else "will retry")

    def abandon(self, now: datetime, actor: Actor) -> None:
        """Give up an attempt whose sender stopped before it knew the outcome: it may have been sent, so it is
        not sent again unless a supervisor says so."""
        self._check_sending()
        self.trigger_event(self.AttemptFailed, attempt=self.attempts, at=now, next_attempt_at=None,
                           error="outcome unknown: the sender stopped during the attempt", actor=actor,
                           reason="outcome unknown")

    def retry(self, now: datetime, actor: Actor, reason: str) -> None:
        """Try a failed delivery again now, with the usual number of attempts from here."""
        if self.state != DeliveryState.FAILED:
            raise DeliveryNotRetryable(f"only a failed delivery is retried; this one is {self.state}")
        self.trigger_event(self.RetryRequested, at=now, actor=actor, reason=reason)

    def _check_sending(self) -> None:
        if self.state != DeliveryState.SENDING:
            raise DeliveryNotDue(f"delivery {self.id} has no attempt under way (it is {self.state})")


def delivery_id(notification: str, channel: str, recipient: str) -> UUID:
    """The id of the delivery of ``notification`` over ``channel`` to ``recipient``."""
    return uuid5(NAMESPACE_URL, f"https://onething.invalid/delivery/{notification}/{channel}/{recipient}")
