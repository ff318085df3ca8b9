"""The notifications' API: an applicant reads its enterprise's inbox only; supervisors watch and retry deliveries.

Applicant accounts come with enterprise registration; here two applicants' tokens stand in for them (the token
service answers with an applicant of one enterprise or the other), so the routes' rules are tested on their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.notifications.application import SYSTEM
from domain.notification.aggregate import MAX_ATTEMPTS, Delivery, DeliveryChannel
from domain.shared.values import Actor, Role
from tests.application.helpers import complete_restaurant, open_restaurant
from tests.conftest import VALID_CODE

OTHER_CODE = "91310000MA1FL4XQ9P"
APPLICANTS = {"applicant-token": Actor("rep", Role.APPLICANT, enterprise=VALID_CODE),
              "rival-token": Actor("rival", Role.APPLICANT, enterprise=OTHER_CODE)}


def failed_delivery(services, at: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> str:
    """An e-mail delivery that failed every attempt and was given up."""
    delivery = Delivery.queue(notification=f"n-{services.runner.total_events()}", kind="decided",
                              case_number="YJS-X", credit_code=VALID_CODE, channel=DeliveryChannel.EMAIL,
                              recipient="rep", address="rep@example.com", subject="s", body="b", at=at, actor=SYSTEM)
    for _ in range(MAX_ATTEMPTS):
        at = delivery.next_attempt_at or at
        delivery.start_attempt(at, SYSTEM)
        delivery.record_failure("550 mailbox unavailable", at, SYSTEM)
    services.notifications.save(delivery)
    services.runner.catch_up()
    return str(delivery.id)


@pytest.fixture
def applicants(api, monkeypatch):
    """``api`` where the tokens ``applicant`` and ``rival`` are applicants of two enterprises."""
    real = api.services.tokens.actor_for
    monkeypatch.setattr(api.services.tokens, "actor_for", lambda token: APPLICANTS.get(token) or real(token))
    api.tokens.update(applicant="applicant-token", rival="rival-token")
    case_id = open_restaurant(api.services)
    complete_restaurant(api.services, case_id)
    api.services.notifier.send_due()
    return api


def test_an_applicant_reads_its_enterprises_notifications_newest_first_with_their_deliveries(applicants):
    answer = applicants.get("/me/notifications", "applicant")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (4, 1, 20)
    first = body["items"][0]
    assert set(first) >= {"id", "kind", "case", "text", "created_at", "deliveries"}
    assert first["deliveries"] == [{"channel": "inbox", "state": "sent", "attempts": 1}]
    assert first["case"].startswith("YJS") and first["kind"] in ("licences_ready", "rating_invited")
    assert [i["kind"] for i in body["items"]][2:] == ["decided", "decided"]
    paged = applicants.get("/me/notifications?page=2&per_page=3", "applicant").get_json()
    assert len(paged["items"]) == 1 and paged["total"] == 4


def test_another_enterprises_applicant_sees_an_empty_inbox(applicants):
    body = applicants.get("/me/notifications", "rival").get_json()
    assert body["total"] == 0 and body["items"] == []


@pytest.mark.parametrize("who", ["intake", "amr", "supervisor", "auditor", "admin"])
def test_staff_have_no_inbox(applicants, who):
    assert applicants.get("/me/notifications", who).status_code == 403


@pytest.mark.parametrize("who", ["applicant", "rival", "intake", "amr", "admin"])
def test_only_supervisors_and_auditors_read_deliveries_and_only_supervisors_retry(applicants, who):
    delivery = failed_delivery(applicants.services)
    assert applicants.get("/notifications/deliveries?state=failed", who).status_code == 403
    before = applicants.events()
    assert applicants.post(f"/notifications/deliveries/{delivery}/retry", {}, who).status_code == 403
    assert applicants.events() == before


def test_a_supervisor_sees_a_failed_delivery_and_retries_it(applicants):
    delivery = failed_delivery(applicants.services)
    listed = applicants.get("/notifications/deliveries?state=failed", "auditor").get_json()
    assert [(d["id"], d["state"], d["attempts"], d["address"]) for d in listed["items"]] == [
        (delivery, "failed", MAX_ATTEMPTS, "r***@example.com")]
    assert listed["items"][0]["last_error"] == "550 mailbox unavailable"
    retried = applicants.post(f"/notifications/deliveries/{delivery}/retry", {"reason": "mailbox fixed"},
                              "supervisor")
    assert retried.status_code == 200 and retried.get_json()["state"] == "retrying"
    applicants.services.runner.catch_up()
    assert applicants.get("/notifications/deliveries?state=retrying", "supervisor").get_json()["total"] == 1
    again = applicants.post(f"/notifications/deliveries/{delivery}/retry", {}, "supervisor")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "delivery_not_retryable"


def test_retrying_an_unknown_delivery_is_404_and_an_unknown_state_422(applicants):
    missing = applicants.post("/notifications/deliveries/00000000-0000-0000-0000-000000000000/retry", {},
                              "supervisor")
    assert missing.status_code == 404
    assert applicants.post("/notifications/deliveries/not-a-uuid/retry", {}, "supervisor").status_code == 404
    assert applicants.get("/notifications/deliveries?state=lost", "supervisor").status_code == 422
    assert applicants.get("/me/notifications?per_page=1000", "applicant").status_code == 422


def test_deliveries_due_later_are_listed_with_their_next_attempt(applicants):
    delivery = failed_delivery(applicants.services)
    applicants.post(f"/notifications/deliveries/{delivery}/retry", {}, "supervisor")
    applicants.services.runner.catch_up()
    [row] = applicants.get("/notifications/deliveries?state=retrying", "supervisor").get_json()["items"]
    assert datetime.fromisoformat(row["next_attempt_at"]) <= datetime.now(UTC) + timedelta(seconds=1)
