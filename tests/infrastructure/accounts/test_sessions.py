"""The sign-in tables on SQLite and PostgreSQL: sessions by hashed id, failure counts that no race loses."""

from __future__ import annotations

import threading

from application.users.sign_in import account_key
from tests.conftest import make_services


def test_a_session_is_found_by_its_id_only_and_ends_for_everyone_at_once(database_url):
    store = make_services(database_url).sessions
    first, second = store.start("li", 100.0), store.start("li", 101.0)
    other = store.start("wang", 102.0)
    assert store.find(first).username == "li" and store.find(first[:-1] + "x") is None
    assert all(first not in str(row) for row in store.rows())
    assert store.end_all("li") == 2
    assert store.find(first) is None and store.find(second) is None and store.find(other) is not None


def test_starting_a_session_forgets_rows_nobody_can_use(database_url):
    store = make_services(database_url).sessions
    old = store.start("li", 100.0)
    store.start("wang", 5000.0, forget_before=1000.0)
    assert store.find(old) is None and len(store.rows()) == 1


def test_concurrent_failures_are_all_counted(database_url):
    counter = make_services(database_url).sign_ins.counts
    key = account_key("li")

    def fail() -> None:
        for _ in range(5):
            counter.add_failure([key], 100.0, 900.0)

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.counts([key]) == {key: (20, 100.0)}


def test_a_failure_after_the_window_starts_a_new_one(database_url):
    counter = make_services(database_url).sign_ins.counts
    key = account_key("li")
    counter.add_failure([key], 100.0, 900.0)
    counter.add_failure([key], 500.0, 900.0)
    assert counter.counts([key]) == {key: (2, 100.0)}
    counter.add_failure([key], 1000.0, 900.0)
    assert counter.counts([key]) == {key: (1, 1000.0)}
    counter.clear(key)
    assert counter.counts([key]) == {}
