"""Audit pages given dates and instants at the edges of the calendar: form errors, never a 500."""

from __future__ import annotations

import pytest

from tests.web.ui.conftest import make_ui
from tests.web.ui.test_foundation import TRACEBACK
from tests.web.ui.test_queue import open_case


@pytest.fixture
def prod_ui(ui_users):
    """The UI as in production: an exception is answered with the 500 page, not raised into the test."""
    return make_ui(ui_users, TESTING=False)


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31"])
def test_a_date_at_the_edge_of_the_calendar_is_a_form_error_of_the_audit_log_not_a_500(prod_ui, query):
    prod_ui.login_as("auditor")
    response = prod_ui.client.get(f"/audit/log?{query}")
    assert response.status_code == 422
    assert not TRACEBACK.search(response.get_data(as_text=True))


def test_an_instant_at_the_edge_of_the_calendar_is_a_form_error_of_the_replay_not_a_500(prod_ui):
    case_id = open_case(prod_ui.services)
    prod_ui.services.runner.catch_up()
    prod_ui.login_as("auditor")
    response = prod_ui.client.get(f"/audit/cases/{case_id}/replay?as_of=0001-01-01")
    assert response.status_code == 422
    assert not TRACEBACK.search(response.get_data(as_text=True))
