"""Schemathesis over the OpenAPI document: no generated request makes the API fail with a 5xx.

Schemathesis' own pytest loader does not work with pytest 9, so its Hypothesis strategies are used
directly: valid (positive) and invalid (negative) requests for every operation, bounded in number.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

MAX_EXAMPLES = 8
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def operations(api):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.client.application)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("who", ["supervisor", "intake", "amr"])
def test_no_generated_request_gets_a_server_error(api, who, mode):
    opened = api.open_case()
    checked = []
    for operation in operations(api):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def no_server_error(case):
            if (case.path_parameters or {}).get("case_id", "x")[:1] in "0123":
                case.path_parameters["case_id"] = opened["id"]  # often a real case: deeper code runs
            response = case.call(headers={"Authorization": f"Bearer {api.tokens[who]}"})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            if response.status_code >= 400:
                assert set(response.json()) == {"error"} and response.json()["error"]["message"]

        try:
            no_server_error()
            checked.append(operation.label)
        except Unsatisfiable:  # nothing in this operation can be made invalid (e.g. GET /auth/me)
            assert mode == GenerationMode.NEGATIVE, operation.label
    assert len(checked) >= (20 if mode == GenerationMode.POSITIVE else 12)
