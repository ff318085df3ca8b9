"""Read models are exactly-once: rebuilt equals incremental; crashes and races count nothing twice."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy.exc
from eventsourcing.persistence import IntegrityError, StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from infrastructure.readmodels.tables import VIEW_TABLES, tracking
from tests.application.helpers import SHA, complete_restaurant, open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, INTAKE, make_services
from tests.property_commands import OPERATIONS, START, apply, new_case, three_item_file

numbers = itertools.count(1)


def snapshot(services) -> dict[str, list[tuple]]:
    """Every read-model row, in a stable order."""
    result = {}
    with services.runner.engine.connect() as connection:
        for name, table in VIEW_TABLES.items():
            rows = connection.execute(select(table)).all()
            result[name] = sorted(tuple(str(v) for v in row) for row in rows)
    return result


def rebuilt(services, batch_size: int) -> dict[str, list[tuple]]:
    services.runner.batch_size = batch_size
    services.runner.reset()
    services.runner.catch_up()
    return snapshot(services)


HISTORIES = st.lists(st.tuples(st.integers(0, 2), OPERATIONS), min_size=10, max_size=60)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=HISTORIES, batch_size=st.integers(1, 40))
def test_read_models_rebuilt_from_scratch_equal_the_incremental_ones(database_url, history, batch_size):
    services = make_services(database_url)
    services.runner.reset()
    services.catalogue.publish_file(three_item_file(), ADMIN)
    cases = [new_case(number=f"R-{next(numbers)}") for _ in range(3)]
    services.cases.save(*cases)
    services.runner.catch_up()
    today = START
    for index, operation in history:
        today = apply(cases[index], operation, today)
        services.cases.save(cases[index])
        services.runner.catch_up()  # incremental: after every command
    incremental = snapshot(services)
    assert len(incremental["rm_audit_log"]) == services.runner.total_events()
    assert {c.number for c in cases} <= {row[1] for row in incremental["rm_cases"]}
    assert rebuilt(services, batch_size) == incremental


@pytest.fixture
def history(any_services):
    """Three cases with a few dozen events, not yet projected."""
    any_services.runner.reset()
    for _ in range(3):
        case_id = open_restaurant(any_services)
        complete_restaurant(any_services, case_id)
    return any_services


class Crash(Exception):
    pass


def test_a_runner_killed_before_commit_loses_and_doubles_nothing(history):
    expected = rebuilt(history, 1000)
    history.runner.reset()
    history.runner.batch_size = 7
    calls = itertools.count(1)

    def crash_on_third_batch():
        if next(calls) == 3:
            raise Crash("killed after the view write, before the commit")

    history.runner.before_commit = crash_on_third_batch
    with pytest.raises(Crash):
        history.runner.catch_up()
    partial = snapshot(history)
    assert 0 < len(partial["rm_audit_log"]) < len(expected["rm_audit_log"])

    restarted = make_services(history.settings.database_url)  # a new process
    restarted.runner.batch_size = 7
    restarted.runner.catch_up()
    assert snapshot(restarted) == expected


def test_the_audit_log_refuses_an_event_recorded_twice_even_if_tracking_were_lost(history):
    history.runner.catch_up()
    once = snapshot(history)
    with history.runner.engine.begin() as connection:  # a runner that lost its memory
        connection.execute(tracking.update().where(tracking.c.projection == "audit").values(position=0))
    with pytest.raises(sqlalchemy.exc.IntegrityError):  # the audit rows exist: the replay cannot commit
        history.runner.catch_up()
    assert snapshot(history) == once


def test_two_runners_racing_never_apply_a_batch_twice(history):
    first, second = history.runner, make_services(history.settings.database_url).runner
    original_move = first._move
    raced = []

    def second_runner_goes_first(connection, application, positions, last):
        if not raced:
            raced.append(second.catch_up())  # the other runner commits the same batch meanwhile
        return original_move(connection, application, positions, last)

    first._move = second_runner_goes_first
    report = first.catch_up()
    assert report.races >= 1 and raced[0].events > 0
    audit = snapshot(history)["rm_audit_log"]
    assert len(audit) == len(set(audit)) == sum(
        1 for _ in history.cases.recorder.select_notifications(start=None, limit=10_000)) + len(
        history.catalogue.recorder.select_notifications(start=None, limit=10_000))
    assert snapshot(history) == rebuilt(history, 1000)


def test_lag_counts_the_events_not_yet_processed(history):
    lags = {(lag.projection, lag.application): lag.behind for lag in history.runner.lag()}
    events = len(history.cases.recorder.select_notifications(start=None, limit=10_000))
    assert lags[("cases", "Cases")] == lags[("audit", "Cases")] == events
    history.runner.catch_up()
    assert all(lag.behind == 0 for lag in history.runner.lag())


@pytest.mark.postgres
def test_a_gap_in_postgres_notification_ids_is_not_waited_for(postgres_url):
    services = make_services(postgres_url)
    services.catalogue.publish_file(three_item_file(), ADMIN)
    case_id = open_restaurant(services)
    services.runner.catch_up()
    clash = StoredEvent(case_id, 1, "domain.case.aggregate:Case.Opened", b"{}")
    with pytest.raises(IntegrityError):  # loses its version check, burns a sequence value
        services.cases.recorder.insert_events([clash])
    saved = services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    ids = [n.id for n in services.cases.recorder.select_notifications(start=None, limit=10)]
    assert ids[-1] - ids[-2] == 2  # the gap
    services.runner.wait_until("Cases", saved.notification_id)
    assert services.queries.store.case_row(str(case_id))["materials"] == 1
    assert all(lag.behind == 0 for lag in services.runner.lag())


def test_read_models_follow_the_case_through_its_life(services):
    services.runner.reset()
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    saved = services.cases.review.accept_item(AMR, case_id, "business-licence")
    services.runner.wait_until("Cases", saved.notification_id)
    row = services.queries.store.case_row(str(case_id))
    assert (row["status"], row["materials"], row["version"]) == ("open", 2, 4)
    # the licence accepted, the permit's due date projected
    assert row["due"] == services.cases.reads.case_due(services.cases.load(case_id))
