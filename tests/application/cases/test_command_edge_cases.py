"""Commands on stale copies, input of the wrong type and values at the edges: refused clearly or done right."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from eventsourcing.persistence import OperationalError

from application.common import retry
from application.common.errors import BundleNotFound, Busy, InvalidInput, NotAllowed
from application.common.write_cache import WriteCache
from domain.shared.errors import CertificatesAlreadyIssued, DomainError, InvalidValue, UnknownItem
from domain.shared.values import Actor, Role
from tests.application.helpers import SHA, event_count, open_restaurant, publish_issued_later, submit_all
from tests.conftest import AMR, FOOD, INTAKE, SUPERVISOR, make_services

PSB = Actor("wu-psb", Role.REVIEWER, "psb")


def test_a_right_refused_on_a_stale_copy_is_checked_again_on_the_current_state(services):
    other = make_services(services.settings.database_url)
    case_id = open_restaurant(services)
    submit_all(services, case_id)  # `services` now holds the case
    other.cases.supervision.transfer_item(SUPERVISOR, case_id, "business-licence", "psb", "belongs to PSB")
    services.cases.review.accept_item(PSB, case_id, "business-licence")  # the copy still says amr
    assert services.cases.load(case_id).items["business-licence"].status == "in_review"


def test_the_write_cache_never_replaces_a_newer_copy_with_an_older_one():
    class Copy:
        def __init__(self, version):
            self.version = version

    cache = WriteCache()
    cache.put("case", Copy(3))
    cache.put("case", Copy(2))  # a slower thread finishing late
    assert cache.take("case").version == 3


@pytest.mark.parametrize("command", [
    lambda s, c: s.cases.review.accept_item(AMR, c, ["business-licence"]),
    lambda s, c: s.cases.intake.submit_material(INTAKE, c, ["id-card"], "a.pdf", SHA),
    lambda s, c: s.cases.intake.submit_material(INTAKE, c, "id-card", None, SHA),
    lambda s, c: s.cases.intake.submit_material(INTAKE, c, "id-card", "a.pdf", SHA, reason=["not", "text"]),
    lambda s, c: s.cases.intake.submit_material(INTAKE, c, "id-card", "a.pdf", SHA, reason="x" * 2001),
    lambda s, c: s.cases.intake.withdraw(INTAKE, c, {"why": 1}),
    lambda s, c: s.cases.intake.accept_with_deficiency(INTAKE, c, ["floor-plan"], "2099-01-01"),
    lambda s, c: s.cases.intake.accept_with_deficiency(INTAKE, c, ["floor-plan"], datetime(2099, 1, 1)),
    lambda s, c: s.cases.supervision.escalate(SUPERVISOR, c, "slow", level="1"),
    lambda s, c: s.cases.supervision.resolve_escalation(SUPERVISOR, c, True, "done"),
    lambda s, c: s.cases.supervision.transfer_item(SUPERVISOR, c, "business-licence", ["psb"], "x"),
    lambda s, c: s.cases.review.request_supplement(AMR, c, "business-licence", "why", "id-card"),
    lambda s, c: s.cases.intake.submit_material(INTAKE, c, "id-card", "a.pdf", SHA, expected_version="1"),
    lambda s, c: s.cases.reads.get_case(INTAKE, c, version=[1]),
    lambda s, c: s.cases.reads.get_case(INTAKE, c, version=0),
])
def test_input_of_the_wrong_type_is_refused_clearly_and_leaves_no_event(services, command):
    case_id = open_restaurant(services)
    services.cases.supervision.escalate(SUPERVISOR, case_id, "watch", level=1)
    services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    services.cases.review.accept_item(AMR, case_id, "business-licence")  # in review: only the type is wrong below
    before = event_count(services, case_id)
    with pytest.raises((InvalidInput, DomainError)):
        command(services, case_id)
    assert event_count(services, case_id) == before


def test_the_text_false_is_not_a_passed_inspection(services):
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    services.cases.review.accept_item(FOOD, case_id, "food-permit")
    with pytest.raises(InvalidValue):
        services.cases.review.record_inspection(FOOD, case_id, "food-permit", "video", "false")
    assert services.cases.load(case_id).items["food-permit"].inspection_passed is None


def test_issuing_the_last_certificate_returns_it_released(services):
    publish_issued_later(services, "food-permit")  # the food permit is issued by the separate step
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    for actor, item in ((AMR, "business-licence"), (FOOD, "food-permit")):
        services.cases.review.accept_item(actor, case_id, item)
    services.cases.review.approve_item(AMR, case_id, "business-licence")  # issued on approval
    with pytest.raises(CertificatesAlreadyIssued):
        services.cases.review.issue_certificates(AMR, case_id, "business-licence")
    services.cases.review.approve_on_commitment(FOOD, case_id, "food-permit", "本人承诺")
    assert services.cases.load(case_id).status == "open"
    saved = services.cases.review.issue_certificates(FOOD, case_id, "food-permit")
    assert [c["status"] for c in saved.result] == ["valid"]
    assert services.cases.load(case_id).status == "completed"


def test_version_zero_of_a_bundle_does_not_exist(services):
    with pytest.raises(BundleNotFound):
        services.catalogue.definition("restaurant-opening", 0)


def test_a_role_that_may_not_review_learns_nothing_about_item_codes(services):
    case_id = open_restaurant(services)
    for item in ("business-licence", "no-such-item"):
        with pytest.raises(NotAllowed):
            services.cases.review.accept_item(INTAKE, case_id, item)
    with pytest.raises(UnknownItem):
        services.cases.review.accept_item(AMR, case_id, "no-such-item")


def test_who_may_read_an_old_version_is_decided_on_the_current_case(services):
    case_id = open_restaurant(services)
    services.cases.supervision.transfer_item(SUPERVISOR, case_id, "business-licence", "psb", "belongs to PSB")
    services.cases.supervision.transfer_item(SUPERVISOR, case_id, "food-permit", "psb", "belongs to PSB")
    assert services.cases.reads.get_case(PSB, case_id, version=1).items["business-licence"].department == "amr"
    with pytest.raises(NotAllowed):  # amr has no item in this case any more, old versions included
        services.cases.reads.get_case(AMR, case_id, version=1)


def test_a_save_inside_an_open_extension_transaction_joins_it(services):
    case_id = open_restaurant(services)
    done = threading.Event()

    def save_inside():
        with services.cases.recorder.transaction(commit=True):
            services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
        done.set()

    worker = threading.Thread(target=save_inside, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert done.is_set(), "the save deadlocked inside the outer transaction"
    assert "id-card" in services.cases.load(case_id).materials


def test_lock_timeouts_are_retried_then_reported_as_busy(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_SECONDS", 0)
    calls = []

    def locked():
        calls.append(1)
        raise OperationalError("canceling statement due to lock timeout")

    with pytest.raises(Busy):
        retry.with_retries(locked, lambda: None, "approving")
    assert len(calls) == retry.MAX_ATTEMPTS


def test_other_database_errors_are_not_retried():
    calls = []

    def missing_table():
        calls.append(1)
        raise OperationalError("no such table: cases_events")

    with pytest.raises(OperationalError):
        retry.with_retries(missing_table, lambda: None, "approving")
    assert calls == [1]


def test_the_deficiency_due_date_is_a_date(services):
    case_id = open_restaurant(services)
    saved = services.cases.intake.accept_with_deficiency(INTAKE, case_id, ["floor-plan"], date(2099, 1, 1))
    assert services.cases.load(case_id).deficiencies == {"floor-plan": date(2099, 1, 1)}
    assert saved.version == 2
