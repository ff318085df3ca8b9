"""Hostile input to the JSON API: every refusal is a clean 4xx in the error model, never a 500.

The app runs as in production here (``TESTING=False``): an exception the code does not handle becomes a
500 answer, which these tests see as a status instead of as an exception raised into the test.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.web.api.test_errors import OPEN, assert_error, raw_post
from tests.web.api.test_petitions import submit

SEVEN_DEEP = '{"reason": [[[[[[["x"]]]]]]]}'


@pytest.fixture
def prod(api):
    """The API answering as in production: an unhandled exception is a 500 answer, not raised."""
    api.client.application.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    return api


def nested(depth: int, opening: str = "[", closing: str = "]") -> str:
    return opening * depth + "1" + closing * depth


# Deep nesting: one guard for every body, before anything parses it ------------------------------------
@pytest.mark.parametrize("body", [
    "[" * 60_000,  # unclosed: fits the 64 KiB body limit, and Python's parser recursed into a RecursionError
    nested(30_000),
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    '{"username": ' + nested(900) + ', "password": "x"}',  # parses, then the storable-text check recursed
])
@pytest.mark.parametrize("path", ["/auth/token", "/cases", "/petitions"])
def test_deeply_nested_json_is_a_400_before_anything_parses_it(prod, path, body):
    before = prod.events()
    who = None if path == "/auth/token" else "intake"
    error = assert_error(raw_post(prod, path, body, who), 400, "body")
    assert error["code"] == "malformed" and "nested" in error["message"]
    assert prod.events() == before


def test_nesting_as_deep_as_a_request_needs_is_judged_on_its_fields(prod):
    assert_error(raw_post(prod, "/cases", SEVEN_DEEP, "intake"), 422, "reason")


def test_brackets_inside_strings_do_not_count_as_nesting(prod):
    body = json.dumps({**OPEN, "reason": "[" * 5000 + "{" * 5000})
    assert_error(raw_post(prod, "/cases", body, "intake"), 422, "reason")  # too long, not too deep


# Numbers Python cannot or should not read ----------------------------------------------------------------
@pytest.mark.parametrize("number", ["9" * 5000, "-" + "9" * 4301, "1e999999", "-1e400", "NaN", "Infinity",
                                    "-Infinity"])
def test_a_number_no_field_can_hold_is_a_clean_refusal_even_without_signing_in(prod, number):
    response = raw_post(prod, "/auth/token", f'{{"username": {number}, "password": "x"}}', None)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert_error(response, response.status_code, "body" if response.status_code == 400 else "username")


def test_a_5000_digit_score_is_refused_and_writes_nothing(prod):
    case_id = prod.open_case()["id"]
    before = prod.events()
    response = raw_post(prod, f"/cases/{case_id}/rating", '{"score": ' + "5" * 5000 + "}", "intake")
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert prod.events() == before


# Ambiguous and malformed bodies ------------------------------------------------------------------------
def test_an_unclosed_string_of_escaped_quotes_is_refused_at_once_without_signing_in(prod):
    import time

    body = ('"' + '\\"' * 32_000).encode()  # 64 KiB: a pattern that restarts at every quote took 15 s of CPU
    started = time.perf_counter()
    response = prod.client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400 and time.perf_counter() - started < 1.0


def test_a_duplicate_key_is_refused_not_silently_read_as_its_last_value(prod):
    before = prod.events()
    body = '{"bundle": "restaurant-opening", "channel": "window", "channel": "online", "applicant": ' \
           + json.dumps(OPEN["applicant"]) + "}"
    error = assert_error(raw_post(prod, "/cases", body, "intake"), 400, "body")
    assert "channel" in error["message"]
    assert prod.events() == before


@pytest.mark.parametrize("data", [b'{"username": "a\xff", "password": "x"}', b"\xef\xbb\xbf{}",
                                  b'{"username": "a\x00", "password": "x"}', b'{"username": "a\\u0000"}',
                                  b'{"username": "\\ud800", "password": "x"}', b"\x00" * 100, b""])
def test_invalid_utf8_null_bytes_and_lone_surrogates_are_clean_refusals(prod, data):
    response = raw_post(prod, "/auth/token", data, None)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert_error(response, response.status_code)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml", "", "text/json"])
def test_a_body_of_the_wrong_content_type_is_a_clean_refusal(prod, content_type):
    before = prod.events()
    response = raw_post(prod, "/cases", json.dumps(OPEN).encode(), "intake", content_type=content_type)
    assert response.status_code in (400, 415, 422), response.get_data(as_text=True)
    assert_error(response, response.status_code)
    assert prod.events() == before


def test_huge_strings_in_every_field_are_refused_and_write_nothing(prod):
    before = prod.events()
    huge = "x" * 6_000  # over every field's limit, under the body's 64 KiB
    for path, body in [("/cases", {"bundle": huge, "channel": huge, "applicant": {"name": huge, "credit_code": huge}}),
                       ("/petitions", {"enterprise": {"name": huge}, "subject": huge, "text": huge, "channel": huge})]:
        assert_error(prod.post(path, body, "intake"), 422)
    assert prod.events() == before


def test_a_petition_still_opens_after_the_guard(prod):
    assert submit(prod)["number"]


# Instants at the edge of the calendar ----------------------------------------------------------------------
@pytest.mark.parametrize("as_of", ["9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00",
                                   "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+14:00",
                                   "0001-01-01T00:00:00-14:00"])
def test_an_instant_at_the_edge_of_the_calendar_is_a_422_naming_as_of(prod, as_of):
    case_id = prod.open_case()["id"]
    response = prod.get(f"/cases/{case_id}?as_of={quote(as_of)}", "auditor")
    assert_error(response, 422, "as_of")


def test_an_instant_in_the_far_future_within_the_range_still_reads_the_case_as_it_is(prod):
    case = prod.open_case()
    response = prod.get(f"/cases/{case['id']}?as_of={quote('2100-12-31T23:59:59+00:00')}", "auditor")
    assert response.status_code == 200 and response.get_json()["version"] == case["version"]
