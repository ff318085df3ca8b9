"""A long catch-up shares the read models out over several processes, and ends as one process would."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from application.projections.cases import CaseReadModel
from infrastructure.readmodels import runner as runner_module
from infrastructure.readmodels.runner import ReadModelRunner, WriteTurn
from infrastructure.readmodels.view_session import BufferedViewSession
from infrastructure.readmodels.tables import VIEW_TABLES
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import SUPERVISOR

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="helper processes are forked on Linux only")


REAL_MAY_FORK = runner_module.may_fork


@pytest.fixture(autouse=True)
def forking_allowed(monkeypatch):
    """Earlier tests may leave an idle daemon thread (a test server) behind; here forking is allowed anyway."""
    monkeypatch.setattr(runner_module, "may_fork", lambda: True)


def record_cases(services: Any) -> None:
    for n in range(3):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        if n == 0:
            complete_restaurant(services, case_id)
        else:
            services.cases.supervision.escalate(SUPERVISOR, case_id, f"slow {n}", 1)


def read_models(runner: ReadModelRunner) -> dict[str, list[tuple]]:
    """Every read-model row, sorted, and every tracking position."""
    with runner.engine.connect() as connection:
        tables = {name: sorted((tuple(map(repr, row)) for row in connection.execute(select(table))))
                  for name, table in VIEW_TABLES.items()}
    return {**tables, "tracking": sorted(runner._tracking().items())}


def rebuild(runner: ReadModelRunner, processes: int, **kwargs: Any) -> Any:
    runner.processes, runner.parallel_from = processes, 1  # every catch-up counts as long here
    runner.reset()
    assert len(runner._groups()) == processes
    return runner.catch_up(**kwargs)


def test_a_rebuild_in_several_processes_writes_the_same_rows_and_positions_as_one_process(any_services):
    record_cases(any_services)
    runner = any_services.runner
    alone = rebuild(runner, 1)
    expected = read_models(runner)

    shared = rebuild(runner, 3)

    assert read_models(runner) == expected
    assert (shared.events, shared.rows) == (alone.events, alone.rows)
    assert all(behind == 0 for behind in (lag.behind for lag in runner.lag()))


def test_a_rebuild_in_several_processes_fills_the_progress_bar(services):
    record_cases(services)
    runner = services.runner
    ticks: list[int] = []

    report = rebuild(runner, 2, progress=ticks.append)

    assert sum(ticks) == report.events == runner.total_events()


def test_read_models_of_a_helper_process_that_fails_are_caught_up_by_the_calling_process(services, caplog):
    record_cases(services)
    runner = services.runner
    rebuild(runner, 1)
    expected = read_models(runner)
    parent = os.getpid()
    cases = next(p for p in runner.projections if isinstance(p, CaseReadModel))
    audit = next(p for p in runner.projections if p.name == "audit")
    original = cases.process

    def fails_in_helpers(change: Any, view: Any) -> None:
        if os.getpid() != parent:
            raise RuntimeError("disk full")
        original(change, view)

    cases.process = fails_in_helpers  # type: ignore[method-assign]
    audit.weight = 100.0  # the heaviest read model is caught up by the calling process: the case list by a helper
    try:
        with caplog.at_level(logging.WARNING, logger="infrastructure.readmodels.runner"):
            rebuild(runner, 2)
    finally:
        del cases.process, audit.weight

    assert read_models(runner) == expected
    assert "failed in a helper process (RuntimeError: disk full)" in caplog.text


def test_a_projection_error_is_raised_from_the_calling_process_when_every_process_fails(services):
    record_cases(services)
    runner = services.runner
    cases = next(p for p in runner.projections if isinstance(p, CaseReadModel))

    def always_fails(change: Any, view: Any) -> None:
        raise RuntimeError("broken handler")

    cases.process = always_fails  # type: ignore[method-assign]
    try:
        with pytest.raises(RuntimeError, match="broken handler"):
            rebuild(runner, 2)
    finally:
        del cases.process
    runner.catch_up()  # the other read models kept their positions; this one starts again where it stopped
    assert all(lag.behind == 0 for lag in runner.lag())


def test_a_short_catch_up_stays_in_one_process(services):
    record_cases(services)
    runner = services.runner
    runner.processes, runner.parallel_from = 2, runner.total_events() + 1
    runner.reset()
    assert len(runner._groups()) == 1

    runner.parallel_from = runner.total_events()
    assert len(runner._groups()) == 2


def test_a_catch_up_with_another_thread_running_stays_in_one_process(services, monkeypatch):
    monkeypatch.setattr(runner_module, "may_fork", REAL_MAY_FORK)
    record_cases(services)
    runner = services.runner
    runner.processes, runner.parallel_from = 2, 1
    runner.reset()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert len(runner._groups()) == 1  # forking now could leave another thread's lock held in the helper
    finally:
        stop.set()
        other.join()


def test_groups_share_the_work_by_weight_and_each_read_model_is_in_exactly_one(services):
    runner = services.runner
    runner.processes, runner.parallel_from = 3, 0

    groups = runner._groups()

    names = [p.name for group in groups for p in group]
    assert sorted(names) == sorted(p.name for p in runner.projections)
    loads = [sum(p.weight for p in group) for group in groups]
    heaviest = max(p.weight for p in runner.projections)
    assert max(loads) - min(loads) <= heaviest


def test_a_catch_up_in_small_batches_over_several_logs_reads_no_row_again(services, monkeypatch):
    """The rows a process has buffered stay good from batch to batch and from log to log while nobody else writes
    its read models: batches of a few events read no more rows than one batch of all of them."""
    record_cases(services)
    runner = services.runner
    runner.processes = 1
    selects: list[tuple] = []
    original = BufferedViewSession._select

    def counted(self: BufferedViewSession, table: str, key: tuple) -> Any:
        selects.append((table, key))
        return original(self, table, key)

    monkeypatch.setattr(BufferedViewSession, "_select", counted)
    counts = []
    for batch in (100_000, 3):
        runner.batch_size = batch
        runner.reset()
        selects.clear()
        runner.catch_up()
        counts.append(len(selects))
    assert counts[1] == counts[0]


def test_a_process_that_died_holding_the_turn_to_write_does_not_stop_the_others():
    lock = multiprocessing.get_context("fork").Lock()
    lock.acquire()  # as if by a helper killed while writing
    turn = WriteTurn(lock, patience=0.05)
    started = time.monotonic()
    with turn:
        pass
    assert 0.05 <= time.monotonic() - started < 5
    assert not turn.held


def test_processes_take_turns_to_write_through_the_turn():
    lock = multiprocessing.get_context("fork").Lock()
    turn = WriteTurn(lock)
    with turn:
        assert not lock.acquire(block=False)  # held while writing
    assert lock.acquire(block=False)  # released after
