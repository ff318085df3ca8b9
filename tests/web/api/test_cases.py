"""JSON API v1: opening and reading cases, their history, and every command on them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from freezegun import freeze_time

from tests.application.helpers import publish_issued_later
from tests.web.conftest import PASSWORD

SHA = "ab" * 32
CODE = "91110000600037341L"


def material(api, case_id, key, who="intake", **headers):
    body = {"key": key, "filename": f"{key}.pdf", "sha256": SHA}
    return api.post(f"/cases/{case_id}/materials", body, who, **headers)


def act(api, case_id, item, action, who, body=None, **headers):
    return api.post(f"/cases/{case_id}/items/{item}/{action}", body or {}, who, **headers)


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def item(case, code):
    return next(i for i in case["items"] if i["code"] == code)


def both_in_review(api):
    """A case with both materials, both items accepted."""
    case_id = api.open_case()["id"]
    ok(material(api, case_id, "id-card")), ok(material(api, case_id, "floor-plan"))
    ok(act(api, case_id, "business-licence", "accept", "amr"))
    ok(act(api, case_id, "food-permit", "accept", "food"))
    return case_id


def completed_case(api, commit=False):
    """Walk a case from opening to completion; return it as the API shows it at the end."""
    case_id = both_in_review(api)
    ok(act(api, case_id, "business-licence", "approve", "amr"))  # issues its certificate, held
    if commit:  # approval on commitment issues the food permit's certificate: the case completes
        return ok(act(api, case_id, "food-permit", "commit", "food", {"commitment": "we keep the rules"}))
    ok(act(api, case_id, "food-permit", "inspect", "food", {"method": "video", "passed": True}))
    return ok(act(api, case_id, "food-permit", "approve", "food"))  # issues: the case completes


def sign_in_now(api, *users):
    """Fresh tokens inside a frozen time (the fixture's were issued at the real time)."""
    for username in users:
        api.tokens[username] = api.post("/auth/token", {"username": username, "password": PASSWORD}).get_json()["token"]


# Bundles, opening and reading ----------------------------------------------------------------------
def test_bundles_lists_the_published_bundles_with_their_items(api):
    bundles = ok(api.get("/bundles", "psb"))
    assert [(b["code"], b["version"]) for b in bundles] == [("restaurant-opening", 1)]
    assert [(i["code"], i["department"]) for i in bundles[0]["items"]] == [
        ("business-licence", "amr"), ("food-permit", "amr-food")]
    assert api.get("/bundles").status_code == 401


def test_opening_a_case_answers_201_with_location_etag_and_the_case(api):
    response = api.post("/cases", {"bundle": "restaurant-opening", "channel": "window",
                                   "applicant": {"name": "泉城小馆", "credit_code": CODE}}, "intake")
    case = ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/v1/cases/{case['id']}")
    assert response.headers["ETag"] == '"1"'
    assert set(case) >= {"id", "number", "bundle", "bundle_version", "version", "status", "applicant", "owner",
                         "opened_at", "due", "items", "materials", "escalations"}
    assert re.fullmatch(r"YJS\d{8}-[A-Z0-9]{6}", case["number"])
    assert (case["bundle"], case["bundle_version"], case["version"]) == ("restaurant-opening", 1, 1)
    assert (case["status"], case["owner"]) == ("open", "intake")
    roadmap = ok(api.get(f"/bundles/restaurant-opening/roadmap?start={case['opened_on']}", "intake"))
    assert case["due"] == roadmap["earliest_completion"]  # nothing accepted: projected as the roadmap does
    assert case["applicant"] == {"name": "泉城小馆", "credit_code": CODE}
    assert datetime.fromisoformat(case["opened_at"]).tzinfo is not None
    assert [(i["code"], i["department"], i["status"], i["due"]) for i in case["items"]] == [
        ("business-licence", "amr", "waiting", None), ("food-permit", "amr-food", "waiting", None)]
    assert case["materials"] == [] and case["escalations"] == []
    assert ok(api.get(response.headers["Location"].split("/api/v1")[1], "auditor")) == case


def test_reading_a_case_at_a_version_shows_the_state_then(api):
    case_id = api.open_case()["id"]
    ok(material(api, case_id, "id-card"))
    now = ok(api.get(f"/cases/{case_id}", "intake"))
    then = api.get(f"/cases/{case_id}?version=1", "intake")
    assert now["version"] == 2 and [m["key"] for m in now["materials"]] == ["id-card"]
    assert ok(then)["version"] == 1 and then.get_json()["materials"] == []
    assert then.headers["ETag"] == '"1"'


def test_reading_a_case_as_of_a_moment(api):
    with freeze_time("2026-11-16 09:00:00+08:00") as clock:
        sign_in_now(api, "intake", "auditor")
        case_id = api.open_case()["id"]
        clock.tick(timedelta(hours=1))
        ok(material(api, case_id, "id-card"))

        def as_of(moment):
            return api.get(f"/cases/{case_id}?as_of={quote(moment)}", "auditor")

        assert ok(as_of("2026-11-16T09:30:00+08:00"))["version"] == 1
        assert ok(as_of("2026-11-16T01:30:00Z"))["materials"] == []  # the same moment in UTC
        assert ok(as_of("2026-11-16T10:30:00+08:00"))["version"] == 2
        before = as_of("2026-11-16T08:59:00+08:00")
        assert before.status_code == 404 and before.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("case_id", ["5b3e2c9a-0000-4000-8000-000000000000", "not-a-case-id", "1"])
def test_an_unknown_or_malformed_case_id_is_404(api, case_id):
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/history"):
        response = api.get(path, "supervisor")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    before = api.events()
    assert material(api, case_id, "id-card").status_code == 404
    assert act(api, case_id, "business-licence", "accept", "amr").status_code == 404
    assert api.events() == before


def test_history_lists_every_event_with_position_type_time_actor_reason_and_data(api):
    case_id = api.open_case()["id"]
    ok(material(api, case_id, "id-card"))
    ok(act(api, case_id, "business-licence", "accept", "amr", {"reason": "complete"}))
    history = ok(api.get(f"/cases/{case_id}/history", "auditor"))
    assert [e["position"] for e in history] == [1, 2, 3]
    assert [e["type"] for e in history] == ["Opened", "MaterialSubmitted", "ItemAccepted"]
    assert [e["actor"]["user_id"] for e in history] == ["intake", "intake", "amr"]
    assert history[2]["actor"] == {"user_id": "amr", "role": "reviewer", "department": "amr"}
    assert history[2]["reason"] == "complete" and history[2]["data"]["item"] == "business-licence"
    assert history[1]["data"] == {"key": "id-card", "filename": "id-card.pdf", "sha256": SHA, "version": 1,
                                  "size": 0, "media_type": "", "source": "paper", "licence": ""}
    assert all(datetime.fromisoformat(e["at"]).tzinfo for e in history)


# Intake ---------------------------------------------------------------------------------------------
def test_materials_and_acceptance_with_deficiency(api):
    case_id = api.open_case()["id"]
    response = material(api, case_id, "id-card", **{"If-Match": "1"})
    assert ok(response)["materials"][0]["key"] == "id-card" and response.headers["ETag"] == '"2"'
    due = "2099-01-05"
    body = ok(api.post(f"/cases/{case_id}/deficiency", {"missing": ["floor-plan"], "supplement_due": due}, "intake"))
    assert body["deficiencies"] == {"floor-plan": due}
    refused = api.post(f"/cases/{case_id}/deficiency", {"missing": ["id-card"], "supplement_due": due}, "intake")
    assert refused.status_code == 409  # id-card may not be supplied later (and was submitted)
    ok(act(api, case_id, "food-permit", "accept", "food"))  # the excused floor plan counts for acceptance


def test_withdrawing_closes_the_case_and_needs_a_reason(api):
    case_id = api.open_case()["id"]
    assert api.post(f"/cases/{case_id}/withdraw", {"reason": "  "}, "intake").status_code == 422
    case = ok(api.post(f"/cases/{case_id}/withdraw", {"reason": "applicant changed plans"}, "intake2"))
    assert case["status"] == "withdrawn" and [i["status"] for i in case["items"]] == ["withdrawn", "withdrawn"]
    assert api.post(f"/cases/{case_id}/withdraw", {"reason": "again"}, "intake").status_code == 409


def test_reassigning_the_owner(api):
    case_id = api.open_case()["id"]
    assert api.post(f"/cases/{case_id}/owner", {"owner": "amr", "reason": "x"}, "intake").status_code == 422
    assert api.post(f"/cases/{case_id}/owner", {"owner": "intake", "reason": "x"}, "intake2").status_code == 403
    handed = ok(api.post(f"/cases/{case_id}/owner", {"owner": "intake2", "reason": "shift"}, "intake"))
    assert handed["owner"] == "intake2"
    assert api.post(f"/cases/{case_id}/owner", {"owner": "intake2", "reason": "x"}, "intake").status_code == 403
    back = ok(api.post(f"/cases/{case_id}/owner", {"owner": "intake", "reason": "back"}, "supervisor"))
    assert back["owner"] == "intake"


def test_rating_comes_once_after_closing(api):
    case_id = api.open_case()["id"]
    assert api.post(f"/cases/{case_id}/rating", {"score": 5}, "intake").status_code == 409  # still open
    ok(api.post(f"/cases/{case_id}/withdraw", {"reason": "changed plans"}, "intake"))
    assert api.post(f"/cases/{case_id}/rating", {"score": 6}, "intake").status_code == 422
    rated = ok(api.post(f"/cases/{case_id}/rating", {"score": 4, "comment": "quick"}, "intake"))
    assert rated["rating"]["score"] == 4
    assert api.post(f"/cases/{case_id}/rating", {"score": 5}, "intake").status_code == 422  # rated already


# Item actions -----------------------------------------------------------------------------------------
def test_accept_needs_the_materials_and_starts_the_clock(api):
    case_id = api.open_case()["id"]
    before = api.events()
    refused = act(api, case_id, "business-licence", "accept", "amr")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "materials_missing"
    assert api.events() == before
    ok(material(api, case_id, "id-card"))
    licence = item(ok(act(api, case_id, "business-licence", "accept", "amr")), "business-licence")
    assert licence["status"] == "in_review" and licence["due"] and licence["accepted_on"]
    assert act(api, case_id, "business-licence", "accept", "amr").status_code == 409


def test_a_supplement_request_and_its_arrival(api):
    case_id = both_in_review(api)
    assert act(api, case_id, "business-licence", "request-supplement", "amr").status_code == 422  # no reason
    body = {"reason": "blurred copy", "materials": ["id-card"]}
    paused = ok(act(api, case_id, "business-licence", "request-supplement", "amr", body))
    assert item(paused, "business-licence")["status"] == "supplement_requested"
    arrived = ok(act(api, case_id, "business-licence", "supplement", "amr"))
    assert item(arrived, "business-licence")["status"] == "in_review"
    assert act(api, case_id, "business-licence", "supplement", "amr").status_code == 409


def test_approval_needs_prerequisites_and_a_passed_inspection(api):
    case_id = both_in_review(api)
    refused = act(api, case_id, "food-permit", "approve", "food")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "prerequisite_not_met"
    ok(act(api, case_id, "business-licence", "approve", "amr"))
    refused = act(api, case_id, "food-permit", "approve", "food")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "inspection_required"
    assert act(api, case_id, "food-permit", "inspect", "food", {"method": "drone"}).status_code == 422
    ok(act(api, case_id, "food-permit", "inspect", "food", {"method": "video", "passed": True}))
    assert item(ok(act(api, case_id, "food-permit", "approve", "food")), "food-permit")["status"] == "approved"
    assert act(api, case_id, "food-permit", "approve", "food").status_code == 409  # no decision twice


def test_approval_on_commitment_and_its_revocation(api):
    case_id = both_in_review(api)
    assert act(api, case_id, "business-licence", "commit", "amr", {"commitment": "x"}).status_code == 409
    ok(act(api, case_id, "business-licence", "approve", "amr"))
    assert act(api, case_id, "food-permit", "commit", "food").status_code == 422  # no commitment text
    committed = ok(act(api, case_id, "food-permit", "commit", "food", {"commitment": "we keep the rules"}))
    assert item(committed, "food-permit")["on_commitment"] is True
    assert act(api, case_id, "business-licence", "revoke", "amr", {"reason": "x"}).status_code == 409
    assert act(api, case_id, "food-permit", "revoke", "amr", {"reason": "x"}).status_code == 403
    ok(act(api, case_id, "food-permit", "revoke", "supervisor", {"reason": "verification failed"}))


def test_rejecting_an_essential_item_needs_a_reason_and_rejects_the_case(api):
    case_id = both_in_review(api)
    refused = act(api, case_id, "business-licence", "reject", "amr")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "reason_required"
    case = ok(act(api, case_id, "business-licence", "reject", "amr", {"reason": "name taken"}))
    assert case["status"] == "rejected"
    assert [i["status"] for i in case["items"]] == ["rejected", "withdrawn"]
    assert act(api, case_id, "food-permit", "approve", "food").status_code == 409  # nothing after closing


def test_approval_issues_the_certificates_at_once_and_issuing_again_is_a_conflict(api):
    case_id = both_in_review(api)
    assert act(api, case_id, "business-licence", "issue", "amr").status_code == 409  # not approved yet
    licence = item(ok(act(api, case_id, "business-licence", "approve", "amr")), "business-licence")
    assert [c["status"] for c in licence["certificates"]] == ["held"] and licence["certificate"] is None
    before = api.events()
    again = act(api, case_id, "business-licence", "issue", "amr")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "certificates_already_issued"
    assert api.events() == before


def test_an_output_issued_later_is_issued_after_approval_only_once(api):
    publish_issued_later(api.services, "business-licence")  # the licence is issued by the separate step
    case_id = both_in_review(api)
    assert act(api, case_id, "business-licence", "issue", "amr").status_code == 409
    approved = item(ok(act(api, case_id, "business-licence", "approve", "amr")), "business-licence")
    assert approved["status"] == "approved" and approved["certificates"] == []
    licence = item(ok(act(api, case_id, "business-licence", "issue", "amr")), "business-licence")
    assert [c["status"] for c in licence["certificates"]] == ["held"] and licence["certificate"] is None
    again = act(api, case_id, "business-licence", "issue", "amr")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "certificates_already_issued"


def test_transferring_an_item_hands_it_to_another_department(api):
    case_id = api.open_case()["id"]
    ok(material(api, case_id, "id-card"))
    assert act(api, case_id, "business-licence", "transfer", "amr",
               {"to_department": "nowhere", "reason": "x"}).status_code == 422
    moved = ok(act(api, case_id, "business-licence", "transfer", "amr", {"to_department": "psb", "reason": "theirs"}))
    assert item(moved, "business-licence")["department"] == "psb"
    assert act(api, case_id, "business-licence", "accept", "amr").status_code == 403
    ok(act(api, case_id, "business-licence", "accept", "psb"))
    ok(act(api, case_id, "business-licence", "transfer", "supervisor", {"to_department": "amr", "reason": "back"}))


@pytest.mark.parametrize("path, who, status", [
    ("business-licence/approve", "food", 403),  # another department's item
    ("business-licence/approve", "intake", 403),  # not a reviewer
    ("no-such-item/approve", "amr", 404),
    ("business-licence/frobnicate", "amr", 404),  # no such action
])
def test_typical_refusals_of_item_actions(api, path, who, status):
    case_id = both_in_review(api)
    before = api.events()
    response = api.post(f"/cases/{case_id}/items/{path}", {}, who)
    assert response.status_code == status and set(response.get_json()["error"]) >= {"code", "message"}
    assert api.events() == before


# The whole walk and the public register -------------------------------------------------------------
def test_the_whole_walk_releases_certificates_the_public_can_verify(api):
    case = completed_case(api)
    assert case["status"] == "completed"
    numbers = [item(case, code)["certificate"]["number"] for code in ("business-licence", "food-permit")]
    assert numbers[0].startswith(case["number"] + "-01-")
    api.services.runner.catch_up()  # the register is a read model (the web process polls for it)
    for number in numbers:
        response = api.get(f"/certificates/{number}")  # no token
        body = ok(response)
        assert body["genuine"] is True and body["status"] == "valid" and body["number"] == number
        assert body["holder"] == {"name": "泉城小馆餐饮有限公司", "credit_code_masked": CODE[:4] + "*" * 10 + CODE[-4:]}
        assert "case" not in body and body["issued_on"]  # case number + credit code open the progress lookup
    assert api.get(f"/certificates/{case['number']}-09-1").status_code == 404


def test_held_certificates_are_not_public_and_revoked_ones_say_so(api):
    case_id = both_in_review(api)
    held = item(ok(act(api, case_id, "business-licence", "approve", "amr")), "business-licence")["certificates"][0]
    assert held["status"] == "held"
    api.services.runner.catch_up()
    assert api.get(f"/certificates/{held['number']}").status_code == 404
    case = completed_case(api, commit=True)
    ok(act(api, case["id"], "food-permit", "revoke", "food", {"reason": "verification failed"}))  # after closing
    api.services.runner.catch_up()
    number = item(case, "food-permit")["certificate"]["number"]
    assert ok(api.get(f"/certificates/{number}"))["status"] == "revoked"
