"""The OpenAPI document tells the truth: every operation of the API is in it, with its security, and every
error answer it may give in the error model; a 405 names the methods that are allowed."""

from __future__ import annotations

import re

import pytest

from web.api import PREFIX, is_open_path

HIDDEN = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/assets/<path:name>"}  # the document itself
COMMON_ERRORS = {"400", "413", "422", "503"}
CONVERTER = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")
OPEN_OPERATIONS = {("post", "/api/v1/auth/token"), ("get", "/api/v1/certificates/{number}"),
                   ("post", "/api/v1/applicants/register")}


@pytest.fixture
def document(api):
    response = api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, operation


def api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX) and rule.rule not in HIDDEN]


def openapi_path(rule) -> str:
    return CONVERTER.sub(r"{\2}", rule.rule)


def concrete_path(rule) -> str:
    return CONVERTER.sub(lambda m: "1" if m.group(1) == "int" else "x", rule.rule)


def resolve(document, reference):
    while isinstance(reference, dict) and "$ref" in reference:
        kind, name = reference["$ref"].split("/")[-2:]
        reference = document["components"][kind][name]
    return reference


def test_every_route_of_the_api_is_an_operation_of_the_document(api, document):
    routes = {(method.lower(), openapi_path(rule)) for rule in api_rules(api.client.application)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, path) for method, path, _ in operations(document)}
    assert routes == documented


def test_each_operation_says_whether_it_needs_a_token(document):
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    for method, path, operation in operations(document):
        expected = [] if (method, path) in OPEN_OPERATIONS else [{"bearer": []}]
        assert operation.get("security") == expected, (method, path)
    assert {(m, p) for m, p, _ in operations(document) if is_open_path(p)} == OPEN_OPERATIONS
    assert not is_open_path(f"{PREFIX}/certificates/{{number}}/document")  # the holder's e-licence needs a token


def test_every_error_answer_is_documented_in_the_error_model(document):
    error_model = {"$ref": "#/components/schemas/ErrorOut"}
    assert "Error" not in document["components"]["schemas"]  # flask-smorest's own model is not what we send
    for method, path, operation in operations(document):
        responses = operation["responses"]
        expected = COMMON_ERRORS | (set() if (method, path) in OPEN_OPERATIONS else {"401"})
        assert expected <= set(responses), (method, path, expected - set(responses))
        for status, response in responses.items():
            if status == "default" or int(status) >= 400:
                content = resolve(document, response)["content"]["application/json"]
                assert content["schema"] == error_model, (method, path, status)


def test_the_error_model_requires_a_code_and_a_message(document):
    schemas = document["components"]["schemas"]
    assert schemas["ErrorOut"]["required"] == ["error"]
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message"}


def test_a_405_names_the_allowed_methods_in_the_error_model(api):
    checked = 0
    for rule in api_rules(api.client.application):
        wrong = "DELETE"
        response = api.client.open(concrete_path(rule), method=wrong, headers=api.headers("admin"))
        allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
        assert response.status_code == 405, rule.rule
        assert rule.methods <= allowed and wrong not in allowed, (rule.rule, allowed)
        assert response.get_json()["error"]["code"] == "method_not_allowed"
        checked += 1
    assert checked == len(api_rules(api.client.application)) >= 40
