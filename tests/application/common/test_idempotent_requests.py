"""A request sent with an Idempotency-Key acts once, whatever happens around its commit (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from application.common.errors import Busy
from application.common.idempotency import Request, requested
from tests.application.helpers import SHA, event_count, open_restaurant
from tests.conftest import AMR, INTAKE, VALID_CODE


def _open(services, key: str = "open-1"):
    with requested(Request(INTAKE.user_id, key, "digest")) as request:
        saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆", VALID_CODE, "window")
    return saved, request


def test_the_key_is_in_the_store_exactly_when_the_events_are(any_services):
    saved, request = _open(any_services)
    assert request.written and not request.replayed
    earlier = any_services.cases.recorder.committed_request(INTAKE.user_id, "open-1")
    assert (earlier.aggregate_id, earlier.version) == (str(saved.id), saved.version)
    assert earlier.notification_id == saved.notification_id


def test_a_retry_after_a_commit_opens_no_second_case(any_services):
    first, _ = _open(any_services)
    before = any_services.runner.total_events()
    again, request = _open(any_services)  # the web layer did not find the answer: the command runs again
    assert request.replayed and again.id == first.id and again.version == first.version
    assert any_services.runner.total_events() == before


def test_a_retried_decision_is_answered_not_refused_as_already_decided(any_services):
    case_id = open_restaurant(any_services)
    any_services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    any_services.cases.review.accept_item(AMR, case_id, "business-licence")
    for _ in range(2):  # the second is a retry whose first answer was lost
        with requested(Request(AMR.user_id, "approve-1", "digest")) as request:
            saved = any_services.cases.review.approve_item(AMR, case_id, "business-licence")
    assert request.replayed
    assert saved.version == event_count(any_services, case_id)
    approvals = [e for e in any_services.cases.recorder.select_events(case_id) if e.topic.endswith("ItemApproved")]
    assert len(approvals) == 1


def test_a_write_that_fails_leaves_no_key_so_the_retry_acts(any_services, monkeypatch):
    case_id = open_restaurant(any_services)
    recorder = any_services.cases.recorder
    real_write = recorder._write

    def fail(*args, **kwargs):
        raise Busy("the connection dropped")

    monkeypatch.setattr(recorder, "_write", fail)
    with pytest.raises(Busy), requested(Request(INTAKE.user_id, "m-1", "digest")):
        any_services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    assert recorder.committed_request(INTAKE.user_id, "m-1") is None
    monkeypatch.setattr(recorder, "_write", real_write)
    with requested(Request(INTAKE.user_id, "m-1", "digest")) as request:
        any_services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    assert request.written and not request.replayed


def test_copies_of_one_request_racing_in_threads_write_once(any_services):
    case_id = open_restaurant(any_services)
    start, results = threading.Barrier(4), []

    def send() -> None:
        start.wait()
        with requested(Request(INTAKE.user_id, "same", "digest")) as request:
            saved = any_services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
        results.append((saved.version, request.written, request.replayed))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({version for version, _, _ in results}) == 1
    assert sum(written for _, written, _ in results) == 1 and sum(replayed for _, _, replayed in results) == 3
    assert event_count(any_services, case_id) == results[0][0] == 2


def test_the_same_key_of_two_users_are_two_requests(any_services):
    first, _ = _open(any_services, "shared")
    with requested(Request("intake-2", "shared", "digest")) as request:
        other = any_services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆", VALID_CODE, "window")
    assert not request.replayed and other.id != first.id


def test_a_key_another_request_committed_is_refused_not_answered_with_its_result(any_services):
    from application.common.errors import IdempotencyKeyReused

    _open(any_services, "k")  # request A opened a case with key k
    other_case = open_restaurant(any_services)
    with pytest.raises(IdempotencyKeyReused), requested(Request(INTAKE.user_id, "k", "another digest")):
        # B collides with A's key
        any_services.cases.intake.submit_material(INTAKE, other_case, "id-card", "id.pdf", SHA)
    assert event_count(any_services, other_case) == 1  # B wrote nothing, and was not told A's case
