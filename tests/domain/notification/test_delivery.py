"""A delivery's life: queued once, an attempt recorded before sending, back-off, given up, retried."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.notification.aggregate import (
    MAX_ATTEMPTS,
    STALE_SENDING,
    Delivery,
    DeliveryChannel,
    DeliveryNotDue,
    DeliveryNotRetryable,
    DeliveryState,
    backoff,
    delivery_id,
)
from domain.shared.values import Actor, Role

SYSTEM = Actor("system:notify", Role.SUPERVISOR)
BOSS = Actor("boss", Role.SUPERVISOR)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def email(at: datetime = T0, channel: DeliveryChannel = DeliveryChannel.EMAIL) -> Delivery:
    return Delivery.queue(notification="n-1", kind="decided", case_number="YJS-1", credit_code="91110000600037341L",
                          channel=channel, recipient="rep", address="rep@example.com", subject="s", body="b",
                          at=at, actor=SYSTEM)


def fail(delivery: Delivery, at: datetime) -> None:
    delivery.start_attempt(at, SYSTEM)
    delivery.record_failure("connection refused", at, SYSTEM)


def test_a_delivery_is_identified_by_its_notification_channel_and_recipient():
    assert email().id == delivery_id("n-1", "email", "rep")
    assert delivery_id("n-1", "email", "rep") != delivery_id("n-1", "sms", "rep") != delivery_id("n-2", "email", "rep")


def test_the_inbox_delivery_is_sent_when_it_is_queued():
    inbox = email(channel=DeliveryChannel.INBOX)
    assert inbox.state == DeliveryState.SENT and not inbox.is_due(T0 + timedelta(days=1))
    with pytest.raises(DeliveryNotDue):
        inbox.start_attempt(T0, SYSTEM)


def test_an_email_is_due_at_once_and_sent_once():
    delivery = email()
    assert delivery.is_due(T0)
    assert delivery.start_attempt(T0, SYSTEM) == 1
    assert delivery.state == DeliveryState.SENDING and not delivery.is_due(T0)
    delivery.record_sent(T0, SYSTEM)
    assert delivery.state == DeliveryState.SENT and delivery.sent_at == T0
    with pytest.raises(DeliveryNotDue):
        delivery.start_attempt(T0 + timedelta(hours=1), SYSTEM)


def test_failures_back_off_1_2_4_8_minutes_then_give_up():
    delivery, now, waits = email(), T0, []
    for _ in range(MAX_ATTEMPTS - 1):
        fail(delivery, now)
        assert delivery.state == DeliveryState.RETRYING
        assert not delivery.is_due(delivery.next_attempt_at - timedelta(seconds=1))
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    fail(delivery, now)
    assert delivery.state == DeliveryState.FAILED and delivery.next_attempt_at is None
    assert delivery.attempts == MAX_ATTEMPTS and delivery.last_error == "connection refused"
    assert not delivery.is_due(now + timedelta(days=30))
    assert backoff(5) == backoff(9) == timedelta(minutes=16)


def test_a_supervisor_retries_a_failed_delivery_with_fresh_attempts():
    delivery, now = email(), T0
    for _ in range(MAX_ATTEMPTS):
        fail(delivery, now)
        now = delivery.next_attempt_at or now
    delivery.retry(now, BOSS, "the mail server is back")
    assert delivery.state == DeliveryState.RETRYING and delivery.is_due(now)
    fail(delivery, now)
    assert delivery.state == DeliveryState.RETRYING  # counted afresh: 4 more attempts before it gives up again


def test_only_a_failed_delivery_is_retried():
    delivery = email()
    with pytest.raises(DeliveryNotRetryable):
        delivery.retry(T0, BOSS, "again")


def test_an_attempt_whose_sender_stopped_is_given_up_not_sent_again():
    delivery = email()
    delivery.start_attempt(T0, SYSTEM)
    assert not delivery.is_stale(T0 + STALE_SENDING - timedelta(seconds=1))
    assert delivery.is_stale(T0 + STALE_SENDING)
    delivery.abandon(T0 + STALE_SENDING, SYSTEM)
    assert delivery.state == DeliveryState.FAILED and "outcome unknown" in delivery.last_error
    assert not delivery.is_due(T0 + timedelta(days=1))


def test_replaying_the_events_gives_the_same_delivery():
    delivery = email()
    fail(delivery, T0)
    copy = None
    for event in delivery.collect_events():
        copy = event.mutate(copy)
    assert vars(copy) == vars(delivery)
