"""Schemathesis over the OpenAPI document, as every identity: no request makes the API fail with a 5xx, and
every answer is one the document lists, in its error model.

Schemathesis' own pytest loader does not work with pytest 9, so its Hypothesis strategies are used
directly: valid (positive) and invalid (negative) requests for every operation, as each user of the
fixture and as nobody, bounded in number and derandomized (the same requests on every run). A second test
sends hand-made hostile bodies to every operation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.web.api.test_access import _routed_petition
from tests.web.conftest import PASSWORD, USERS

MAX_EXAMPLES = 6
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
IDENTITIES = [*USERS, None]  # every user of the fixture (each role; reviewers of three departments) and nobody
REVOKE = ("POST", "/api/v1/auth/revoke")


def operations(api):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.client.application)
    return [result.ok() for result in schema.get_all_operations()]


def real_values(api) -> dict[str, Any]:
    """Values of path parameters that exist, so that generated requests often reach deeper code."""
    return {"case_id": api.open_case()["id"], "number": _routed_petition(api), "item": "business-licence",
            "department": "amr", "code": "restaurant-opening", "username": "psb"}


def use_real_values(case, values: dict[str, Any]) -> None:
    for name, value in (case.path_parameters or {}).items():
        if name in values and str(value)[:1] in "0123":  # about a third of them: the rest stay as generated
            case.path_parameters[name] = 1 if name == "number" and "escalations" in case.path else values[name]


def fresh_token(api, who: str) -> str:
    response = api.client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})
    return response.get_json()["token"]


def check_answer(operation, response, label: str) -> None:
    """No server error; a status the document lists for the operation; an error in the error model."""
    assert response.status_code < 500, f"{label}: {response.text[:500]}"
    documented = set(operation.definition.raw["responses"])
    assert str(response.status_code) in documented, f"{label}: {response.status_code} is not documented"
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(response.json()) == {"error"} and error["code"] and error["message"], label


def fuzz(operation, mode, headers: dict[str, str], values: dict[str, Any], who: str) -> None:
    """Send MAX_EXAMPLES generated requests to ``operation`` and check each answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def answers_honestly(case):
        use_real_values(case, values)
        check_answer(operation, case.call(headers=headers), f"{who} {case.method} {case.formatted_path}")

    answers_honestly()


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("who", IDENTITIES, ids=[*USERS, "anonymous"])
def test_no_generated_request_gets_a_server_error_or_an_undocumented_answer(api, who, mode):
    values = real_values(api)
    checked = []
    for operation in operations(api):
        token = api.tokens[who] if who else None
        if who and (operation.method.upper(), operation.path) == REVOKE:
            token = fresh_token(api, who)  # revoking the token the other operations use would sign them out
        try:
            fuzz(operation, mode, {"Authorization": f"Bearer {token}"} if token else {}, values, str(who))
            checked.append(operation.label)
        except Unsatisfiable:  # nothing in this operation can be made invalid (e.g. GET /auth/me)
            assert mode == GenerationMode.NEGATIVE, operation.label
    assert len(checked) >= (40 if mode == GenerationMode.POSITIVE else 20)


# Hand-made hostile bodies, to every operation ---------------------------------------------------------------
HOSTILE_BODIES: dict[str, tuple[bytes, str]] = {  # name: (body, content type)
    "nested 60,000 deep": (b"[" * 60_000, "application/json"),
    "nested objects": (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "application/json"),
    "5,000-digit number": (b'{"username": ' + b"9" * 5_000 + b', "reason": 1}', "application/json"),
    "NaN and Infinity": (b'{"reason": NaN, "score": Infinity, "level": -Infinity}', "application/json"),
    "huge exponent": (b'{"score": 1e999999, "level": 1e400}', "application/json"),
    "duplicate keys": (b'{"reason": "a", "reason": "b"}', "application/json"),
    "invalid UTF-8": (b'{"reason": "\xff\xfe\xc0"}', "application/json"),
    "null bytes": (b'{"reason": "a\\u0000b", "\\u0000": 1}', "application/json"),
    "raw null bytes": (b"\x00" * 1_000, "application/json"),
    "lone surrogate": (b'{"reason": "\\ud800"}', "application/json"),
    "huge string": (json.dumps({"reason": "泉" * 10_000, "username": "x" * 20_000}).encode(), "application/json"),
    "over 64 KiB": (json.dumps({"reason": "x" * 70_000}).encode(), "application/json"),
    "wrong types": (json.dumps({"reason": [1, {"a": None}], "score": "5", "level": True, "missing": {}}).encode(),
                    "application/json"),
    "array body": (b"[1, 2, 3]", "application/json"),
    "plain text": (b"reason=hello", "text/plain"),
    "form": (b"reason=hello&score=5", "application/x-www-form-urlencoded"),
    "multipart": (b"--x\r\nContent-Disposition: form-data; name=\"reason\"\r\n\r\nhi\r\n--x--\r\n",
                  "multipart/form-data; boundary=x"),
    "xml": (b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY b 'c'>]><a>&b;</a>", "application/xml"),
    "json with a wrong charset": (b'{"reason": "\xe6\xb3\x89"}', "application/json; charset=latin-1"),
}


@pytest.mark.parametrize("who", ["intake", "supervisor", "admin", None], ids=["intake", "supervisor", "admin",
                                                                               "anonymous"])
def test_hostile_bodies_to_every_operation_get_no_server_error(api, who):
    values = real_values(api)
    sent = 0
    for operation in operations(api):
        if (operation.method.upper(), operation.path) == REVOKE:
            continue
        path = operation.path.format(**{name: 1 if name == "number" and "escalations" in operation.path
                                        else values.get(name, "x") for name in _names(operation.path)})
        for name, (body, content_type) in HOSTILE_BODIES.items():
            response = api.client.open(path, method=operation.method.upper(), data=body, content_type=content_type,
                                       headers=api.headers(who))
            label = f"{who} {operation.method.upper()} {path} with {name}"
            assert response.status_code < 500, f"{label}: {response.get_data(as_text=True)[:300]}"
            documented = set(operation.definition.raw["responses"])
            assert str(response.status_code) in documented, f"{label}: {response.status_code} is not documented"
            if response.status_code >= 400:
                assert response.get_json()["error"]["message"], label
            sent += 1
    assert sent >= 40 * len(HOSTILE_BODIES)


def _names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]
