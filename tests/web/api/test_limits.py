"""Signing in is limited per client address and per account, in every process; answers follow the error model."""

from __future__ import annotations

import threading

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


def test_failures_from_many_addresses_do_not_lock_the_owner_out(users):
    client = limited_app(users).test_client()
    for n in range(users.sign_ins.pair_limit * 2):  # someone else guessing, from twenty addresses
        assert attempt(client, "li", "wrong password", f"192.0.2.{n + 1}").status_code == 401
    assert attempt(client, "li", GOOD, "198.51.100.7").status_code == 200


def test_failures_for_one_account_from_one_address_are_refused_there_with_retry_after(users):
    client = limited_app(users).test_client()
    for _ in range(users.sign_ins.pair_limit):
        assert attempt(client, "li", "wrong password").status_code == 401
    response = attempt(client, "li", GOOD)  # the right password, from the same address: refused
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert 0 < int(response.headers["Retry-After"]) <= users.sign_ins.window.total_seconds()
    assert attempt(client, "wang", GOOD).status_code == 200  # other accounts from there are not
    assert attempt(client, "li", GOOD, "198.51.100.7").status_code == 200  # nor this one from elsewhere


def test_an_ipv6_address_counts_by_its_network(users):
    client = limited_app(users).test_client()
    for n in range(users.sign_ins.pair_limit):
        assert attempt(client, "li", "wrong password", f"2001:db8:1:2::{n + 1:x}").status_code == 401
    assert attempt(client, "li", GOOD, "2001:db8:1:2::ffff").status_code == 429
    assert attempt(client, "li", GOOD, "2001:db8:1:3::1").status_code == 200


def test_over_the_account_ceiling_only_addresses_that_signed_in_before_are_heard(users):
    users.sign_ins.account_ceiling = 4  # 100 in production; fewer Argon2 runs here
    client = limited_app(users).test_client()
    assert attempt(client, "li", GOOD, "198.51.100.7").status_code == 200  # the owner's usual address
    for n in range(4):
        assert attempt(client, "li", "wrong password", f"192.0.2.{n + 1}").status_code == 401
    response = attempt(client, "li", GOOD, "203.0.113.5")  # a new address: refused, even the right password
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert attempt(client, "li", "wrong password", "203.0.113.6").status_code == 429  # no more guesses heard
    assert attempt(client, "li", GOOD, "198.51.100.7").status_code == 200


def test_the_account_counts_in_its_canonical_form(users):
    client = limited_app(users).test_client()
    for n in range(users.sign_ins.pair_limit):
        attempt(client, ["LI", "Li", "ｌｉ", "li"][n % 4], "wrong password")
    assert attempt(client, "li", GOOD).status_code == 429


def test_failures_from_one_address_over_many_accounts_are_refused(users):
    client = limited_app(users).test_client()
    for n in range(users.sign_ins.address_limit):
        assert attempt(client, f"guess{n}", "wrong password").status_code == 401
    assert attempt(client, "wang", GOOD).status_code == 429
    assert attempt(client, "wang", GOOD, "198.51.100.7").status_code == 200


def test_a_success_resets_the_count_of_the_account_from_that_address(users):
    client = limited_app(users).test_client()
    limit = users.sign_ins.pair_limit
    for _ in range(limit - 1):
        attempt(client, "li", "wrong password")
    assert attempt(client, "li", GOOD).status_code == 200
    for _ in range(limit - 1):
        assert attempt(client, "li", "wrong password").status_code == 401
    assert attempt(client, "li", GOOD).status_code == 200


def test_simultaneous_wrong_guesses_are_all_counted(users):
    app = limited_app(users)
    guesses = 4 * users.sign_ins.pair_limit
    barrier, answers = threading.Barrier(guesses), []

    def guess() -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(attempt(client, "li", "wrong password").status_code)

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [401] * users.sign_ins.pair_limit + [429] * (guesses - users.sign_ins.pair_limit)
    assert attempt(client=app.test_client(), username="li", password=GOOD).status_code == 429


def test_the_ui_and_the_api_of_two_processes_share_one_count(users, sqlite_url):
    first = limited_app(users).test_client()
    second = make_ui(make_services(sqlite_url), RATELIMIT_ENABLED=False, SIGN_IN_LIMITS_ENABLED=True)
    limit = users.sign_ins.pair_limit
    for _ in range(limit - 1):
        assert attempt(first, "li", "wrong password", "203.0.113.9").status_code == 401
    second.client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert second.login("li", "wrong password").status_code == 422  # the last failure allowed, in the other UI
    assert attempt(first, "li", GOOD, "203.0.113.9").status_code == 429
    assert second.login("li", GOOD).status_code == 429


def test_the_database_limit_has_its_own_switch(users):
    client = limited_app(users, SIGN_IN_LIMITS_ENABLED=False).test_client()
    for _ in range(users.sign_ins.pair_limit + 1):
        assert attempt(client, "li", "wrong password").status_code == 401
    assert attempt(client, "li", GOOD).status_code == 200


# The current password on the change-password route counts like a sign-in ------------------------
def change_password(client, token, current, address="192.0.2.1"):
    return client.post("/api/v1/auth/password", json={"current_password": current, "new_password": "a-new-one-77"},
                       headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": address})


def test_guessing_the_current_password_is_limited_like_signing_in(users):
    client = limited_app(users).test_client()
    token = attempt(client, "li", GOOD).get_json()["token"]
    for _ in range(users.sign_ins.pair_limit):
        assert change_password(client, token, "wrong password").status_code == 422
    response = change_password(client, token, GOOD)  # the right one, too late
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert attempt(client, "li", GOOD).status_code == 429  # the same count as signing in
    assert users.users.authenticate("li", GOOD) is not None  # nothing changed
