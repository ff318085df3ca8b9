"""The consistency token (shared/API.md, "Consistency across processes"): every write answers
``X-Consistency-Token``; a read presenting it waits until the read models include that write (at most 2 s, then
503 with ``Retry-After: 1``). Here the web process keeps no read models itself (``projects_here = False``, as
``onething run --no-projections``): a thread stands in for the projection worker of another process."""

from __future__ import annotations

import re
import threading
import time

import pytest

HEADER = "X-Consistency-Token"
CASE = {"bundle": "restaurant-opening", "channel": "window",
        "applicant": {"name": "泉城小馆餐饮有限公司", "credit_code": "91110000600037341L"}}


@pytest.fixture
def web_only(api):
    """The API served by a process that leaves the read models to a worker elsewhere."""
    api.services.runner.catch_up()
    api.services.runner.projects_here = False
    api.client.consistency_tokens.clear()
    return api


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {row["number"] for row in response.get_json()["items"]}


def test_a_write_answers_a_token_naming_where_its_events_landed(web_only):
    response = web_only.post("/cases", CASE, "intake")
    assert response.status_code == 201
    last = web_only.services.cases.recorder.max_notification_id()
    assert response.headers[HEADER] == f"1:Cases={last}"


def test_a_read_without_the_token_may_not_show_the_write_yet(web_only):
    number = web_only.post("/cases", CASE, "intake").get_json()["number"]
    assert number not in numbers(web_only.get("/cases", "intake", **{HEADER: "1:"}))  # nothing to wait for


def test_a_read_with_the_token_waits_for_the_worker_and_shows_the_write(web_only):
    response = web_only.post("/cases", CASE, "intake")
    number, token = response.get_json()["number"], response.headers[HEADER]
    worker = threading.Timer(0.3, web_only.services.runner.catch_up)  # the projection worker, a moment later
    worker.start()
    started = time.monotonic()
    try:
        shown = numbers(web_only.get("/cases", "supervisor", **{HEADER: token}))  # another user, same token
    finally:
        worker.join()
    assert number in shown and 0.2 < time.monotonic() - started < 2.0


def test_a_read_whose_write_is_not_projected_in_two_seconds_is_answered_503_retry_after_one(web_only):
    token = web_only.post("/cases", CASE, "intake").headers[HEADER]
    started = time.monotonic()
    response = web_only.get("/cases", "intake", **{HEADER: token})
    waited = time.monotonic() - started
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "read_models_behind" and 1.9 < waited < 4
    web_only.services.runner.catch_up()
    assert web_only.get("/cases", "intake", **{HEADER: token}).status_code == 200  # the retry is answered


@pytest.mark.parametrize("token", ["garbage", "2:Cases=5", "1:Cases=-1", "1:Cases=5;", "1:Nowhere=3", "1:" + "x" * 600,
                                   "1:Cases=999999999"])  # a position no write reached: made up
def test_a_token_this_service_did_not_give_is_refused_and_waits_for_nothing(web_only, token):
    started = time.monotonic()
    response = web_only.get("/cases", "intake", **{HEADER: token})
    assert response.status_code == 422 and "X-Consistency-Token" in response.get_json()["error"]["fields"]
    assert time.monotonic() - started < 1


def test_a_write_answers_the_positions_it_was_sent_with_and_its_own(web_only):
    petition = web_only.post("/petitions", {"enterprise": CASE["applicant"], "subject": "园区停电",
                                            "text": "园区三天两次停电", "channel": "hotline"}, "intake")
    assert petition.status_code == 201, petition.get_json()
    case = web_only.post("/cases", CASE, "intake", **{HEADER: petition.headers[HEADER]})
    assert re.fullmatch(r"1:Cases=\d+,Petitions=\d+", case.headers[HEADER])


def test_a_retried_write_answers_the_token_of_its_first_write(web_only):
    first = web_only.post("/cases", CASE, "intake", **{"Idempotency-Key": "open-once", HEADER: "1:"})
    again = web_only.post("/cases", CASE, "intake", **{"Idempotency-Key": "open-once", HEADER: "1:"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers[HEADER] == first.headers[HEADER] != "1:"


def test_a_refused_write_answers_no_token(web_only):
    response = web_only.post("/cases", {**CASE, "bundle": "no-such-bundle"}, "intake")
    assert response.status_code >= 400 and HEADER not in response.headers


def test_a_write_that_reads_the_vault_waits_for_the_token_it_presents(web_only):
    opened = web_only.post("/cases", CASE, "intake")
    started = time.monotonic()
    response = web_only.post(f"/cases/{opened.get_json()['id']}/materials/id-card/reuse", {}, "intake",
                             **{HEADER: opened.headers[HEADER]})
    assert response.status_code == 503 and time.monotonic() - started > 1.9  # not projected: it would not find it
