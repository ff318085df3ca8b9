"""SQL of the notifications: the inbox, the deliveries supervisors watch, and what the notifier does next."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select

from application.common.page import Page
from infrastructure.readmodels.queries import SqlReader
from infrastructure.readmodels.tables import deliveries, notifications

Row = dict[str, Any]
WAITING = ("pending", "retrying")


class SqlNotificationReads(SqlReader):
    """``application.notifications.queries.NotificationStore`` over the read-model tables."""

    def inbox(self, credit_code: str, bundles: tuple[str, ...] | None, page: int, per_page: int) -> Page:
        """The enterprise's notifications, newest first, each with its deliveries (channel, state, attempts)."""
        n = notifications.c
        query = (select(n.id, n.kind, n.case_number.label("case"), n.text_zh.label("text"), n.text_en,
                        n.template, n.template_version, n.created_at)
                 .where(n.credit_code == credit_code).order_by(n.position.desc(), n.id))
        if bundles is not None:
            query = query.where(n.bundle.in_(bundles))
        found = self._page(query, page, per_page)
        ids = [row["id"] for row in found.rows]
        by_notification: dict[str, list[Row]] = {i: [] for i in ids}
        if ids:
            d = deliveries.c
            for row in self._all(select(d.notification, d.channel, d.state, d.attempts)
                                 .where(d.notification.in_(ids)).order_by(d.channel, d.delivery_id)):
                by_notification[row.pop("notification")].append(row)
        for row in found.rows:
            row["deliveries"] = by_notification[row["id"]]
        return found

    def deliveries(self, state: str, page: int, per_page: int) -> Page:
        """E-mail and SMS deliveries (of ``state``, or all), the latest changed first."""
        d = deliveries.c
        query = (select(d.delivery_id.label("id"), d.notification, d.kind, d.case_number, d.credit_code, d.channel,
                        d.recipient, d.address, d.state, d.attempts, d.next_attempt_at, d.last_error, d.queued_at,
                        d.updated_at)
                 .where(d.channel != "inbox").order_by(d.updated_at.desc(), d.delivery_id))
        if state:
            query = query.where(d.state == state)
        return self._page(query, page, per_page)

    def undelivered(self, limit: int, after: int = 0) -> list[Row]:
        """Notifications with no inbox delivery yet, oldest first, from after position ``after``."""
        queued = exists().where(and_(deliveries.c.notification == notifications.c.id,
                                     deliveries.c.channel == "inbox"))
        return self._all(select(notifications).where(~queued, notifications.c.position > after)
                         .order_by(notifications.c.position).limit(limit))

    def due(self, now: datetime, limit: int) -> list[str]:
        """Deliveries waiting for an attempt at ``now``, the longest waiting first."""
        d = deliveries.c
        query = (select(d.delivery_id).where(d.state.in_(WAITING), d.next_attempt_at <= now)
                 .order_by(d.next_attempt_at, d.delivery_id).limit(limit))
        return [row["delivery_id"] for row in self._all(query)]

    def stale(self, before: datetime, limit: int) -> list[str]:
        """Deliveries with an attempt under way since before ``before``."""
        d = deliveries.c
        query = select(d.delivery_id).where(d.state == "sending", d.updated_at <= before).limit(limit)
        return [row["delivery_id"] for row in self._all(query)]
