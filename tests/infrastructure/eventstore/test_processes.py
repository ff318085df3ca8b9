"""Several OneThing processes on one PostgreSQL database at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.application.helpers import open_restaurant
from tests.conftest import ADMIN, make_services, restaurant_file

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def start_workers(url: str, count: int, *args: str) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [
        subprocess.Popen([sys.executable, "-m", "tests.infrastructure.eventstore.worker", url, *args],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]


def finish(workers: list[subprocess.Popen]) -> list[object]:
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-2000:]
        results.append(json.loads(out))
    return results


def test_eight_schema_inits_at_once_do_not_crash_each_other(postgres_url):
    tables = finish(start_workers(postgres_url, 8, "init"))
    assert all(set(t) >= {"cases_events", "catalogue_events", "users_events"} for t in tables)


def test_eight_workers_started_at_once_after_db_init_all_work(postgres_url):
    services = make_services(postgres_url)  # the explicit `onething db init` step
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    results = finish(start_workers(postgres_url, 8, "open", "5"))
    ids = [case_id for ids in results for case_id in ids]
    assert len(set(ids)) == 40
    assert all(services.cases.load(i).status == "open" for i in ids)


def test_contended_writes_to_one_case_are_retried_and_none_is_lost(postgres_url):
    services = make_services(postgres_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    case_id = open_restaurant(services)
    finish(start_workers(postgres_url, 4, "submit", str(case_id), "15"))
    events = services.cases.recorder.select_events(case_id)
    assert [e.originator_version for e in events] == list(range(1, 62))
