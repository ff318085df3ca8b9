"""The notifier: one pass queues the deliveries of new notifications and makes every attempt that is due.

``send_due`` is what ``onething notify send``, ``onething sla tick`` and the background thread of
``onething run`` call. Each new notification is queued on the in-app inbox (delivered at once) and, while it is
fresh (``max_age``), by e-mail to each contact with an address and by SMS to each with a phone — on the
channels that have a sender bound. Older ones (a first start on a store with years of cases, a long outage)
reach the inbox only, so nobody is mailed about last year's case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from application.common.clock import Clock
from application.notifications.application import SYSTEM, NotificationsApplication
from application.notifications.ports import ApplicantContacts, NoContacts, Sender
from application.notifications.queries import NotificationStore
from application.notifications.templates import Rendered
from domain.notification.aggregate import STALE_SENDING, Delivery, DeliveryChannel

logger = logging.getLogger(__name__)
BATCH = 200
DEFAULT_MAX_AGE = timedelta(days=3)


@dataclass
class SendReport:
    """What one pass did."""

    queued: int = 0  # notifications given their deliveries
    sent: int = 0
    retrying: int = 0
    failed: int = 0  # gave up (or the outcome of an interrupted attempt is unknown)
    skipped: int = 0  # due, but another sender claimed it first
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for a terminal."""
        return (f"notifications queued {self.queued}; deliveries sent {self.sent}, retrying {self.retrying}, "
                f"failed {self.failed}, taken by another sender {self.skipped}")


@dataclass
class Notifier:
    """Delivers notifications: the store of deliveries, what the read models show, who to tell, the senders."""

    app: NotificationsApplication
    store: NotificationStore
    clock: Clock
    catch_up: Callable[[], Any]
    contacts: ApplicantContacts = field(default_factory=NoContacts)
    senders: Mapping[DeliveryChannel, Sender] = field(default_factory=dict)
    max_age: timedelta = DEFAULT_MAX_AGE

    def channels(self) -> list[str]:
        """The channels this notifier delivers on."""
        return [str(DeliveryChannel.INBOX), *(str(c) for c in self.senders)]

    def send_due(self, now: datetime | None = None, progress: Callable[[int], None] = lambda _: None) -> SendReport:
        """One pass: queue what is new, give up attempts whose sender stopped, make the attempts that are due."""
        now = now or self.clock.now()
        report = SendReport()
        self.catch_up()
        self._queue_new(now, report, progress)
        for delivery_id in self.store.stale(now - STALE_SENDING, BATCH):
            if self.app.abandon(delivery_id, now):
                report.failed += 1
        self.catch_up()
        for delivery_id in self.store.due(now, BATCH):
            self._attempt(delivery_id, now, report)
            progress(1)
        self.catch_up()
        return report

    def _queue_new(self, now: datetime, report: SendReport, progress: Callable[[int], None]) -> None:
        after = 0  # a page at a time by position: notifications that failed to queue do not hold up the rest
        while rows := self.store.undelivered(BATCH, after):
            after = max(row["position"] for row in rows)
            for row in rows:
                try:
                    report.queued += self.app.queue(self._deliveries(row, now))
                except Exception as error:  # noqa: BLE001 - e.g. the contacts unreachable: next pass tries again
                    logger.exception("queueing notification %s failed", row["id"])
                    report.errors.append(f"{row['id']}: {error}")
            progress(len(rows))
            self.catch_up()

    def _deliveries(self, row: Mapping[str, Any], now: datetime) -> list[Delivery]:
        text = Rendered(row["subject_zh"], row["subject_en"], row["text_zh"], row["text_en"])
        common = {"notification": row["id"], "kind": row["kind"], "case_number": row["case_number"],
                  "credit_code": row["credit_code"], "at": now, "actor": SYSTEM}
        made = [Delivery.queue(channel=DeliveryChannel.INBOX, recipient=row["credit_code"], address="",
                               subject=text.subject_zh, body=text.zh, **common)]
        if now - row["created_at"] > self.max_age:
            return made
        recipients: set[tuple[DeliveryChannel, str]] = set()
        for contact in self.contacts.contacts(row["credit_code"], row.get("bundle") or None):
            for channel, address, subject, body in (
                    (DeliveryChannel.EMAIL, contact.email, text.email_subject(), text.email_body()),
                    (DeliveryChannel.SMS, contact.phone, "", f"【一件事】{text.zh}")):
                if address and channel in self.senders and (channel, contact.username) not in recipients:
                    recipients.add((channel, contact.username))
                    made.append(Delivery.queue(channel=channel, recipient=contact.username, address=address,
                                               subject=subject, body=body, **common))
        return made

    def _attempt(self, delivery_id: str, now: datetime, report: SendReport) -> None:
        delivery = self.app.claim(delivery_id, now)
        if delivery is None:
            report.skipped += 1
            return
        sender = self.senders.get(delivery.channel)
        try:
            if sender is None:
                raise LookupError(f"no {delivery.channel} sender is configured")
            sender.send(delivery.address, delivery.subject, delivery.body)
        except Exception as error:  # noqa: BLE001 - any failure of a channel is recorded and retried
            problem = f"{type(error).__name__}: {error}"
            self.app.record(delivery, lambda d: d.record_failure(problem, self.clock.now(), SYSTEM))
            if delivery.next_attempt_at is None:
                report.failed += 1
            else:
                report.retrying += 1
            return
        self.app.record(delivery, lambda d: d.record_sent(self.clock.now(), SYSTEM))
        report.sent += 1
