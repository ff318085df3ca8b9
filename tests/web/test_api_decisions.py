"""Behaviours decided after the API review: each pinned by a test."""

from __future__ import annotations

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
