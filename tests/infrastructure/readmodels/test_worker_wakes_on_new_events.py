"""The projection worker shows a write at once on PostgreSQL (LISTEN/NOTIFY), and polls where it cannot listen."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from infrastructure.readmodels import wakeup
from tests.application.helpers import open_restaurant
from tests.conftest import ADMIN, AMR, make_services, restaurant_file
from web.services import Services

LONG_POLL = 30.0  # seconds: a write seen well before this was seen because the worker woke


@pytest.fixture
def pg_services(postgres_url: str) -> Services:
    services = make_services(postgres_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    return services


@contextmanager
def worker(services: Services, interval: float, **kwargs: bool) -> Iterator[list[float]]:
    """Run the projection worker in a thread; yield the times of its catch-ups; stop it (promptly) after."""
    rounds: list[float] = []
    catch_up = services.runner.catch_up

    def counted_catch_up():
        rounds.append(time.monotonic())
        return catch_up()

    services.runner.catch_up = counted_catch_up
    stop = threading.Event()
    thread = threading.Thread(target=services.runner.run_forever, args=(stop, interval), kwargs=kwargs, daemon=True)
    thread.start()
    try:
        yield rounds
    finally:
        stopped = time.monotonic()
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive() and time.monotonic() - stopped < 2, "the worker did not stop promptly"


def seconds_until_queued(services: Services, timeout: float) -> float:
    """Open a case and return how long its first item takes to show in the department's queue."""
    before = services.queue_queries.department_queue(AMR, "amr")["page"].total
    case_id = open_restaurant(services)
    written = time.monotonic()
    while time.monotonic() - written < timeout:
        rows = services.queue_queries.department_queue(AMR, "amr")["page"].rows
        if any(row["case_id"] == str(case_id) for row in rows):
            return time.monotonic() - written
        time.sleep(0.005)
    raise AssertionError(f"the case was not in the queue after {timeout} s ({before} items before)")


def listening_pids(services: Services) -> set[int]:
    """The server processes of listeners that are listening on this database."""
    with services.runner.engine.connect() as connection:
        return set(connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name "
            "AND state = 'idle' AND query LIKE 'LISTEN%'"), {"name": wakeup.APPLICATION_NAME}).scalars())


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return result


@pytest.mark.postgres
def test_on_postgres_a_write_shows_in_the_queue_at_once_not_at_the_next_poll(pg_services):
    with worker(pg_services, LONG_POLL) as rounds:
        wait_for(lambda: listening_pids(pg_services))
        assert seconds_until_queued(pg_services, timeout=LONG_POLL) < 2.0
        idle_from = len(rounds)
        time.sleep(1.0)
        assert len(rounds) - idle_from <= 1, "an idle worker that listens must not keep reading"


@pytest.mark.postgres
def test_the_worker_listens_again_after_losing_its_connection(pg_services):
    with worker(pg_services, LONG_POLL):
        (first,) = wait_for(lambda: listening_pids(pg_services))
        with pg_services.runner.engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        wait_for(lambda: listening_pids(pg_services) - {first})  # a new connection listens
        assert seconds_until_queued(pg_services, timeout=LONG_POLL) < 2.0


@pytest.mark.postgres
def test_the_worker_polls_while_it_cannot_listen_and_does_not_spin(pg_services, monkeypatch):
    on = wakeup.EventsListener.on

    def deaf(engine, channels):  # a listener whose every connection fails (the database is not there)
        listener = on(engine, channels)
        listener.conninfo = engine.url.set(drivername="postgresql", database="onething_no_such_database") \
            .render_as_string(hide_password=False)
        return listener

    monkeypatch.setattr(wakeup.EventsListener, "on", deaf)
    interval = 0.3
    with worker(pg_services, interval) as rounds:
        assert seconds_until_queued(pg_services, timeout=5.0) < interval + 1.0
        idle_from = len(rounds)
        time.sleep(2.0)
        idle_rounds = len(rounds) - idle_from
        assert not listening_pids(pg_services)
    # it keeps polling (a round takes time, more on a loaded machine), and at most one round per interval
    # and one per failed attempt to listen (every RETRY_SECONDS): it does not spin
    assert 2 <= idle_rounds <= 2.0 / interval + 2.0 / wakeup.RETRY_SECONDS + 2


@pytest.mark.postgres
def test_a_worker_told_not_to_listen_only_polls(pg_services):
    with worker(pg_services, 1.0, listen=False) as rounds:
        assert seconds_until_queued(pg_services, timeout=5.0) < 2.0
        wait_for(lambda: len(rounds) >= 3)  # long after a listener would have connected
        assert not listening_pids(pg_services)


def test_on_sqlite_the_worker_polls(services):
    interval = 0.3
    with worker(services, interval) as rounds:
        assert seconds_until_queued(services, timeout=5.0) < interval + 1.0
        idle_from = len(rounds)
        time.sleep(1.5)
        assert 2 <= len(rounds) - idle_from <= 1.5 / interval + 2  # it keeps polling, and does not spin
