"""SQLite "database is locked": while another connection holds the write lock longer than the busy timeout,
a write answers a clear 503 with ``Retry-After`` and writes nothing (no event, no read-model row, no
idempotency record); the same request succeeds once the lock is gone."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from application.common import retry
from infrastructure.eventstore import persistence
from tests.conftest import ADMIN, make_services, restaurant_file
from web import create_app

PASSWORD = "locked-tests-Qu4nch3ng-Xiaoguan"
BUSY_TIMEOUT_MS = 500  # SQLite's busy timeout for this test (10 s in production)


@pytest.fixture
def locked_api(sqlite_url, monkeypatch):
    """An API on a fresh SQLite file whose busy timeout is short; yields (client, services, path, tokens)."""
    monkeypatch.setattr(persistence, "SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    monkeypatch.setattr(retry, "LOCK_WAIT_SECONDS", 1.5)
    services = make_services(sqlite_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    services.users.add_user(ADMIN, "window", PASSWORD, "intake")
    services.runner.catch_up()
    client = create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    token = client.post("/api/v1/auth/token", json={"username": "window", "password": PASSWORD}).get_json()["token"]
    return client, services, sqlite_url.removeprefix("sqlite:///"), {"Authorization": f"Bearer {token}"}


@contextmanager
def write_lock_held(path: str) -> Iterator[None]:
    """Hold SQLite's write lock from a separate connection (as another process writing for a long time)."""
    other = sqlite3.connect(path, isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _snapshot(services) -> tuple[int, list]:
    services.runner.catch_up()
    with services.runner.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT case_id, version, materials FROM rm_cases ORDER BY case_id").all()
    return services.runner.total_events(), [tuple(r) for r in rows]


def test_a_write_while_another_connection_holds_the_lock_answers_503_and_writes_nothing(locked_api):
    client, services, path, auth = locked_api
    opened = client.post("/api/v1/cases", headers={**auth, "Idempotency-Key": "opened-1"}, json={
        "bundle": "restaurant-opening", "channel": "window",
        "applicant": {"name": "泉城小馆餐饮有限公司", "credit_code": "91110000600037341L"}})
    assert opened.status_code == 201
    case_id = opened.get_json()["id"]
    material = {"key": "id-card", "filename": "id.pdf", "sha256": hashlib.sha256(b"id").hexdigest()}
    headers = {**auth, "Idempotency-Key": "locked-material-1"}
    before = _snapshot(services)

    with write_lock_held(path):
        started = time.monotonic()
        locked = client.post(f"/api/v1/cases/{case_id}/materials", headers=headers, json=material)
        seconds = time.monotonic() - started
        opening = client.post("/api/v1/cases", headers={**auth, "Idempotency-Key": "locked-open-1"}, json={
            "bundle": "restaurant-opening", "channel": "window",
            "applicant": {"name": "历下区一碗面馆", "credit_code": "91110000600037341L"}})

    print(f"\nlocked write answered {locked.status_code} in {seconds:.2f} s")
    for answer in (locked, opening):
        assert answer.status_code == 503, answer.get_json()
        assert answer.get_json()["error"]["code"] == "busy"
        assert "try again" in answer.get_json()["error"]["message"]
        assert int(answer.headers["Retry-After"]) >= 1
    assert seconds < 5  # the busy timeout and one more wait, not ten
    assert _snapshot(services) == before  # no event, no read-model row
    assert services.idempotency.lookup("window", "locked-material-1") is None
    assert services.idempotency.lookup("window", "locked-open-1") is None

    again = client.post(f"/api/v1/cases/{case_id}/materials", headers=headers, json=material)
    assert again.status_code == 200, again.get_json()
    assert again.headers.get("Idempotent-Replayed") is None  # nothing was kept of the refused attempt
    events, rows = _snapshot(services)
    assert events == before[0] + 1
    assert services.cases.load(case_id).materials.keys() == {"id-card"}
    assert client.post(f"/api/v1/cases/{case_id}/materials", headers=headers,
                       json=material).headers.get("Idempotent-Replayed") == "true"
