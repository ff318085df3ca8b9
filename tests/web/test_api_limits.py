"""Signing in is limited per client address and per account, in every process; answers follow the error model."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN, make_services
from tests.web.ui.conftest import make_ui
from web import create_app
from web.api.limits import SIGN_IN_LIMIT, limiter


def test_the_eleventh_sign_in_in_a_minute_is_refused(services):
    app = create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": True})
    limiter.reset()
    client = app.test_client()
    limit = int(SIGN_IN_LIMIT.split()[0])
    answers = [client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code
               for _ in range(limit + 1)]
    assert answers[:limit] == [401] * limit
    assert answers[-1] == 429
    body = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).get_json()
    assert body["error"]["code"] == "too_many_requests"
    limiter.reset()


# The database's limit: per account and per address, shared by the UI and the API and every process ---------
def limited_app(services, **config):
    """An app whose only sign-in limit is the database's (Flask-Limiter's per-process one is off)."""
    return create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": False,
                       "SIGN_IN_LIMITS_ENABLED": True, **config})


def attempt(client, username, password, address="192.0.2.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def users(services):
    services.users.add_user(ADMIN, "li", GOOD, "intake")
    services.users.add_user(ADMIN, "wang", GOOD, "intake")
    return services


GOOD = "correct horse 9"


def test_failures_for_one_account_from_many_addresses_are_refused_with_retry_after(users):
    client = limited_app(users).test_client()
    limit = users.sign_ins.account_limit
    for n in range(limit):
        assert attempt(client, "li", "wrong password", f"192.0.2.{n + 1}").status_code == 401
    response = attempt(client, "li", GOOD, "198.51.100.7")  # right password, fresh address: still refused
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(response.headers["Retry-After"]) <= users.sign_ins.window.total_seconds()
    assert attempt(client, "wang", GOOD, "198.51.100.7").status_code == 200  # other accounts are not locked


def test_the_account_counts_in_its_canonical_form(users):
    client = limited_app(users).test_client()
    for n in range(users.sign_ins.account_limit):
        attempt(client, ["LI", "Li", "ｌｉ", "li"][n % 4], "wrong password", f"192.0.2.{n + 1}")
    assert attempt(client, "li", GOOD).status_code == 429


def test_failures_from_one_address_over_many_accounts_are_refused(users):
    client = limited_app(users).test_client()
    for n in range(users.sign_ins.address_limit):
        assert attempt(client, f"guess{n}", "wrong password").status_code == 401
    assert attempt(client, "wang", GOOD).status_code == 429
    assert attempt(client, "wang", GOOD, "198.51.100.7").status_code == 200


def test_a_success_resets_the_accounts_count(users):
    client = limited_app(users).test_client()
    limit = users.sign_ins.account_limit
    for n in range(limit - 1):
        attempt(client, "li", "wrong password", f"192.0.2.{n + 1}")
    assert attempt(client, "li", GOOD).status_code == 200
    for n in range(limit - 1):
        assert attempt(client, "li", "wrong password", f"192.0.2.{n + 1}").status_code == 401
    assert attempt(client, "li", GOOD).status_code == 200


def test_the_ui_and_the_api_of_two_processes_share_one_count(users, sqlite_url):
    first = limited_app(users).test_client()
    second = make_ui(make_services(sqlite_url), RATELIMIT_ENABLED=False, SIGN_IN_LIMITS_ENABLED=True)
    limit = users.sign_ins.account_limit
    for n in range(limit - 1):
        assert attempt(first, "li", "wrong password", f"192.0.2.{n + 1}").status_code == 401
    second.client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert second.login("li", "wrong password").status_code == 422  # the last failure allowed, in the other UI
    assert attempt(first, "li", GOOD, "203.0.113.10").status_code == 429
    second.client.environ_base["REMOTE_ADDR"] = "203.0.113.11"
    assert second.login("li", GOOD).status_code == 429


def test_the_database_limit_has_its_own_switch(users):
    client = limited_app(users, SIGN_IN_LIMITS_ENABLED=False).test_client()
    for _ in range(users.sign_ins.account_limit + 1):
        assert attempt(client, "li", "wrong password").status_code == 401
    assert attempt(client, "li", GOOD).status_code == 200
