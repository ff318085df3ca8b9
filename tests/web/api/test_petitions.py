"""JSON API v1: petitions (诉求) through their loop, the list and figures, and every error status."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.web.api.test_cases import CODE, ok, sign_in_now

PETITION = {"enterprise": {"name": "泉城小馆餐饮有限公司", "credit_code": CODE}, "subject": "园区停电",
            "text": "园区三天两次停电，冷库食材受损", "channel": "hotline"}


def submit(api, **fields):
    response = api.post("/petitions", {**PETITION, **fields}, "intake")
    return ok(response, 201)


def routed(api, department="amr", days=3):
    number = submit(api)["number"]
    ok(api.post(f"/petitions/{number}/route", {"department": department, "time_limit_days": days}, "supervisor"))
    return number


def test_a_petition_goes_round_its_loop_through_the_api(api):
    response = api.post("/petitions", {**PETITION, "related_case": api.open_case()["number"]}, "intake")
    petition = ok(response, 201)
    number = petition["number"]
    assert response.headers["Location"].endswith(f"/api/v1/petitions/{number}") and response.headers["ETag"] == '"1"'
    assert (petition["status"], petition["department"], petition["submitted_by"]) == ("submitted", None, "intake")
    routed_ = ok(api.post(f"/petitions/{number}/route", {"department": "amr", "time_limit_days": 3,
                                                          "reason": "市场监管职责"}, "supervisor"))
    assert (routed_["status"], routed_["department"], routed_["time_limit_days"], routed_["version"]) == (
        "routed", "amr", 3, 2) and routed_["due"]
    moved = ok(api.post(f"/petitions/{number}/reroute", {"department": "amr-food", "reason": "食品许可"}, "supervisor"))
    assert moved["department"] == "amr-food" and moved["due"] == routed_["due"]
    escalated = ok(api.post(f"/petitions/{number}/escalate", {"reason": "重大事项"}, "supervisor"))
    assert escalated["level"] == 1 and escalated["escalations"][0]["by"] == "supervisor"
    answered = ok(api.post(f"/petitions/{number}/answer", {"answer": "已协调供电公司"}, "food"))
    assert (answered["status"], answered["answer"], answered["answers"][0]["on_time"]) == ("answered", "已协调供电公司",
                                                                                           True)
    reopened = ok(api.post(f"/petitions/{number}/return-visit", {"rating": 2, "satisfied": False,
                                                                 "comment": "仍停电"}, "intake"))
    assert (reopened["status"], reopened["round"], reopened["visits"][0]["rating"]) == ("routed", 2, 2)
    ok(api.post(f"/petitions/{number}/answer", {"answer": "已更换变压器"}, "food"))
    closed = ok(api.post(f"/petitions/{number}/return-visit", {"rating": 5, "satisfied": True}, "supervisor"))
    assert (closed["status"], closed["closed_on"], len(closed["answers"])) == ("closed", closed["visits"][1][
        "visited_on"], 2)
    read = api.get(f"/petitions/{number}", "auditor")
    assert ok(read)["version"] == closed["version"] and read.headers["ETag"] == f'"{closed["version"]}"'


def test_the_list_filters_by_status_and_department_with_counts_and_reads_the_callers_writes(api):
    third = submit(api)["number"]
    first, second = routed(api), routed(api, "psb")
    page = ok(api.get("/petitions", "supervisor"))  # after the supervisor's own last write: no catch-up needed
    assert {r["number"] for r in page["items"]} == {first, second, third} and page["total"] == 3
    assert page["counts"] == {"routed": 2, "submitted": 1, "overdue": 0}
    assert [r["number"] for r in ok(api.get("/petitions?status=submitted", "supervisor"))["items"]] == [third]
    assert [r["number"] for r in ok(api.get("/petitions?department=psb", "auditor"))["items"]] == [second]
    api.services.runner.catch_up()
    amr = ok(api.get("/petitions?department=psb", "amr"))  # a reviewer cannot widen the filter
    assert [r["number"] for r in amr["items"]] == [first] and amr["counts"] == {"routed": 1, "overdue": 0}
    assert ok(api.get("/petitions", "food"))["items"] == []
    pages = [ok(api.get(f"/petitions?per_page=2&page={n}", "intake")) for n in (1, 2)]
    assert [len(p["items"]) for p in pages] == [2, 1]


def test_an_overdue_petition_is_flagged_escalated_by_the_tick_and_counted_in_the_figures(api):
    with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
        sign_in_now(api, "intake", "supervisor", "amr")
        number = routed(api, days=1)  # due Tuesday
    with freeze_time("2026-03-04 09:00:00+08:00"):
        sign_in_now(api, "supervisor", "amr", "auditor")
        assert api.services.sla.tick().events == 1
        api.services.runner.catch_up()  # the tick writes as system:sla, nobody's own write
        row = ok(api.get("/petitions?overdue=true", "supervisor"))["items"][0]
        assert (row["number"], row["overdue"], row["level"]) == (number, True, 1)
        ok(api.post(f"/petitions/{number}/answer", {"answer": "迟复"}, "amr"))
        api.services.runner.catch_up()
        figures = ok(api.get("/petitions/figures", "auditor"))
    assert figures["all"]["answered"] == 1 and figures["all"]["on_time_rate"] == 0.0
    assert figures["departments"]["amr"]["escalated"] == 1


# Errors -------------------------------------------------------------------------------------------
def test_a_reviewer_of_another_department_is_refused_and_nothing_is_written(api):
    number = routed(api)
    before = api.events()
    for path, body in ((f"/petitions/{number}/answer", {"answer": "x"}),
                       (f"/petitions/{number}/route", {"department": "amr"})):
        response = api.post(path, body, "food", **{"If-Match": "1"})  # a stale version does not turn it into 409
        assert response.status_code == 403 and "current_version" not in response.get_json()["error"]
    assert api.get(f"/petitions/{number}", "food").status_code == 403
    assert api.events() == before


@pytest.mark.parametrize("path", ["/petitions/QH-NOPE", "/petitions/QH-NOPE/route"])
def test_an_unknown_petition_is_404(api, path):
    response = api.get(path, "supervisor") if path.count("/") == 2 else api.post(path, {"department": "amr"},
                                                                                  "supervisor")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_rules_of_the_petition_answer_409(api):
    number = routed(api)
    for path, body, code in (
            (f"/petitions/{number}/route", {"department": "psb"}, "wrong_petition_status"),
            (f"/petitions/{number}/return-visit", {"rating": 5, "satisfied": True}, "wrong_petition_status")):
        response = api.post(path, body, "supervisor")
        assert response.status_code == 409 and response.get_json()["error"]["code"] == code
    ok(api.post(f"/petitions/{number}/close", {"reason": "重复诉求"}, "supervisor"))
    closed = api.post(f"/petitions/{number}/escalate", {"reason": "督办"}, "supervisor")
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "petition_closed"


def test_a_stale_if_match_is_409_with_the_current_version(api):
    number = routed(api)
    response = api.post(f"/petitions/{number}/answer", {"answer": "已办"}, "amr", **{"If-Match": '"1"'})
    assert response.status_code == 409 and response.get_json()["error"]["current_version"] == 2
    ok(api.post(f"/petitions/{number}/answer", {"answer": "已办"}, "amr", **{"If-Match": '"2"'}))


@pytest.mark.parametrize("body, field", [
    ({**PETITION, "enterprise": {"name": "泉城小馆", "credit_code": "91110000600037341X"}}, "enterprise.credit_code"),
    ({**PETITION, "channel": "fax"}, "channel"),
    ({**PETITION, "subject": ""}, "subject"),
    ({**PETITION, "related_case": "YJS20990101-NOPE22"}, "related_case"),
    ({**PETITION, "surprise": 1}, "surprise"),
    ({key: value for key, value in PETITION.items() if key != "text"}, "text"),
])
def test_bad_submissions_are_422_naming_the_field_and_write_nothing(api, body, field):
    before = api.events()
    response = api.post("/petitions", body, "intake")
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"], response.get_json()
    assert api.events() == before


def test_bad_commands_are_422(api):
    number = routed(api)
    for path, body in ((f"/petitions/{submit(api)['number']}/route", {"department": "nowhere"}),
                       (f"/petitions/{number}/reroute", {"department": "psb"}),
                       (f"/petitions/{number}/answer", {"answer": ""}),
                       (f"/petitions/{number}/escalate", {}),
                       (f"/petitions/{submit(api)['number']}/route", {"department": "amr", "time_limit_days": 0})):
        assert api.post(path, body, "supervisor" if "answer" not in path else "amr").status_code == 422, path


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_writes_once(api):
    key = {"Idempotency-Key": "petition-1"}
    first = api.post("/petitions", PETITION, "intake", **key)
    before = api.events()
    again = api.post("/petitions", PETITION, "intake", **key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["number"] == first.get_json()["number"] and api.events() == before
