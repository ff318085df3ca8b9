"""JSON API v1: the error model (400/404/409/413/422 with field-level messages, nothing written),
If-Match and Idempotency-Key."""

from __future__ import annotations

import json

import pytest

from tests.web.api.test_cases import CODE, act, material, ok

SHA = "ef" * 32
OPEN = {"bundle": "restaurant-opening", "channel": "window", "applicant": {"name": "泉城小馆", "credit_code": CODE}}
ERROR_KEYS = {"code", "message", "fields", "current_version"}


@pytest.fixture
def case_id(api):
    """An open case with the id card, business-licence in review, and escalation 1 open."""
    case_id = api.open_case()["id"]
    ok(material(api, case_id, "id-card"))
    ok(act(api, case_id, "business-licence", "accept", "amr"))
    ok(api.post(f"/cases/{case_id}/escalations", {"reason": "late"}, "supervisor"), 201)
    return case_id


# (path, who): every write of the API; {id} is the case of the fixture
WRITES = {
    "open": ("/cases", "intake"),
    "materials": ("/cases/{id}/materials", "intake"),
    "deficiency": ("/cases/{id}/deficiency", "intake"),
    "item": ("/cases/{id}/items/business-licence/approve", "amr"),
    "escalate": ("/cases/{id}/escalations", "supervisor"),
    "resolve": ("/cases/{id}/escalations/1/resolve", "supervisor"),
    "withdraw": ("/cases/{id}/withdraw", "intake"),
    "owner": ("/cases/{id}/owner", "intake"),
    "rating": ("/cases/{id}/rating", "intake"),
    "users": ("/users", "admin"),
    "disable": ("/users/psb/disable", "admin"),
    "token": ("/auth/token", None),
}


def raw_post(api, path, data, who, content_type="application/json", **headers):
    return api.client.post(f"/api/v1{path}", data=data, content_type=content_type,
                           headers=api.headers(who, **headers))


def assert_error(response, status, field=None):
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert set(error) <= ERROR_KEYS and error["code"] and error["message"]
    if field is not None:
        assert field in error.get("fields", {}), error
    return error


# Malformed, wrong, unknown and oversize bodies -------------------------------------------------------
@pytest.mark.parametrize("endpoint", list(WRITES))
@pytest.mark.parametrize("data", ['{"reason": ', "not json at all", '{"a": 1}}', "\xff\xfe"])
def test_malformed_json_is_400_naming_the_body_and_writes_nothing(api, case_id, endpoint, data):
    path, who = WRITES[endpoint]
    before = api.events()
    error = assert_error(raw_post(api, path.format(id=case_id), data.encode("latin-1"), who), 400, "body")
    assert error["code"] == "malformed"
    assert api.events() == before


@pytest.mark.parametrize("endpoint", list(WRITES))
def test_unknown_fields_are_422_naming_them_and_write_nothing(api, case_id, endpoint):
    path, who = WRITES[endpoint]
    before = api.events()
    assert_error(api.post(path.format(id=case_id), {"reason": "x", "colour": "red"}, who), 422, "colour")
    assert api.events() == before


@pytest.mark.parametrize("endpoint", list(WRITES))
@pytest.mark.parametrize("body", [[], "text", 42, None])
def test_a_body_that_is_no_object_is_refused(api, case_id, endpoint, body):
    path, who = WRITES[endpoint]
    before = api.events()
    response = raw_post(api, path.format(id=case_id), json.dumps(body), who)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code, "body")
    assert api.events() == before


@pytest.mark.parametrize("endpoint", list(WRITES))
def test_a_body_over_64_kib_is_413_and_writes_nothing(api, case_id, endpoint):
    path, who = WRITES[endpoint]
    before = api.events()
    body = json.dumps({"reason": "x" * (64 * 1024 + 1)})
    # Fails today: web/api/__init__.py uses app.config.setdefault("MAX_CONTENT_LENGTH", ...), but Flask's
    # default config already holds MAX_CONTENT_LENGTH = None, so no limit is set at all.
    assert_error(raw_post(api, path.format(id=case_id), body, who), 413)
    assert api.events() == before


def test_a_body_under_the_limit_is_judged_on_its_fields(api, case_id):
    body = json.dumps({"reason": "x" * (60 * 1024)})
    assert_error(raw_post(api, f"/cases/{case_id}/withdraw", body, "intake"), 422, "reason")


WRONG = [  # (endpoint, body, field)
    ("open", {**OPEN, "bundle": 3}, "bundle"),
    ("open", {**OPEN, "channel": "carrier-pigeon"}, "channel"),
    # Fails today: a nested schema's own error is named "applicant._schema" (web/api/__init__.py, _fields
    # keeps the "_schema" key below the top level) instead of the field "applicant".
    ("open", {**OPEN, "applicant": "泉城小馆"}, "applicant"),
    ("open", {**OPEN, "applicant": {"name": "", "credit_code": CODE}}, "applicant.name"),
    ("open", {"bundle": "restaurant-opening", "channel": "window"}, "applicant"),
    ("materials", {"key": "id-card", "filename": "a.pdf", "sha256": "xyz"}, "sha256"),
    ("materials", {"key": "id-card", "filename": "", "sha256": SHA}, "filename"),
    ("materials", {"key": ["id-card"], "filename": "a.pdf", "sha256": SHA}, "key"),
    ("deficiency", {"missing": "floor-plan", "supplement_due": "2099-01-05"}, "missing"),
    ("deficiency", {"missing": ["floor-plan"], "supplement_due": "next week"}, "supplement_due"),
    ("deficiency", {"missing": [], "supplement_due": "2099-01-05"}, "missing"),
    ("item", {"reason": 5}, "reason"),
    ("item", {"reason": "x" * 2001}, "reason"),
    ("escalate", {"reason": "late", "level": "2"}, "level"),
    ("escalate", {"reason": "late", "level": 0}, "level"),
    ("escalate", {"level": 2}, "reason"),
    ("resolve", {"reason": ""}, "reason"),
    ("withdraw", {"reason": None}, "reason"),
    ("owner", {"owner": "intake2"}, "reason"),
    ("rating", {"score": "5"}, "score"),
    ("rating", {"score": 4.5}, "score"),
    ("users", {"username": "u", "password": "long-enough-pw", "role": ["admin"]}, "role"),
    ("token", {"username": "intake", "password": None}, "password"),
]


@pytest.mark.parametrize("endpoint, body, field", WRONG, ids=[f"{n}-{e}-{f}" for n, (e, _, f) in enumerate(WRONG)])
def test_wrong_types_and_values_are_422_naming_the_field_and_write_nothing(api, case_id, endpoint, body, field):
    path, who = WRITES[endpoint]
    before = api.events()
    error = assert_error(api.post(path.format(id=case_id), body, who), 422, field)
    assert error["code"] == "invalid_input" and field in error["message"]
    assert api.events() == before


@pytest.mark.parametrize("code", ["91110000600037341X", "9111000060003734", "91110000600037341L0",
                                  "ABCDEFGHIJKLMNOPQR", "", "91110000-60003734-1L-XX", 911100006000373])
def test_a_bad_credit_code_is_422_on_the_credit_code_and_opens_nothing(api, code):
    before = api.events()
    body = {**OPEN, "applicant": {"name": "泉城小馆", "credit_code": code}}
    assert_error(api.post("/cases", body, "intake"), 422, "applicant.credit_code")
    assert api.events() == before


@pytest.mark.parametrize("endpoint, path, body, field", [
    ("open", "/cases", {**OPEN, "bundle": "no-such-bundle"}, "bundle"),
    ("materials", "/cases/{id}/materials", {"key": "no-such-paper", "filename": "a.pdf", "sha256": SHA}, "key"),
    ("deficiency", "/cases/{id}/deficiency", {"missing": ["no-such-paper"], "supplement_due": "2099-01-05"},
     "missing"),
    ("item", "/cases/{id}/items/no-such-item/approve", {}, "item"),
])
def test_an_unknown_bundle_material_or_item_is_4xx_with_a_field_level_message(api, case_id, endpoint, path,
                                                                               body, field):
    who = WRITES[endpoint][1]
    before = api.events()
    response = api.post(path.format(id=case_id), body, who)
    assert response.status_code in (404, 422)
    assert "no-such" in response.get_json()["error"]["message"]
    assert api.events() == before
    # Fails today for all four: the answer is 404 without `error.fields` (BundleNotFound, UnknownMaterial
    # and UnknownItem carry no fields), while the issue asks for a field-level message.
    assert field in response.get_json()["error"].get("fields", {})


@pytest.mark.parametrize("query, field", [
    ("/cases/{id}?version=0", "version"), ("/cases/{id}?version=two", "version"),
    ("/cases/{id}?as_of=2026-11-16T09:00:00", "as_of"), ("/cases/{id}?as_of=yesterday", "as_of"),
    ("/cases?per_page=0", "per_page"), ("/cases?page=x", "page"), ("/cases?per_page=201", "per_page"),
    ("/cases?status=lost", "status"), ("/escalations?state=bogus", "state"),
])
def test_bad_query_parameters_are_422_naming_them(api, case_id, query, field):
    assert_error(api.get(query.format(id=case_id), "supervisor"), 422, field)


# If-Match ---------------------------------------------------------------------------------------------
STALE = [  # (endpoint, body): each would succeed on the current version
    ("materials", {"key": "floor-plan", "filename": "f.pdf", "sha256": SHA}),
    ("deficiency", {"missing": ["floor-plan"], "supplement_due": "2099-01-05"}),
    ("item", {}),
    ("escalate", {"reason": "again", "level": 2}),
    ("resolve", {"reason": "done"}),
    ("withdraw", {"reason": "changed plans"}),
    ("owner", {"owner": "intake2", "reason": "shift"}),
]


@pytest.mark.parametrize("endpoint, body", STALE, ids=[e for e, _ in STALE])
def test_a_stale_if_match_is_409_with_the_current_version(api, case_id, endpoint, body):
    path = WRITES[endpoint][0].format(id=case_id)
    who = WRITES[endpoint][1]
    before = api.events()
    error = assert_error(api.post(path, body, who, **{"If-Match": "2"}), 409)
    assert error["code"] == "version_conflict" and error["current_version"] == 4
    assert api.events() == before
    response = api.post(path, body, who, **{"If-Match": '"4"'})
    assert 200 <= response.status_code < 300 and response.headers["ETag"] == f'"{response.get_json()["version"]}"'


def test_a_stale_if_match_on_a_rating_is_409(api, case_id):
    ok(api.post(f"/cases/{case_id}/withdraw", {"reason": "changed plans"}, "intake"))
    before = api.events()
    # Fails today: views_cases.rate never passes if_match() to the application, so the header is ignored.
    assert_error(api.post(f"/cases/{case_id}/rating", {"score": 5}, "intake", **{"If-Match": "1"}), 409)
    assert api.events() == before


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", '"v4"'])
def test_a_malformed_if_match_is_422(api, case_id, value):
    before = api.events()
    assert_error(material(api, case_id, "floor-plan", **{"If-Match": value}), 422, "If-Match")
    assert api.events() == before


# Idempotency-Key --------------------------------------------------------------------------------------
def test_a_retry_with_the_same_key_returns_the_first_answer_and_writes_nothing_new(api):
    first = api.post("/cases", OPEN, "intake", **{"Idempotency-Key": "open-1"})
    after_first = api.events()
    again = api.post("/cases", OPEN, "intake", **{"Idempotency-Key": "open-1"})
    assert (again.status_code, again.get_json()) == (201, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"] and again.headers["ETag"] == '"1"'
    assert api.events() == after_first
    case_id = first.get_json()["id"]
    body = {"key": "id-card", "filename": "id.pdf", "sha256": SHA}
    answers = [api.post(f"/cases/{case_id}/materials", body, "intake", **{"Idempotency-Key": "m"}) for _ in "ab"]
    assert [a.get_json()["version"] for a in answers] == [2, 2]
    assert len(ok(api.get(f"/cases/{case_id}/history", "intake"))) == 2


def test_the_same_key_with_another_body_is_422_and_writes_nothing(api):
    ok(api.post("/cases", OPEN, "intake", **{"Idempotency-Key": "k"}), 201)
    before = api.events()
    other = {**OPEN, "channel": "online"}
    error = assert_error(api.post("/cases", other, "intake", **{"Idempotency-Key": "k"}), 422)
    assert error["code"] == "idempotency_key_reused"
    assert api.events() == before


def test_different_users_use_the_same_key_independently(api):
    mine = ok(api.post("/cases", OPEN, "intake", **{"Idempotency-Key": "shared"}), 201)
    theirs = api.post("/cases", OPEN, "intake2", **{"Idempotency-Key": "shared"})
    assert ok(theirs, 201)["id"] != mine["id"] and "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["owner"] == "intake2"


def test_an_oversize_idempotency_key_is_400(api):
    before = api.events()
    assert_error(api.post("/cases", OPEN, "intake", **{"Idempotency-Key": "k" * 129}), 400)
    assert api.events() == before
