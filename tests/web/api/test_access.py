"""JSON API v1: who may do and see what (shared/API.md's "who" column and application/common/access.py).

The table of every route × identity is ``tests/web/api/test_route_access_table.py`` (built from the url map);
this module holds the requests it prepares and the cases a table cannot show.
"""

from __future__ import annotations

import pytest

from tests.web.api.test_cases import CODE, act, completed_case, item, material, ok


def _open(api):
    return api.open_case()["id"]


def _with_id_card(api):
    case_id = _open(api)
    ok(material(api, case_id, "id-card"))
    return case_id


def _accepted(api):
    case_id = _with_id_card(api)
    ok(act(api, case_id, "business-licence", "accept", "amr"))
    return case_id


def _escalated(api):
    case_id = _open(api)
    ok(api.post(f"/cases/{case_id}/escalations", {"reason": "late"}, "supervisor"), 201)
    return case_id


def _withdrawn(api):
    case_id = _open(api)
    ok(api.post(f"/cases/{case_id}/withdraw", {"reason": "changed plans"}, "intake"))
    return case_id


def _certificate(api):
    case = completed_case(api)
    api.services.runner.catch_up()
    return item(case, "business-licence")["certificate"]["number"]


def _petition(api):
    body = {"enterprise": {"name": "泉城小馆"}, "subject": "园区停电", "text": "三天两次停电", "channel": "hotline"}
    return ok(api.post("/petitions", body, "intake"), 201)["number"]


def _routed_petition(api):
    number = _petition(api)
    ok(api.post(f"/petitions/{number}/route", {"department": "amr", "time_limit_days": 3}, "supervisor"))
    return number


def _answered_petition(api):
    number = _routed_petition(api)
    ok(api.post(f"/petitions/{number}/answer", {"answer": "已协调"}, "amr"))
    return number


APPLICANT = {"name": "泉城小馆", "credit_code": CODE}
PETITION = {"enterprise": {"name": "泉城小馆", "credit_code": CODE}, "subject": "停电", "text": "停电",
            "channel": "hotline"}
SHA = "cd" * 32
# A case id in the wrong hands ---------------------------------------------------------------------
def test_a_reviewer_without_an_item_in_the_case_never_sees_it(api):
    case = api.open_case()
    for path in (f"/cases/{case['id']}", f"/cases/{case['id']}/history", f"/cases/{case['id']}?version=1"):
        response = api.get(path, "psb")
        text = response.get_data(as_text=True)
        assert response.status_code in (403, 404), path
        assert "泉城小馆" not in text and CODE not in text and '"items"' not in text
    before = api.events()
    refused = act(api, case["id"], "business-licence", "accept", "psb")
    assert refused.status_code == 403 and "泉城小馆" not in refused.get_data(as_text=True)
    assert api.events() == before


@pytest.mark.parametrize("who, path, body", [
    ("psb", "items/business-licence/accept", {}),  # a reviewer with no item in the case
    ("food", "items/business-licence/accept", {}),  # another department's item
    ("auditor", "items/business-licence/accept", {}),
    ("intake", "items/business-licence/accept", {}),
    ("intake2", "owner", {"owner": "intake", "reason": "x"}),  # not the owner
])
def test_a_stale_if_match_does_not_turn_a_refusal_into_a_conflict(api, who, path, body):
    case = api.open_case()
    ok(material(api, case["id"], "id-card"))
    before = api.events()
    response = api.post(f"/cases/{case['id']}/{path}", body, who, **{"If-Match": "1"})
    # Fails today: Changes._run (application/common/changes.py) compares the version before running the
    # command, which is where review.py/_review and intake.py/reassign_owner check the right; so anyone
    # is told 409 with current_version and the case number ("case YJS… is at version 2, not 1").
    assert response.status_code == 403, response.get_json()
    assert case["number"] not in response.get_data(as_text=True)
    assert "current_version" not in response.get_json()["error"]
    assert api.events() == before


def test_a_reviewer_with_an_item_in_the_case_may_read_it(api):
    case_id = api.open_case()["id"]
    assert ok(api.get(f"/cases/{case_id}", "food"))["id"] == case_id
    assert len(ok(api.get(f"/cases/{case_id}/history", "food"))) == 1


def test_an_auditor_reads_everything_and_changes_nothing(api):
    case_id = _accepted(api)
    assert ok(api.get(f"/cases/{case_id}", "auditor"))["version"] == 3
    before = api.events()
    for path, body in [(f"/cases/{case_id}/items/business-licence/approve", {}),
                       (f"/cases/{case_id}/items/business-licence/revoke", {"reason": "x"}),
                       (f"/cases/{case_id}/items/business-licence/transfer", {"to_department": "psb", "reason": "x"}),
                       (f"/cases/{case_id}/owner", {"owner": "intake2", "reason": "x"}),
                       (f"/cases/{case_id}/materials", {"key": "floor-plan", "filename": "f.pdf", "sha256": SHA})]:
        assert api.post(path, body, "auditor").status_code == 403, path
    assert api.events() == before


# Queues, boards, figures and the case list ----------------------------------------------------------
def test_a_queue_reads_the_reviewers_own_writes_at_once(api):
    case_id = _with_id_card(api)
    ok(act(api, case_id, "business-licence", "accept", "amr"))
    queue = ok(api.get("/queues/amr", "amr"))  # no manual catch-up: read-your-writes
    assert queue["department"] == "amr"
    assert [(row["code"], row["status"]) for row in queue["items"]] == [("business-licence", "in_review")]
    ok(act(api, case_id, "business-licence", "approve", "amr"))
    assert ok(api.get("/queues/amr", "amr"))["items"] == []
    assert api.get("/queues/amr", "food").status_code == 403
    assert ok(api.get("/queues/psb", "psb"))["items"] == []
    api.services.runner.catch_up()
    assert [row["code"] for row in ok(api.get("/queues/amr-food", "supervisor"))["items"]] == ["food-permit"]


def test_escalating_and_resolving(api):
    case_id = api.open_case()["id"]
    assert api.post(f"/cases/{case_id}/escalations", {"reason": "late", "level": 4}, "supervisor").status_code == 422
    response = api.post(f"/cases/{case_id}/escalations", {"reason": "late", "level": 2}, "supervisor")
    escalation = ok(response, 201)["escalations"][0]
    assert (escalation["number"], escalation["level"], escalation["resolved_at"]) == (1, 2, None)
    assert response.headers["ETag"] == '"2"'
    assert api.post(f"/cases/{case_id}/escalations/2/resolve", {"reason": "x"}, "supervisor").status_code == 404
    resolved = ok(api.post(f"/cases/{case_id}/escalations/1/resolve", {"reason": "called"}, "supervisor"))
    assert resolved["escalations"][0]["resolved_by"] == "supervisor"
    assert api.post(f"/cases/{case_id}/escalations/1/resolve", {"reason": "x"}, "supervisor").status_code == 409


def test_the_escalations_board_shows_open_and_closed_ones(api):
    case_id = _escalated(api)
    board = ok(api.get("/escalations?state=open", "supervisor"))
    assert len(board) == 1 and board[0]["level"] == 1 and board[0]["age_days"] == 0
    ok(api.post(f"/cases/{case_id}/escalations/1/resolve", {"reason": "done"}, "supervisor"))
    assert ok(api.get("/escalations?state=open", "supervisor")) == []
    api.services.runner.catch_up()
    assert len(ok(api.get("/escalations?state=closed", "auditor"))) == 1
    assert len(ok(api.get("/escalations", "auditor"))) == 1


def test_kpis_count_the_completed_case(api):
    completed_case(api)
    api.services.runner.catch_up()
    figures = ok(api.get("/kpis", "auditor"))
    restaurant = figures["bundles"]["restaurant-opening"]
    assert (restaurant["opened"], restaurant["completed"]) == (1, 1)
    assert set(figures["departments"]) == {"amr", "amr-food"}


def test_the_case_list_filters_and_pages(api):
    first, second = api.open_case(), api.open_case(channel="online")
    other = ok(api.post("/cases", {"bundle": "restaurant-opening", "channel": "window",
                                   "applicant": {"name": "Other Noodles", "credit_code": "91310115MA1H7AB2XN"}},
                        "intake"), 201)
    ok(api.post(f"/cases/{second['id']}/withdraw", {"reason": "changed plans"}, "intake"))

    def numbers(query, who="intake"):
        page = ok(api.get(f"/cases{query}", who))
        return {row["number"] for row in page["items"]}, page["total"]

    everything = {first["number"], second["number"], other["number"]}
    assert numbers("") == (everything, 3)  # the writer reads its own writes
    assert numbers("?status=withdrawn") == ({second["number"]}, 1)
    assert numbers("?credit_code=91310115MA1H7AB2XN") == ({other["number"]}, 1)
    assert numbers(f"?number={first['number']}") == ({first["number"]}, 1)
    assert numbers(f"?text={other['number'][-6:].lower()}") == ({other["number"]}, 1)
    assert numbers("?text=noodles") == ({other["number"]}, 1)
    assert numbers("?bundle=restaurant-opening&department=amr-food")[1] == 3
    assert numbers("?bundle=no-such-bundle") == (set(), 0)
    pages = [ok(api.get(f"/cases?per_page=2&page={n}", "intake")) for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [2, 1, 0] and {p["total"] for p in pages} == {3}
    assert {row["number"] for p in pages for row in p["items"]} == everything
    api.services.runner.catch_up()
    assert numbers("", "amr")[1] == 3 and numbers("", "psb") == (set(), 0)  # reviewers: their departments
    assert numbers("?department=amr", "psb") == (set(), 0)  # a reviewer cannot widen the filter
