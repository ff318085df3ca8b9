"""The public certificate check answers what a verifier needs and nothing that opens a case; it and the
progress lookup are rate-limited per client address.

A case's progress opens for its case number together with the applicant's credit code. The check used to
return exactly those two values to anyone holding a certificate number, without any limit.
"""

from __future__ import annotations

import pytest

from tests.application.helpers import complete_restaurant, open_restaurant
from tests.conftest import VALID_CODE
from tests.web.ui.conftest import make_ui
from web import create_app
from web.api.limits import limiter
from web.public_limits import CERTIFICATE_CHECK_LIMIT, PROGRESS_LOOKUP_LIMIT

MASKED = "9111**********341L"
PER_MINUTE = int(CERTIFICATE_CHECK_LIMIT.split()[0])


@pytest.fixture
def released(services):
    """A completed case (its certificates released), its number and its certificates' numbers."""
    case_id = open_restaurant(services)
    complete_restaurant(services, case_id)
    services.runner.catch_up()
    case = services.cases.load(case_id)
    numbers = [c["number"] for state in case.items.values() for c in state.certificates]
    assert numbers
    return case.number, numbers


@pytest.fixture
def limited(services):
    """A client of an app with rate limits on (tests elsewhere turn them off), counters at zero."""
    app = create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": True})
    limiter.reset()
    yield app.test_client()
    limiter.reset()


def test_the_api_check_names_no_case_number_and_the_full_credit_code_only_in_the_signed_metadata(services, released,
                                                                                                  limited):
    """shared/API.md (December) adds the e-licence's GB/T 36903 metadata, which signs the holder's credit code as the
    printed licence shows it; the check's own answer keeps it masked and names no case number."""
    case_number, numbers = released
    for number in numbers:
        response = limited.get(f"/api/v1/certificates/{number}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["genuine"] is True and body["status"] == "valid" and body["number"] == number
        assert body["type"] and body["name"] and body["issued_on"]
        assert body["holder"] == {"name": "泉城小馆餐饮有限公司", "credit_code_masked": MASKED}
        assert "case" not in body and body["metadata"]["holder_code"] == VALID_CODE
        text = response.get_data(as_text=True)
        assert text.count(VALID_CODE) == 1 and case_number not in text.replace(number, "")


def test_the_check_page_names_the_holder_but_not_the_case_number_nor_the_full_credit_code(services, released):
    case_number, numbers = released
    ui = make_ui(services)
    limiter.reset()
    page = ui.page(f"/verify/{numbers[0]}")
    assert "泉城小馆餐饮有限公司" in page and MASKED in page and "该证照真实有效" in page
    assert VALID_CODE not in page and case_number not in page.replace(numbers[0], "")
    assert "办件编号" not in page  # no "case number" line either
    limiter.reset()


def test_the_openapi_document_promises_no_case_number_in_a_certificate_check(limited):
    spec = limited.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/certificates/{number}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][name]["properties"]
    assert "case" not in properties and {"genuine", "holder", "type", "issued_on", "status"} <= set(properties)
    assert "429" in operation["responses"]


def test_certificate_checks_are_limited_per_address_across_the_api_and_the_page(services, released, limited):
    _, numbers = released
    answers = []
    for n in range(PER_MINUTE):  # guesses count too: half real numbers, half made up
        path = f"/api/v1/certificates/{numbers[0]}" if n % 2 else f"/verify/{numbers[0]}-{n}"
        answers.append(limited.get(path).status_code)
    assert set(answers) <= {200, 404} and answers.count(200) == PER_MINUTE // 2
    refused = limited.get(f"/api/v1/certificates/{numbers[0]}")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
    page = limited.get(f"/verify?number={numbers[0]}", headers={"Accept": "text/html"})
    assert page.status_code == 429 and "尝试次数过多" in page.get_data(as_text=True)
    other = limited.get(f"/api/v1/certificates/{numbers[0]}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # another address keeps its own allowance
    assert limited.get("/verify").status_code == 200  # the empty form checks nothing


def test_progress_lookups_are_limited_per_hour_as_well_as_per_minute(services, released):
    from freezegun import freeze_time

    case_number, _ = released
    per_minute, per_hour = (int(part.split()[0]) for part in PROGRESS_LOOKUP_LIMIT.split(";"))
    ui = make_ui(services)
    limiter.reset()
    # Frozen after any real run: the limiter's memory storage expires counters on a timer thread, which
    # freezegun leaves on real time; a frozen past would see every counter expire at once. The form's
    # token is taken inside, as a token from the future is refused.
    with freeze_time("2099-01-05 09:00:00") as clock:
        form = {"number": case_number, "credit_code": VALID_CODE, "csrf_token": ui.csrf_token("/progress")}
        answers = []
        while len(answers) < per_hour:
            answers += [ui.client.post("/progress", data=form).status_code for _ in range(per_minute)]
            assert ui.client.post("/progress", data=form).status_code == 429  # past the minute's allowance
            clock.tick(61)
        assert set(answers) == {200}
        refused = ui.client.post("/progress", data=form)  # a new minute, but the hour is used up
        assert refused.status_code == 429 and "尝试次数过多" in refused.get_data(as_text=True)
    limiter.reset()
