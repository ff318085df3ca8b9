"""The projection runner when runners race, a round fails, or text no database can store arrives."""

from __future__ import annotations

import threading

import pytest

from infrastructure.readmodels.runner import ReadModelRunner
from tests.application.helpers import open_restaurant
from tests.conftest import SUPERVISOR


def test_a_runner_never_writes_back_rows_another_runner_changed_between_its_batches(any_services):
    services = any_services
    services.runner.catch_up()
    first = services.runner
    second = ReadModelRunner(first.engine, first.sources, first.projections)  # another process's runner
    case_id = open_restaurant(services)
    rounds = []

    def between_rounds(_count):
        rounds.append(1)
        if len(rounds) == 1:
            services.cases.supervision.escalate(SUPERVISOR, case_id, "first", 1)
            second.catch_up()  # the other runner applies the first escalation
            services.cases.supervision.escalate(SUPERVISOR, case_id, "second", 2)  # the first runner applies this one

    first.catch_up(progress=between_rounds)
    row = services.queries.store.case_row(str(case_id))
    case = services.cases.load(case_id)
    assert (row["version"], row["escalations"], row["open_escalations"]) == (case.version, 2, 2)


def test_read_your_writes_goes_round_again_when_another_runner_wins_the_race(services):
    services.runner.catch_up()
    other = ReadModelRunner(services.runner.engine, services.runner.sources, services.runner.projections)
    case_id = open_restaurant(services)
    original_move = services.runner._move
    raced = []

    def lose_once(connection, application, positions, last):
        if not raced:
            raced.append(other.catch_up())  # another runner takes the batch first
        return original_move(connection, application, positions, last)

    services.runner._move = lose_once
    saved = services.cases.supervision.escalate(SUPERVISOR, case_id, "mine", 1)
    board = services.queries.escalation_board(SUPERVISOR, "open", after=saved)
    assert [row["reason"] for row in board] == ["mine"]


def test_the_poller_survives_a_failed_round(services):
    open_restaurant(services)
    calls = []

    def fail_first_commit():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")

    services.runner.before_commit = fail_first_commit
    stop = threading.Event()
    worker = threading.Thread(target=services.runner.run_forever, args=(stop, 0.02), daemon=True)
    worker.start()
    for _ in range(200):
        if all(lag.behind == 0 for lag in services.runner.lag()):
            break
        stop.wait(0.02)
    stop.set()
    worker.join(timeout=5)
    assert len(calls) > 1 and all(lag.behind == 0 for lag in services.runner.lag())


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "\ud800"])
def test_text_no_database_can_store_never_reaches_an_event(services, text):
    from domain.shared.errors import InvalidValue

    case_id = open_restaurant(services)
    with pytest.raises(InvalidValue):
        services.cases.supervision.escalate(SUPERVISOR, case_id, text, 1)
    assert services.cases.load(case_id).version == 1
