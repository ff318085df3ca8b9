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


def test_a_process_that_died_holding_the_turn_to_write_costs_the_others_one_wait_not_one_per_batch():
    context = multiprocessing.get_context("fork")
    lock, abandoned = context.Lock(), context.Event()
    lock.acquire()  # as if by a helper killed while writing
    mine, theirs = WriteTurn(lock, abandoned, patience=0.2), WriteTurn(lock, abandoned, patience=0.2)
    started = time.monotonic()
    with mine:
        pass
    assert 0.2 <= time.monotonic() - started < 5 and not mine.held
    started = time.monotonic()
    for _ in range(20):  # every later batch, of this process or another
        with mine, theirs:
            pass
    assert time.monotonic() - started < 0.2


def test_processes_take_turns_to_write_through_the_turn():
    context = multiprocessing.get_context("fork")
    lock = context.Lock()
    turn = WriteTurn(lock, context.Event())
    with turn:
        assert not lock.acquire(block=False)  # held while writing
    assert lock.acquire(block=False)  # released after


def test_a_catch_up_on_an_in_memory_database_stays_in_one_process(tmp_path):
    """A forked helper would write to its own copy of the memory and the rows would be lost."""
    from sqlalchemy import create_engine

    from tests.conftest import make_services
    services = make_services(f"sqlite:///{tmp_path / 'file.sqlite3'}")
    memory = ReadModelRunner(create_engine("sqlite://"), services.runner.sources, services.runner.projections,
                             processes=2, parallel_from=0)
    assert len(memory._groups()) == 1


def test_stopping_a_catch_up_stops_its_helpers_even_where_the_worker_catches_sigterm(services, monkeypatch):
    """`projections run` sets a stop flag on SIGTERM; a helper must not inherit that and go on for its whole lane."""
    import signal

    record_cases(services)
    runner = services.runner
    parent = os.getpid()
    audit = next(p for p in runner.projections if p.name == "audit")
    cases = next(p for p in runner.projections if isinstance(p, CaseReadModel))
    audit_process, cases_process = audit.process, cases.process

    def slow_in_helpers(change: Any, view: Any) -> None:
        if os.getpid() != parent:
            time.sleep(0.2)  # a long lane
        audit_process(change, view)

    def fails_here(change: Any, view: Any) -> None:
        raise RuntimeError("broken handler")

    audit.process, cases.process = slow_in_helpers, fails_here  # type: ignore[method-assign]
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # as the worker's handler: only sets a flag
    try:
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="broken handler"):
            rebuild(runner, 2)
        assert time.monotonic() - started < 5  # the helper's lane alone would take minutes
    finally:
        signal.signal(signal.SIGTERM, previous)
        del audit.process, cases.process


def test_the_worker_catches_up_before_its_other_threads_start(services, monkeypatch):
    """`projections run`'s first catch-up may use helper processes only while no other thread runs."""
    runner = services.runner
    seen: list[tuple[str, int]] = []
    original = runner.catch_up

    def catch_up(*args: Any, **kwargs: Any) -> Any:
        seen.append(("catch-up", threading.active_count()))
        stop.set()
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "catch_up", catch_up)
    stop, before = threading.Event(), threading.active_count()  # threads earlier tests left behind count too
    runner.run_forever(stop, interval=0.01, listen=False, then=lambda: seen.append(("jobs", 0)))
    assert seen[:2] == [("catch-up", before), ("jobs", 0)]
