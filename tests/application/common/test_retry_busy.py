"""A write that keeps waiting for a database lock is answered "busy" within a bound, not after ten waits."""

from __future__ import annotations

import time

import pytest
from eventsourcing.persistence import OperationalError

from application.common import retry
from application.common.errors import Busy


def test_a_write_waiting_for_a_lock_gives_up_within_the_wait_budget(monkeypatch):
    monkeypatch.setattr(retry, "LOCK_WAIT_SECONDS", 0.5, raising=False)
    calls = []

    def waits_then_times_out():
        calls.append(1)
        time.sleep(0.2)  # as a database waits out its busy (SQLite) or lock (PostgreSQL) timeout
        raise OperationalError("database is locked")

    started = time.monotonic()
    with pytest.raises(Busy, match="nothing was saved"):
        retry.with_retries(waits_then_times_out, lambda: None, "approving")
    assert len(calls) == 2  # a third wait would end after the budget
    assert time.monotonic() - started < 1.0


def test_the_default_wait_budget_keeps_a_locked_write_within_seconds():
    assert 5 <= retry.LOCK_WAIT_SECONDS <= 15  # SQLite's busy timeout is 10 s, PostgreSQL's lock timeout 5 s
