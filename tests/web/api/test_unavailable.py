"""While the database cannot be reached or stays locked, every interface answers 503 with ``Retry-After``
(the JSON error model for the API, a "busy, try again" page for the UI) — never a 500 with a stack trace."""

from __future__ import annotations

import pytest
import sqlalchemy.exc as sa_errors
from eventsourcing import persistence as es_errors

from application.common.errors import Busy
from tests.web.conftest import Api

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
OUTAGES = {
    "refused": sa_errors.OperationalError("SELECT 1", {}, Exception("connection refused")),
    "dropped": es_errors.OperationalError("server closed the connection unexpectedly"),
    "closed": es_errors.InterfaceError("the connection is closed"),
    "pool_disconnected": sa_errors.DisconnectionError("connection invalidated"),
    "pool_exhausted": sa_errors.TimeoutError("QueuePool limit reached, connection timed out"),
    "locked": sa_errors.OperationalError("INSERT", {}, Exception("database is locked")),
}


def _fail_with(error: Exception):
    def fails(*_args, **_kwargs):
        raise error

    return fails


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("outage", OUTAGES)
def test_a_write_during_a_database_outage_answers_503_with_retry_after(api: Api, monkeypatch, outage):
    monkeypatch.setattr(api.services.cases.intake, "open_case", _fail_with(OUTAGES[outage]))
    response = api.post("/cases", {"bundle": "restaurant-opening", "channel": "window",
                                   "applicant": {"name": "泉城小馆", "credit_code": "91110000600037341L"}},
                        "intake", **{"Idempotency-Key": f"outage-{outage}"})
    _assert_unavailable(response)
    error = response.get_json()["error"]
    assert error["code"] == ("busy" if outage == "locked" else "unavailable") and "try again" in error["message"]
    assert "SELECT" not in error["message"] and "INSERT" not in error["message"]  # no SQL leaks out


@pytest.mark.parametrize("outage", ["refused", "dropped"])
def test_a_read_during_a_database_outage_answers_503(api: Api, monkeypatch, outage):
    case = api.open_case()
    monkeypatch.setattr(api.services.cases.reads, "get_case", _fail_with(OUTAGES[outage]))
    _assert_unavailable(api.get(f"/cases/{case['id']}", "intake"))


def test_the_health_check_answers_503_while_the_event_store_is_unreachable(api: Api, monkeypatch):
    monkeypatch.setattr(api.services.cases.recorder, "max_notification_id", _fail_with(OUTAGES["dropped"]))
    response = api.client.get("/healthz", headers={"Accept": "application/json"})
    _assert_unavailable(response)
    assert response.get_json()["error"]["code"] == "unavailable"


def test_busy_answers_503_with_retry_after(api: Api, monkeypatch):
    busy = Busy("opening a case: the database stayed busy")
    monkeypatch.setattr(api.services.cases.intake, "open_case", _fail_with(busy))
    response = api.post("/cases", {"bundle": "restaurant-opening", "channel": "window",
                                   "applicant": {"name": "泉城小馆", "credit_code": "91110000600037341L"}}, "intake")
    _assert_unavailable(response)
    assert response.get_json()["error"]["code"] == "busy"


def test_a_missing_table_is_a_server_error_not_an_outage(api: Api, monkeypatch):
    missing = sa_errors.OperationalError("SELECT", {}, Exception("no such table: rm_cases"))
    monkeypatch.setattr(api.services.cases.reads, "get_case", _fail_with(missing))
    case = api.open_case()
    with pytest.raises(sa_errors.OperationalError):  # TESTING propagates what would be a logged 500
        api.get(f"/cases/{case['id']}", "intake")


@pytest.mark.parametrize("outage", ["refused", "locked"])
def test_a_page_during_a_database_outage_shows_the_busy_page_with_503(api: Api, monkeypatch, outage):
    monkeypatch.setattr(api.services.queries, "certificate", _fail_with(OUTAGES[outage]))
    response = api.client.get("/verify/X-1-1", headers={"Accept": BROWSER_ACCEPT})
    _assert_unavailable(response)
    page = response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "系统繁忙" in page and "请稍后再试" in page  # the UI speaks Chinese unless English was chosen
    assert "connection refused" not in page and "database is locked" not in page
