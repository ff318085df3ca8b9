"""The documented deployment, for real: two web processes (``onething run --no-projections``) and one projection
worker (``onething projections run``) on one PostgreSQL database.

Writes go through both web processes at once; each is read back through the *other* process with the write's
``X-Consistency-Token`` and must be there. Afterwards the read models the worker kept equal a rebuild from the
event store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy

from infrastructure.eventstore.persistence import dispose_datastores
from infrastructure.readmodels.tables import metadata, tracking
from tests.conftest import ADMIN, make_services, restaurant_file
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ONETHING = str(Path(sys.executable).with_name("onething"))
HEADER = "X-Consistency-Token"
CASES_PER_PROCESS = 8
USERS = {"intake": ("intake", None), "amr": ("reviewer", "amr")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([ONETHING, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output.decode(errors="replace")


def wait_answering(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited: {stop(process)}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


@pytest.fixture
def deployment(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two web processes and a projection worker on a new PostgreSQL database with users and the restaurant
    bundle; yields their URLs and the database URL."""
    services = make_services(postgres_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department)
    services.runner.catch_up()
    settings = services.settings
    dispose_datastores()
    env = {**os.environ, "ONETHING_DATABASE_URL": postgres_url, "ONETHING_SECRET_KEY": "topology-test",
           "ONETHING_AUDIT_KEY": settings.audit_key, "ONETHING_LICENCE_KEY": settings.licence_key,
           "ONETHING_FILES_URL": settings.files_url, "ONETHING_NOTIFY_INTERVAL": "0",
           "ONETHING_SECRET_KEY_FILE": str(tmp_path / "secret-key")}
    ports = [free_port(), free_port()]
    webs = [start(env, "run", "--no-projections", "--port", str(port)) for port in ports]
    worker = start(env, "projections", "run")
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, webs, strict=True):
            wait_answering(url, process)
        yield {"urls": urls, "database": postgres_url, "worker": worker, "env": env}
    finally:
        outputs = [stop(p) for p in [*webs, worker]]
        print("\n".join(outputs))  # shown when the test fails


def token_of(url: str, username: str) -> str:
    response = requests.post(f"{url}/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                             timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def read_models(database: str) -> dict[str, list[tuple[str, ...]]]:
    """Every read-model row (tracking positions aside), as text, sorted."""
    engine = sqlalchemy.create_engine(database)
    try:
        with engine.connect() as connection:
            return {table.name: sorted(tuple(str(v) for v in row) for row in connection.execute(table.select()))
                    for table in metadata.sorted_tables if table is not tracking}
    finally:
        engine.dispose()


def test_writes_through_either_process_are_read_through_the_other_and_the_read_models_equal_a_rebuild(deployment):
    urls = deployment["urls"]
    tokens = {(url, who): token_of(url, who) for url in urls for who in USERS}

    def write_here_read_there(n: int) -> str:
        here, there = urls[n % 2], urls[(n + 1) % 2]
        opened = requests.post(f"{here}/api/v1/cases", timeout=30, headers={
            "Authorization": f"Bearer {tokens[(here, 'intake')]}"}, json={
            "bundle": "restaurant-opening", "channel": "window",
            "applicant": {"name": f"泉城小馆{n}号", "credit_code": "91110000600037341L"}})
        assert opened.status_code == 201, opened.text
        number, case_id = opened.json()["number"], opened.json()["id"]
        listed = requests.get(f"{there}/api/v1/cases", params={"number": number}, timeout=30, headers={
            "Authorization": f"Bearer {tokens[(there, 'intake')]}", HEADER: opened.headers[HEADER]})
        assert listed.status_code == 200, listed.text
        assert [row["number"] for row in listed.json()["items"]] == [number]
        for key in ("id-card", "floor-plan"):
            recorded = requests.post(f"{there}/api/v1/cases/{case_id}/materials", timeout=30, json={
                "key": key, "filename": f"{key}.pdf", "sha256": "ab" * 32}, headers={
                "Authorization": f"Bearer {tokens[(there, 'intake')]}"})
            assert recorded.status_code in (200, 201), recorded.text
        accepted = requests.post(f"{there}/api/v1/cases/{case_id}/items/business-licence/accept", timeout=30,
                                 json={}, headers={"Authorization": f"Bearer {tokens[(there, 'amr')]}"})
        assert accepted.status_code == 200, accepted.text
        queue = requests.get(f"{here}/api/v1/queues/amr", timeout=30, headers={
            "Authorization": f"Bearer {tokens[(here, 'amr')]}", HEADER: accepted.headers[HEADER]})
        assert queue.status_code == 200, queue.text
        assert any(row["case_number"] == number and row["status"] == "in_review" for row in queue.json()["items"])
        return str(number)

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(write_here_read_there, range(2 * CASES_PER_PROCESS)))
    assert len(set(numbers)) == 2 * CASES_PER_PROCESS

    kept = wait_caught_up(deployment["database"])
    stop(deployment["worker"])
    rebuilt = subprocess.run([ONETHING, "projections", "rebuild"], env=deployment["env"], capture_output=True,
                             text=True, timeout=120)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert read_models(deployment["database"]) == kept


def wait_caught_up(database: str, seconds: float = 30) -> dict[str, list[tuple[str, ...]]]:
    """The read models once the worker processed every stored event."""
    services = make_services(database)
    try:
        deadline = time.monotonic() + seconds
        while any(lag.behind for lag in services.runner.lag()):
            assert time.monotonic() < deadline, services.runner.lag()
            time.sleep(0.2)
        return read_models(database)
    finally:
        dispose_datastores()
