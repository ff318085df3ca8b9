"""Hostile requests to the UI: bodies nobody needs are refused before they are read, and a malformed
header, address or instant is a clean answer, never a 500."""

from __future__ import annotations

import io

import flask
import pytest

from tests.web.conftest import PASSWORD
from tests.web.ui.conftest import make_ui
from tests.web.ui.test_foundation import TRACEBACK
from tests.web.ui.test_queue import open_case
from web.ui.request_limits import FORM_MAX_BYTES, FORM_MAX_PARTS

MALFORMED_URL = "http://[::1"  # urlsplit raises ValueError: "Invalid IPv6 URL"


@pytest.fixture
def prod_ui(ui_users):
    """The UI as in production: an exception is answered with the 500 page, not raised into the test."""
    return make_ui(ui_users, TESTING=False)


@pytest.fixture
def app_for_table(ui_users):
    """The UI as in production (a 500 is an answer), rate limits off: many identities sign in."""
    return make_ui(ui_users, TESTING=False, RATELIMIT_ENABLED=False).app


@pytest.fixture
def form_reads(monkeypatch):
    """The paths whose body Flask parsed as a form during the test."""
    paths: list[str] = []
    original = flask.Request._load_form_data

    def spy(self):
        paths.append(self.path)
        return original(self)

    monkeypatch.setattr(flask.Request, "_load_form_data", spy)
    return paths


def multipart(size: int) -> dict:
    return {"credit_code": "x", "file-id-card": (io.BytesIO(b"x" * size), "scan.pdf")}


def signed_in_paths(ui) -> list[str]:
    case_id = open_case(ui.services)
    return ["/desk/check-code", "/desk/bundles/restaurant-opening/open",
            f"/cases/{case_id}/items/business-licence/accept", "/audit/verify",
            f"/supervision/cases/{case_id}/escalate", "/account/password"]


# Bodies refused before they are read ---------------------------------------------------------------
def test_an_anonymous_post_to_a_signed_in_page_goes_to_sign_in_without_its_body_being_read(ui, form_reads):
    for path in signed_in_paths(ui):
        response = ui.client.post(path, data=multipart(60 * 1024), content_type="multipart/form-data")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    assert form_reads == []


def test_an_anonymous_upload_to_the_desk_is_not_read_even_below_its_20_mib_limit(ui, form_reads):
    response = ui.client.post("/desk/bundles/restaurant-opening/open", data=multipart(2 * 1024 * 1024),
                              content_type="multipart/form-data")
    assert response.status_code == 302 and form_reads == []


def test_an_anonymous_htmx_post_is_told_to_load_the_sign_in_page_unread(ui, form_reads):
    response = ui.client.post("/desk/check-code", data={"credit_code": "x"}, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")
    assert form_reads == []


@pytest.mark.parametrize("path", ["/login", "/progress", "/lang/en", "/logout"])
def test_a_multipart_body_to_a_form_without_files_is_415_unread(ui, form_reads, path):
    response = ui.client.post(path, data=multipart(1024), content_type="multipart/form-data")
    assert response.status_code == 415 and not TRACEBACK.search(response.get_data(as_text=True))
    assert form_reads == []


def test_a_signed_in_multipart_body_to_a_form_without_files_is_415_unread(ui, form_reads):
    ui.login_as("reviewer")
    case_id = open_case(ui.services)
    form_reads.clear()
    response = ui.client.post(f"/cases/{case_id}/items/business-licence/accept", data=multipart(1024),
                              content_type="multipart/form-data")
    assert response.status_code == 415 and form_reads == []


@pytest.mark.parametrize("path", ["/login", "/progress"])
def test_a_public_form_larger_than_any_form_needs_is_413_unread(ui, form_reads, path):
    response = ui.client.post(path, data={"username": "x" * (FORM_MAX_BYTES + 1)})
    assert response.status_code == 413 and "过大" in response.get_data(as_text=True)
    assert form_reads == []


def test_an_upload_of_more_fields_than_any_form_has_is_413(ui):
    ui.login_as("intake")
    data = {f"field-{n}": "x" for n in range(FORM_MAX_PARTS + 1)}
    response = ui.post("/desk/bundles/restaurant-opening/open", data, content_type="multipart/form-data")
    assert response.status_code == 413


def test_a_streamed_form_without_a_length_stops_at_the_limit(ui):
    body = b"username=" + b"x" * (FORM_MAX_BYTES + 1)
    response = ui.client.post("/login", input_stream=io.BytesIO(body), content_type="application/x-www-form-urlencoded",
                              environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_a_post_to_no_page_is_404_unread(ui, form_reads):
    assert ui.client.post("/no-such-page", data={"a": "b"}).status_code == 404
    assert form_reads == []


def test_the_public_forms_still_work_for_visitors(ui):
    assert ui.login("amr").status_code == 302
    ui.logout()
    response = ui.post("/progress", {"number": "YJS20990101-XXXXXX", "credit_code": "91110000600037341L"})
    assert response.status_code in (200, 404, 422)  # judged on its fields, not refused for its shape


def test_the_desk_still_takes_a_scan_of_several_hundred_kib(ui):
    from tests.web.ui.test_desk import OPEN, form, opened_case

    ui.login_as("intake")
    data = {**form(), "file-id-card": (io.BytesIO(b"%PDF-1.4\n" + b"x" * (600 * 1024)), "id.pdf")}
    assert opened_case(ui, ui.post(OPEN, data, content_type="multipart/form-data"))


# Malformed addresses in headers and fields ------------------------------------------------------------
def test_a_malformed_referer_on_the_language_switch_is_ignored(prod_ui):
    response = prod_ui.client.get("/lang/en", headers={"Referer": MALFORMED_URL})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_malformed_hx_current_url_of_an_anonymous_htmx_request_is_ignored(prod_ui):
    response = prod_ui.client.get("/queue", headers={"HX-Request": "true", "HX-Current-URL": MALFORMED_URL})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login?next=/queue"


@pytest.mark.parametrize("referer", [MALFORMED_URL, "https://localhost:abc/", "https://localhost:99999/",
                                     "https://localhost:-1/"])
def test_a_malformed_referer_on_a_form_sent_over_https_is_a_csrf_refusal_not_a_500(prod_ui, referer):
    token = prod_ui.csrf_token("/login")  # over HTTPS, Flask-WTF also checks that the Referer is this site
    response = prod_ui.client.post("/login", data={"username": "amr", "password": PASSWORD, "csrf_token": token},
                                   base_url="https://localhost", headers={"Referer": referer})
    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", [MALFORMED_URL, "/x?y=[::1", "http://[", "//[::1]:99999/"])
def test_a_malformed_next_address_leads_home(prod_ui, target):
    response = prod_ui.login("amr", next=target)
    assert response.status_code == 302 and response.headers["Location"].startswith("/")
    assert not response.headers["Location"].startswith(("//", "/\\"))


# Instants at the edge of the calendar ---------------------------------------------------------------------
@pytest.mark.parametrize("as_of", ["9999-12-31T23:59", "9999-12-31", "9999-12-31T23:59:59+14:00",
                                   "9999-12-31T23:59:59-14:00", "0001-01-01T00:00+14:00", "1900-01-01"])
def test_an_instant_at_the_edge_of_the_calendar_is_a_field_error_of_the_replay(prod_ui, as_of):
    case_id = open_case(prod_ui.services)
    prod_ui.services.runner.catch_up()
    prod_ui.login_as("auditor")
    response = prod_ui.client.get(f"/audit/cases/{case_id}/replay", query_string={"as_of": as_of})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and not TRACEBACK.search(page), page[-2000:]


# Numbers no page can use, in every page's query and in the forms -----------------------------------------
HOSTILE_NUMBERS = ["²", "٣", "9" * 5000, "-1", "0x10"]  # isdigit() is true for the first three
QUERY_NAMES = ["page", "version", "from", "to", "as_of", "since", "until", "start", "per_page"]


def test_no_page_answers_a_hostile_number_in_its_query_with_a_500(app_for_table, ui_users):
    from tests.web.ui.test_page_access_table import TABLE, as_identity

    setup, failures, pages = as_identity(app_for_table, ui_users, None), [], 0
    for endpoint, methods in TABLE.items():
        if "GET" not in methods or endpoint == "static":
            continue
        allowed, prepare = methods["GET"]
        who = min(allowed - {None}) if allowed - {None} else None
        browser, path = as_identity(app_for_table, ui_users, who), prepare(setup)[0].split("?")[0]
        for name in QUERY_NAMES:
            for value in HOSTILE_NUMBERS:
                response = browser.client.get(path, query_string={name: value})
                shown = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""  # not a PDF
                if response.status_code >= 500 or TRACEBACK.search(shown):
                    failures.append((who, path, name, value[:12], response.status_code))
        pages += 1
    assert failures == [] and pages >= 25


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_a_hostile_version_or_level_in_a_form_is_no_500(prod_ui, value):
    from tests.web.ui.test_supervision import open_case as accepted_case

    case_id = accepted_case(prod_ui.services, "YJS-HOSTILE")
    prod_ui.login_as("supervisor")
    supervise = f"/supervision/cases/{case_id}"
    escalate, urge = f"{supervise}/escalate", f"{supervise}/items/business-licence/urge"
    for path, form in [(escalate, {"level": value, "reason": "x", "version": "5"}),
                       (urge, {"reason": "x", "version": value})]:
        response = prod_ui.post(path, form)
        assert response.status_code in (409, 422), (path, response.status_code)
    prod_ui.logout()
    prod_ui.login_as("reviewer")
    response = prod_ui.post(f"/cases/{case_id}/items/business-licence/approve", {"version": value})
    assert response.status_code in (409, 422), response.status_code
