"""Every case event that concerns the applicant becomes one notification, delivered once on each channel.

Notifications are a read model of the case events (template, version, values, texts); deliveries are events of
``Delivery`` aggregates. Projecting again or rebuilding every read model makes the same notifications and sends
nothing again; failures are retried with back-off, given up after five attempts, and retried by a supervisor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import IntegrityError
from freezegun import freeze_time
from sqlalchemy import select

from application.common.errors import InvalidInput, NotAllowed
from application.notifications.ports import Contact, NoContacts, contacts_from
from application.notifications.templates import TEMPLATES, render
from domain.notification.aggregate import DeliveryChannel, DeliveryNotRetryable
from domain.shared.values import Actor, Role
from infrastructure.readmodels.tables import deliveries, notifications
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR, VALID_CODE
from web.services import Services

OTHER_CODE = "91310000MA1FL4XQ9P"
APPLICANT = Actor("rep", Role.APPLICANT, enterprise=VALID_CODE)
OTHER = Actor("rival", Role.APPLICANT, enterprise=OTHER_CODE)


@dataclass
class Outbox:
    """A sender that keeps what it sends, or fails while ``down``."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)
    down: bool = False

    def send(self, address: str, subject: str, body: str) -> None:
        if self.down:
            raise ConnectionRefusedError("the mail server is down")
        self.sent.append((address, subject, body))


class Contacts:
    """The enterprise's representative, with an e-mail address and a phone."""

    def contacts(self, credit_code: str, bundle: str | None = None) -> list[Contact]:
        if credit_code != VALID_CODE:
            return []
        return [Contact("rep", "representative", "rep@example.com", "13800138000"),
                Contact("agent", "agent", "", "13900139000")]


def wired(services: Services, **senders: Outbox) -> Services:
    services.notifier.contacts = Contacts()
    services.notifier.senders = {DeliveryChannel(name): sender for name, sender in senders.items()}
    return services


def rows(services: Services, table) -> list[dict]:
    with services.runner.engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()]


def completed(services: Services) -> str:
    case_id = open_restaurant(services)
    complete_restaurant(services, case_id)
    services.runner.catch_up()
    return str(case_id)


class TestWhatIsNotified:
    def test_a_completed_case_tells_each_decision_the_licences_and_the_invitation_to_rate(self, services):
        completed(services)
        found = rows(services, notifications)
        assert sorted((n["kind"], n["template"]) for n in found) == [
            ("decided", "item_approved"), ("decided", "item_approved"), ("licences_ready", "licences_ready"),
            ("rating_invited", "rating_invited")]
        ready = next(n for n in found if n["kind"] == "licences_ready")
        values = json.loads(ready["template_values"])
        assert values["licences"] == ["营业执照", "食品经营许可证"] and values["bundle"] == "开餐馆一件事"
        assert ready["template_version"] == TEMPLATES["licences_ready"].version
        assert "营业执照、食品经营许可证" in ready["text_zh"] and "Open a restaurant" not in ready["text_zh"]
        assert ready["credit_code"] == VALID_CODE and ready["case_number"].startswith("YJS")

    def test_a_supplement_request_names_the_item_the_materials_and_the_reason(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.request_supplement(AMR, case_id, "business-licence", "盖章不清", ["id-card"])
        services.runner.catch_up()
        [notice] = rows(services, notifications)
        assert notice["kind"] == "supplement_requested"
        assert json.loads(notice["template_values"])["materials"] == ["身份证明"]
        assert "「营业执照」需补充材料：身份证明。说明：盖章不清" in notice["text_zh"]
        assert "Note: 盖章不清" in notice["text_en"]

    def test_a_rejection_is_told_with_its_reason_and_the_closed_case_may_be_rated(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.reject_item(AMR, case_id, "business-licence", "经营范围不符")
        services.runner.catch_up()
        kinds = sorted((n["template"], n["text_en"]) for n in rows(services, notifications))
        assert [k for k, _ in kinds] == ["case_rejected", "item_rejected", "rating_invited"]
        assert "Reason: 经营范围不符" in kinds[1][1]

    def test_an_open_case_with_nothing_decided_tells_nothing_yet(self, services):
        open_restaurant(services)
        services.runner.catch_up()
        assert rows(services, notifications) == []

    def test_a_template_renders_lists_and_missing_values_in_each_language(self):
        text = render("returned", {"case": "C-1", "bundle": "开餐馆", "bundle_en": "Open a restaurant",
                                   "missing": ["身份证明", "平面图"], "reason": ""})
        assert "身份证明、平面图" in text.zh and "（无）" in text.zh
        assert "(Open a restaurant)" in text.en and "身份证明, 平面图" in text.en and "(none)" in text.en
        assert text.email_subject() == "申请需补正 / Application returned"


class TestExactlyOnce:
    def test_rebuilding_the_read_models_makes_the_same_notifications_and_sends_nothing_again(self, services):
        mail = Outbox()
        wired(services, email=mail)
        completed(services)
        first = services.notifier.send_due()
        assert first.queued == 4 and first.sent == 4 and len(mail.sent) == 4
        before = (rows(services, notifications), rows(services, deliveries))

        services.runner.reset()
        services.runner.catch_up()
        assert (rows(services, notifications), rows(services, deliveries)) == before
        again = services.notifier.send_due()
        assert (again.queued, again.sent) == (0, 0) and len(mail.sent) == 4

    def test_projecting_the_same_events_again_adds_no_notification(self, services):
        completed(services)
        count = len(rows(services, notifications))
        services.runner.catch_up()
        assert services.runner.catch_up().events == 0 and len(rows(services, notifications)) == count == 4

    def test_a_delivery_claimed_by_one_sender_is_not_sent_by_another(self, services):
        wired(services, email=Outbox(down=True))
        completed(services)
        services.notifier.send_due()  # every e-mail failed once: due again in a minute
        [waiting, *_] = [d for d in rows(services, deliveries) if d["channel"] == "email"]
        later = datetime.now(UTC) + timedelta(minutes=2)
        stale_copy = services.notifications.load(waiting["delivery_id"])
        assert services.notifications.claim(waiting["delivery_id"], later) is not None  # the first sender
        assert services.notifications.claim(waiting["delivery_id"], later) is None  # under way: not due
        stale_copy.start_attempt(later, Actor("other-process", Role.SUPERVISOR))
        with pytest.raises(IntegrityError):  # the aggregate's version: the second claim loses
            services.notifications.save(stale_copy)


class TestChannels:
    def test_email_goes_to_each_contact_with_an_address_and_sms_is_not_queued_without_a_gateway(self, services):
        mail = Outbox()
        wired(services, email=mail)
        completed(services)
        services.notifier.send_due()
        channels = sorted({(d["channel"], d["recipient"]) for d in rows(services, deliveries)})
        assert channels == [("email", "rep"), ("inbox", VALID_CODE)]
        assert {address for address, _, _ in mail.sent} == {"rep@example.com"}
        subject, body = mail.sent[0][1], mail.sent[0][2]
        assert " / " in subject and "YJS" in body
        assert services.notifier.channels() == ["inbox", "email"]

    def test_an_sms_gateway_once_bound_gets_every_contact_with_a_phone(self, services):
        sms = Outbox()
        wired(services, sms=sms)
        completed(services)
        services.notifier.send_due()
        assert sorted({a for a, _, _ in sms.sent}) == ["13800138000", "13900139000"]
        assert all(body.startswith("【一件事】") for _, _, body in sms.sent)

    def test_without_contacts_a_notification_reaches_the_inbox_only(self, services):
        services.notifier.senders = {DeliveryChannel.EMAIL: Outbox()}
        completed(services)
        services.notifier.send_due()
        assert {d["channel"] for d in rows(services, deliveries)} == {"inbox"}
        assert contacts_from(object()).contacts(VALID_CODE) == NoContacts().contacts(VALID_CODE) == []

    def test_the_accounts_enterprise_contacts_are_read_whatever_their_shape(self):
        class Users:
            def enterprise_contacts(self, credit_code, bundle=None):
                return [("rep", "representative", "r@example.com", ""), {"username": "a", "kind": "agent",
                                                                          "email": None, "phone": "139"}]

        assert contacts_from(Users()).contacts(VALID_CODE) == [
            Contact("rep", "representative", "r@example.com", ""), Contact("a", "agent", "", "139")]

    def test_notifications_older_than_the_maximum_age_are_not_mailed(self, services):
        mail = Outbox()
        wired(services, email=mail)
        completed(services)
        services.notifier.send_due(now=datetime.now(UTC) + timedelta(days=4))
        assert {d["channel"] for d in rows(services, deliveries)} == {"inbox"} and mail.sent == []


class TestFailuresAndRetries:
    def test_a_failed_email_is_retried_with_back_off_then_given_up_and_a_supervisor_retries_it(self, services):
        mail = Outbox(down=True)
        wired(services, email=mail)
        with freeze_time("2026-03-02 09:00:00", tz_offset=0) as clock:
            completed(services)
            report = services.notifier.send_due()
            assert report.retrying == 4 and mail.sent == []
            email = [d for d in rows(services, deliveries) if d["channel"] == "email"]
            assert {(d["state"], d["attempts"]) for d in email} == {("retrying", 1)}
            assert {d["next_attempt_at"] for d in email} == {datetime(2026, 3, 2, 9, 1, tzinfo=UTC)}
            assert "ConnectionRefusedError" in email[0]["last_error"]

            clock.tick(timedelta(seconds=59))
            assert services.notifier.send_due().retrying == 0  # not due before its minute is up
            for minutes in (1, 2, 4, 8):
                clock.tick(timedelta(minutes=minutes))
                services.notifier.send_due()
            email = [d for d in rows(services, deliveries) if d["channel"] == "email"]
            assert {(d["state"], d["attempts"], d["next_attempt_at"]) for d in email} == {("failed", 5, None)}

            failed = services.notification_queries.deliveries(SUPERVISOR, "failed")
            assert failed.total == 4 and failed.rows[0]["address"] == "r***@example.com"
            assert services.notification_queries.deliveries(AUDITOR, "failed").total == 4

            clock.tick(timedelta(hours=1))
            assert services.notifier.send_due().sent == 0  # given up: nothing more by itself
            mail.down = False
            retried = services.notifications.retry(SUPERVISOR, failed.rows[0]["id"], "server repaired",
                                                   datetime.now(UTC))
            assert retried["state"] == "retrying"
            assert services.notifier.send_due().sent == 1 and len(mail.sent) == 1
            with pytest.raises(DeliveryNotRetryable):
                services.notifications.retry(SUPERVISOR, failed.rows[0]["id"], "again", datetime.now(UTC))

    def test_an_attempt_left_without_an_outcome_is_given_up_and_not_resent(self, services):
        mail = Outbox(down=True)
        wired(services, email=mail)
        with freeze_time("2026-03-02 09:00:00", tz_offset=0) as clock:
            completed(services)
            services.notifier.send_due()  # every e-mail failed once
            email = next(d for d in rows(services, deliveries) if d["channel"] == "email")
            clock.tick(timedelta(minutes=1))
            services.notifications.claim(email["delivery_id"], datetime.now(UTC))  # a sender that then stopped
            mail.down = False
            clock.tick(timedelta(minutes=11))
            report = services.notifier.send_due()
            stopped = next(d for d in rows(services, deliveries) if d["delivery_id"] == email["delivery_id"])
            assert stopped["state"] == "failed" and "outcome unknown" in stopped["last_error"]
            assert (report.sent, report.failed, len(mail.sent)) == (3, 1, 3)  # the other three, not that one

    def test_only_supervisors_retry(self, services):
        for who in (AUDITOR, INTAKE, AMR, APPLICANT):
            with pytest.raises(NotAllowed):
                services.notifications.retry(who, "00000000-0000-0000-0000-000000000000", "x", datetime.now(UTC))


class TestWhoReadsWhat:
    def test_an_applicant_reads_its_own_enterprises_notifications_newest_first(self, services):
        completed(services)
        services.notifier.send_due()
        inbox = services.notification_queries.inbox(APPLICANT)
        assert inbox.total == 4
        assert {r["kind"] for r in inbox.rows[:2]} == {"rating_invited", "licences_ready"}  # one event, the last
        assert inbox.rows[0]["deliveries"] == [{"channel": "inbox", "state": "sent", "attempts": 1}]
        assert set(inbox.rows[0]) >= {"id", "kind", "case", "text", "created_at", "deliveries"}
        assert services.notification_queries.inbox(APPLICANT, page=2, per_page=3).rows[0]["kind"] == "decided"

    def test_another_enterprise_sees_none_of_them(self, services):
        completed(services)
        assert services.notification_queries.inbox(OTHER).total == 0

    def test_an_agent_for_some_bundles_sees_only_their_cases(self, services):
        completed(services)
        agent = Actor("agent", Role.APPLICANT, enterprise=VALID_CODE, bundles=("construction-permit",))
        assert services.notification_queries.inbox(agent).total == 0
        agent = Actor("agent", Role.APPLICANT, enterprise=VALID_CODE, bundles=("restaurant-opening",))
        assert services.notification_queries.inbox(agent).total == 4

    @pytest.mark.parametrize("who", [INTAKE, AMR, FOOD, SUPERVISOR, AUDITOR, Actor("x", Role.APPLICANT)])
    def test_the_inbox_is_for_applicants_of_an_enterprise(self, services, who):
        with pytest.raises(NotAllowed):
            services.notification_queries.inbox(who)

    @pytest.mark.parametrize("who", [INTAKE, AMR, APPLICANT, Actor("admin", Role.ADMIN)])
    def test_deliveries_are_for_supervisors_and_auditors(self, services, who):
        with pytest.raises(NotAllowed):
            services.notification_queries.deliveries(who, "failed")

    def test_an_unknown_state_is_refused(self, services):
        with pytest.raises(InvalidInput):
            services.notification_queries.deliveries(SUPERVISOR, "lost")


def test_notifications_that_fail_to_queue_do_not_hold_up_later_ones(services, monkeypatch):
    """A whole page of notifications whose contacts cannot be read is skipped in this pass; the next page queues."""
    import application.notifications.notifier as notifier_module

    monkeypatch.setattr(notifier_module, "BATCH", 2)

    class Failing:
        def contacts(self, credit_code: str, bundle: str | None = None) -> list[Contact]:
            failing.append(credit_code)
            if len(failing) <= 2:  # the first page: the contacts store is unreachable
                raise ConnectionError("the accounts store is unreachable")
            return []

    failing: list[str] = []
    completed(services)
    services.notifier.contacts = Failing()
    report = services.notifier.send_due()
    assert len(report.errors) == 2 and report.queued >= 1  # later notifications were queued in the same pass
