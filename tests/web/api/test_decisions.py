"""Behaviours decided after the API review: each pinned by a test."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD


def test_a_version_the_case_has_not_reached_is_not_found(api):
    case = api.open_case()
    assert api.get(f"/cases/{case['id']}?version=1", "intake").status_code == 200
    response = api.get(f"/cases/{case['id']}?version=99", "intake")
    assert response.status_code == 404 and "no version 99" in response.get_json()["error"]["message"]


def test_re_enabling_a_user_does_not_revive_tokens_issued_before_the_disable(api):
    old = api.tokens["amr"]
    assert api.post("/users/amr/disable", {"reason": "left the department"}, "admin").status_code == 200
    assert api.post("/users/amr/enable", {"reason": "came back"}, "admin").status_code == 200
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    fresh = api.client.post("/api/v1/auth/token", json={"username": "amr", "password": PASSWORD}).get_json()
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh['token']}"}).status_code == 200


def test_a_misspelt_query_parameter_is_refused_not_ignored(api):
    response = api.get("/cases?stauts=open", "supervisor")
    assert response.status_code == 422 and "stauts" in response.get_json()["error"]["fields"]


def test_the_openapi_document_and_an_offline_swagger_ui_are_served(api):
    document = api.client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.") and "/api/v1/cases/{case_id}/items/{item}/{action}" in document["paths"]
    page = api.client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    asset = api.client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.get_data()) > 100_000
    responses = [op["responses"] for path in document["paths"].values() for op in path.values()
                 if isinstance(op, dict)]  # path-level "parameters" is a list
    assert len(responses) >= 23
    assert all("200" in r or "201" in r or "204" in r for r in responses)


def test_the_roadmap_endpoint_follows_the_contract(api):
    body = api.get("/bundles/restaurant-opening/roadmap?start=2026-09-30", "intake").get_json()
    assert set(body) >= {"bundle", "start", "earliest_completion", "critical_path", "items"}
    assert body["earliest_completion"] == "2026-10-14" and body["critical_path"] == ["business-licence", "food-permit"]
    item = body["items"][0]
    assert set(item) >= {"code", "department", "time_limit_days", "earliest_start", "earliest_end", "critical"}
    assert api.get("/bundles/restaurant-opening/roadmap?start=2026-09-30").status_code == 401
    assert api.get("/bundles/nothing/roadmap", "intake").status_code == 404
    assert api.get("/bundles/restaurant-opening/roadmap?start=not-a-date", "intake").status_code == 422


def test_a_supervisor_urges_an_item_and_raises_an_escalation_over_the_api(api):
    case = api.open_case()
    urged = api.post(f"/cases/{case['id']}/items/business-licence/urge", {"reason": "请加快"}, "supervisor")
    assert urged.status_code == 200
    assert api.post(f"/cases/{case['id']}/items/business-licence/urge", {"reason": "x"}, "amr").status_code == 403
    assert api.post(f"/cases/{case['id']}/escalations", {"reason": "慢"}, "supervisor").status_code == 201
    raised = api.post(f"/cases/{case['id']}/escalations/1/raise", {"reason": "提级督办"}, "supervisor")
    assert raised.status_code == 200 and raised.get_json()["escalations"][0]["level"] == 2
    before = api.events()
    assert api.post(f"/cases/{case['id']}/escalations/1/raise", {"reason": "x"}, "intake").status_code == 403
    assert api.post(f"/cases/{case['id']}/escalations/9/raise", {"reason": "x"}, "supervisor").status_code == 404
    assert api.events() == before


def test_control_characters_anywhere_in_a_request_are_refused_before_anything_is_written(api):
    case = api.open_case()
    before = api.events()
    for response in (
        api.post(f"/cases/{case['id']}/escalations", {"reason": "a\u0000b"}, "supervisor"),
        api.post("/cases", {"bundle": "restaurant-opening", "channel": "window",
                            "applicant": {"name": "x\u0007", "credit_code": "91110000600037341L"}}, "intake"),
        api.get("/cases?text=a%00", "supervisor"),
        api.get("/certificates/%00"),
        api.post(f"/cases/{case['id']}/withdraw", {"reason": "ok"}, "intake", **{"Idempotency-Key": "k\u0001"}),
    ):
        assert response.status_code == 422, response.get_json()
    assert api.events() == before


def test_authentication_comes_before_body_validation(api):
    response = api.post("/cases", {"nonsense": True})
    assert response.status_code == 401


def test_odd_if_match_values_are_refused_not_crashing(api):
    case = api.open_case()
    for value in ("²", "١", "-1", "1.0", "*"):
        response = api.post(f"/cases/{case['id']}/withdraw", {"reason": "x"}, "intake", **{"If-Match": value})
        assert response.status_code == 422, value


def test_an_inspection_must_say_whether_it_passed(api):
    case = api.open_case()
    response = api.post(f"/cases/{case['id']}/items/food-permit/inspect", {}, "food")
    assert response.status_code == 422 and "passed" in response.get_json()["error"]["fields"]


def test_list_times_carry_their_utc_offset_on_sqlite_too(api):
    api.open_case()
    api.services.runner.catch_up()
    (row,) = api.get("/cases", "supervisor").get_json()["items"]
    assert row["opened_at"].endswith("+00:00")


def test_a_write_that_failed_only_in_answering_is_not_repeated_by_the_retry(api, monkeypatch):
    from web.api import core

    case = api.open_case()
    real_jsonify = core.jsonify
    failures = []

    def fail_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("the connection dropped while answering")
        return real_jsonify(*args, **kwargs)

    monkeypatch.setattr(core, "jsonify", fail_once)  # where a write's answer is made
    headers = {"Idempotency-Key": "esc-1"}
    with pytest.raises(RuntimeError):  # the test client re-raises what a server would answer with 500
        api.post(f"/cases/{case['id']}/escalations", {"reason": "slow"}, "supervisor", **headers)
    retry = api.post(f"/cases/{case['id']}/escalations", {"reason": "slow"}, "supervisor", **headers)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"  # the first answer's
    assert len(api.services.cases.load(case["id"]).escalations) == 1  # written once


def test_a_retry_is_answered_from_the_ledger_with_the_first_status_and_version(api):
    case = api.open_case()
    path, body = f"/cases/{case['id']}/escalations", {"reason": "slow"}
    first = api.post(path, body, "supervisor", **{"Idempotency-Key": "lost"})
    assert first.status_code == 201
    api.post(f"/cases/{case['id']}/owner", {"owner": "intake2", "reason": "shift"}, "supervisor")  # moves on
    retry = api.post(path, body, "supervisor", **{"Idempotency-Key": "lost"})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json()["version"] == first.get_json()["version"] and retry.headers["ETag"] == first.headers["ETag"]
    assert len(api.services.cases.load(case["id"]).escalations) == 1


def test_the_ledger_keeps_no_answer_text(api):
    from sqlalchemy import select

    from infrastructure.eventstore.idempotency import requests

    api.post("/cases", {"bundle": "restaurant-opening", "channel": "window", "applicant": {
        "name": "保密餐饮有限公司", "credit_code": "91110000600037341L"}}, "intake", **{"Idempotency-Key": "o-1"})
    with api.services.idempotency.engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(select(requests))]
    assert len(rows) == 1 and "保密" not in repr(rows)  # personal data stays in the (encryptable) event store


def test_a_request_that_never_committed_leaves_no_key_behind_so_its_retry_runs_at_once(api, monkeypatch):
    from application.common.errors import Busy

    case = api.open_case()
    path, body = f"/cases/{case['id']}/materials", {"key": "id-card", "filename": "id.pdf", "sha256": "a" * 64}

    def refuse(*args, **kwargs):
        raise Busy("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(api.services.cases.intake, "submit_material", refuse)
        assert api.post(path, body, "intake", **{"Idempotency-Key": "m-1"}).status_code == 503
    assert api.services.idempotency.lookup("intake", "m-1") is None
    retry = api.post(path, body, "intake", **{"Idempotency-Key": "m-1"})
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers


def test_two_copies_of_one_request_at_once_write_once_and_both_get_the_answer(api):
    import threading

    case = api.open_case()
    path, body = f"/cases/{case['id']}/escalations", {"reason": "twice"}
    token = api.tokens["supervisor"]
    answers: list = []
    start = threading.Barrier(2)

    def send() -> None:
        client = api.client.application.test_client()
        start.wait()
        answers.append(client.post(f"/api/v1{path}", json=body, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": "twins"}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert answers[0].get_json()["version"] == answers[1].get_json()["version"]
    assert len(api.services.cases.load(case["id"]).escalations) == 1


def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit(services):
    from web import create_app
    from web.api.limits import limiter
    from web.services import Settings

    settings = Settings(database_url=services.settings.database_url, secret_key="x", proxy_hops=1)
    app = create_app({"SERVICES": services, "SETTINGS": settings, "TESTING": True, "RATELIMIT_ENABLED": True})
    limiter.reset()
    client = app.test_client()
    answers = [client.post("/api/v1/auth/token", json={"username": f"x{n}", "password": "y"},
                           headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(12)]
    assert 429 not in answers
    limiter.reset()


def test_admins_declare_calendar_days_and_years_over_the_api(api):
    snow = {"day": "2026-03-03", "workday": False, "reason": "暴雪"}
    assert api.post("/calendar/days", snow, "admin").status_code == 204
    assert api.post("/calendar/years", {"year": 2027, "reason": "通知"}, "admin").status_code == 204
    assert api.post("/calendar/days", {"day": "2026-03-04", "workday": False, "reason": "x"},
                    "supervisor").status_code == 403
    assert api.services.catalogue.calendar_overrides()[2] == {2027}


def test_a_retry_is_answered_as_first_even_when_the_caller_may_no_longer_act(api):
    from tests.conftest import ADMIN
    from tests.web.conftest import PASSWORD

    api.services.users.add_user(ADMIN, "amr-b", PASSWORD, "reviewer", "amr")
    case = api.open_case()
    api.post(f"/cases/{case['id']}/materials", {"key": "id-card", "filename": "id.pdf", "sha256": "a" * 64}, "intake")
    path = f"/cases/{case['id']}/items/business-licence/accept"
    first = api.post(path, {}, "amr", **{"Idempotency-Key": "acc"})
    assert first.status_code == 200
    assign = api.post(f"/cases/{case['id']}/items/business-licence/assign", {"reviewer": "amr-b", "reason": "load"},
                      "supervisor")
    assert assign.status_code == 200, assign.get_json()
    assert api.post(path, {}, "amr", **{"Idempotency-Key": "other"}).status_code in (403, 409)  # a new request may not
    retry = api.post(path, {}, "amr", **{"Idempotency-Key": "acc"})  # the lost answer of the first may be had
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json()["version"] == first.get_json()["version"]


def test_administrative_writes_sent_again_with_their_key_act_once(api):
    users_before = api.services.users.recorder.max_notification_id()
    new = {"username": "clerk7", "password": "rain-over-jinan-7", "role": "intake"}
    first = api.post("/users", new, "admin", **{"Idempotency-Key": "u-1"})
    again = api.post("/users", new, "admin", **{"Idempotency-Key": "u-1"})
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    disable = [api.post("/users/clerk7/disable", {"reason": "left"}, "admin", **{"Idempotency-Key": "d-1"})
               for _ in range(2)]
    assert [d.status_code for d in disable] == [200, 200] and disable[1].get_json()["disabled"] is True
    assert api.services.users.recorder.max_notification_id() - users_before == 2  # registered, disabled: once each
    day = {"day": "2026-03-03", "workday": False, "reason": "暴雪"}
    first_day = api.post("/calendar/days", day, "admin", **{"Idempotency-Key": "c-1"})
    declared = api.services.catalogue.recorder.max_notification_id()
    again_day = api.post("/calendar/days", day, "admin", **{"Idempotency-Key": "c-1"})
    assert first_day.status_code == again_day.status_code == 204 and again_day.headers["Idempotent-Replayed"] == "true"
    assert api.services.catalogue.recorder.max_notification_id() == declared  # nothing declared twice
