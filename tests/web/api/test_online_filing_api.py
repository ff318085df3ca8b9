"""JSON API v1 for applicants online (网上办): filing, intake's pre-review, what another enterprise gets on every
applicant route, an agent revoked mid-session, and the acceptance by law after 5 working days (frozen time)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from domain.shared.values import Actor, Role
from tests.conftest import ADMIN, sample_file
from tests.web.conftest import PASSWORD, Api

INTAKE = Actor("intake", Role.INTAKE)

CODE = "91110000600037341L"
OTHER_CODE = "91350100M000100Y43"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(api: Api, username: str) -> str:
    response = api.post("/auth/token", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def register(api: Api, username: str, code: str, name: str) -> str:
    response = api.post("/applicants/register", {"credit_code": code, "enterprise_name": name,
                                                 "representative_name": "法定代表人", "username": username,
                                                 "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return sign_in(api, username)


@pytest.fixture
def applicants(api: Api) -> dict[str, str]:
    """Two enterprises, each registered by its representative: their tokens."""
    return {"mine": register(api, "boss", CODE, "泉城小馆餐饮有限公司"),
            "other": register(api, "stranger", OTHER_CODE, "闽都小吃有限公司")}


def file_case(api: Api, token: str) -> dict:
    response = api.client.post("/api/v1/cases", json={"bundle": "restaurant-opening"}, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def upload(api: Api, case_id: str, key: str, token: str, text: str = "x"):
    return api.client.post(f"/api/v1/cases/{case_id}/materials/{key}/files",
                           data={"file": (io.BytesIO(PDF + text.encode()), f"{key}.pdf")},
                           content_type="multipart/form-data", headers=bearer(token))


def test_an_applicant_files_online_and_the_case_waits_in_pre_review(api: Api, applicants):
    case = file_case(api, applicants["mine"])
    assert (case["status"], case["channel"], case["applicant"]["credit_code"]) == ("submitted", "online", CODE)
    assert case["escalations"] == [] and case["owner"] == ""
    refused = api.client.post("/api/v1/cases", json={"bundle": "restaurant-opening", "channel": "window",
                                                     "applicant": {"name": "x", "credit_code": OTHER_CODE}},
                              headers=bearer(applicants["mine"]))
    assert refused.status_code == 422
    api.services.runner.catch_up()  # the projections' poller, which a server runs in the background
    listed = api.get("/cases/pre-review", "intake").get_json()["filings"]
    assert [f["number"] for f in listed] == [case["number"]]


def test_intake_returns_once_the_upload_brings_it_back_and_intake_accepts(api: Api, applicants):
    case = file_case(api, applicants["mine"])
    returned = api.post(f"/cases/{case['id']}/intake/return", {"missing": ["id-card", "floor-plan"],
                                                               "reason": "请上传身份证和平面图"}, "intake")
    assert returned.status_code == 200 and returned.get_json()["status"] == "returned"
    again = api.post(f"/cases/{case['id']}/intake/return", {"missing": ["id-card"], "reason": "again"}, "intake")
    assert again.status_code == 409
    assert upload(api, case["id"], "id-card", applicants["mine"]).status_code == 201
    assert api.get(f"/cases/{case['id']}", "intake").get_json()["status"] == "returned"
    assert upload(api, case["id"], "floor-plan", applicants["mine"]).status_code == 201
    assert api.get(f"/cases/{case['id']}", "intake").get_json()["status"] == "submitted"
    second = api.post(f"/cases/{case['id']}/intake/return", {"missing": ["id-card"], "reason": "x"}, "intake")
    assert second.get_json()["error"]["code"] == "returned_once"
    accepted = api.post(f"/cases/{case['id']}/intake/accept", {"reason": "齐全"}, "intake")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "open"
    mine = api.client.get("/api/v1/me/cases", headers=bearer(applicants["mine"])).get_json()["cases"]
    assert mine[0]["status"] == "open" and mine[0]["status_words"]["zh"] == "办理中"
    assert {i["status_words"]["en"] for i in mine[0]["items"]} == {"waiting to be accepted"}


def test_an_applicant_cannot_accept_or_return_its_own_filing(api: Api, applicants):
    case = file_case(api, applicants["mine"])
    for action, body in (("accept", {}), ("return", {"missing": ["id-card"], "reason": "x"})):
        response = api.client.post(f"/api/v1/cases/{case['id']}/intake/{action}", json=body,
                                   headers=bearer(applicants["mine"]))
        assert response.status_code == 403


def test_another_enterprise_gets_403_or_404_on_every_applicant_route_of_a_case(api: Api, applicants):
    case = file_case(api, applicants["mine"])
    mine, other = applicants["mine"], applicants["other"]
    assert upload(api, case["id"], "id-card", mine).status_code == 201
    api.post(f"/cases/{case['id']}/intake/accept", {}, "intake")
    before = api.events()
    calls = [
        ("GET", f"/cases/{case['id']}", None), ("GET", f"/cases/{case['id']}/history", None),
        ("GET", f"/cases/{case['id']}?version=1", None),
        ("GET", f"/cases/{case['id']}/materials/id-card/files/1", None),
        ("POST", f"/cases/{case['id']}/rating", {"score": 1}),
        ("POST", f"/cases/{case['id']}/withdraw", {"reason": "not mine"}),
        ("POST", f"/cases/{case['id']}/materials/id-card/reuse", {"sha256": "ab" * 32}),
        ("GET", f"/applicants/{CODE}/vault", None),
        ("POST", "/petitions", {"enterprise": {"name": "泉城小馆餐饮有限公司", "credit_code": CODE},
                                "subject": "x", "text": "y", "channel": "online", "related_case": case["number"]}),
    ]
    for method, path, body in calls:
        response = api.client.open(f"/api/v1{path}", method=method, json=body, headers=bearer(other))
        assert response.status_code in (403, 404), (path, response.status_code, response.get_json())
    assert upload(api, case["id"], "id-card", other).status_code in (403, 404)
    assert api.client.get("/api/v1/me/cases", headers=bearer(other)).get_json()["cases"] == []
    assert api.events() == before
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=bearer(mine)).status_code == 200
    assert api.client.get(f"/api/v1/cases/{case['id']}/history", headers=bearer(mine)).status_code == 403


def test_a_revoked_agent_loses_access_at_once(api: Api, applicants):
    until = (date.today() + timedelta(days=30)).isoformat()
    created = api.client.post("/api/v1/applicants/agents", headers=bearer(applicants["mine"]),
                              json={"username": "clerk", "password": PASSWORD, "until": until})
    assert created.status_code == 201, created.get_json()
    agent = sign_in(api, "clerk")
    case = file_case(api, agent)
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=bearer(agent)).status_code == 200
    revoked = api.client.post("/api/v1/applicants/agents/clerk/revoke", json={"reason": "left the company"},
                              headers=bearer(applicants["mine"]))
    assert revoked.status_code == 200
    for path in (f"/cases/{case['id']}", "/me/cases"):
        assert api.client.get(f"/api/v1{path}", headers=bearer(agent)).status_code == 401
    assert api.post("/auth/token", {"username": "clerk", "password": PASSWORD}).status_code == 401


def test_an_agent_for_some_bundles_files_and_sees_only_those(api: Api, applicants):
    api.services.catalogue.publish_file(sample_file("foreign-talent.json"), ADMIN)
    until = (date.today() + timedelta(days=30)).isoformat()
    created = api.client.post("/api/v1/applicants/agents", headers=bearer(applicants["mine"]),
                              json={"username": "narrow", "password": PASSWORD, "until": until,
                                    "bundles": ["foreign-talent"]})
    assert created.status_code == 201, created.get_json()
    case = file_case(api, applicants["mine"])
    narrow = sign_in(api, "narrow")
    assert api.client.get(f"/api/v1/cases/{case['id']}", headers=bearer(narrow)).status_code == 403
    assert api.client.post("/api/v1/cases", json={"bundle": "restaurant-opening"},
                           headers=bearer(narrow)).status_code == 403
    api.services.runner.catch_up()
    assert api.client.get("/api/v1/me/cases", headers=bearer(narrow)).get_json()["cases"] == []
    assert len(api.client.get("/api/v1/me/cases", headers=bearer(applicants["mine"])).get_json()["cases"]) == 1


def test_a_filing_intake_leaves_unanswered_for_5_working_days_is_accepted_by_law(api: Api, applicants):
    with freeze_time("2026-12-04 10:00:00+08:00"):  # a Friday
        case = file_case(api, sign_in(api, "boss"))
    reads = api.services.cases.reads
    with freeze_time("2026-12-11 18:00:00+08:00"):  # the 5th working day: still intake's to answer
        api.services.sla.tick()
        assert reads.get_case(INTAKE, case["id"]).status == "submitted"
    with freeze_time("2026-12-14 09:00:00+08:00"):
        api.services.sla.tick()
        body = api.client.get(f"/api/v1/cases/{case['id']}", headers=bearer(sign_in(api, "intake"))).get_json()
        history = api.client.get(f"/api/v1/cases/{case['id']}/history",
                                 headers=bearer(sign_in(api, "auditor"))).get_json()
    assert body["status"] == "open" and body["pre_review"]["deemed"] is True
    assert body["pre_review"]["accepted_on"] == "2026-12-14"
    assert [e["actor"]["user_id"] for e in history if e["type"] == "IntakeAccepted"] == ["system:sla"]
