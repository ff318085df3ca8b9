"""`onething projections run`, the worker of a many-process deployment, as its own process."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ADMIN, make_services, restaurant_file
from tests.faults.server import ONETHING, ROOT, server_env
from tests.infrastructure.readmodels.test_worker_wakes_on_new_events import (
    listening_pids,
    seconds_until_queued,
    wait_for,
)


def start_worker(url: str, folder: Path, *options: str) -> subprocess.Popen[str]:
    env = server_env(url, folder, PYTHONUNBUFFERED="1", ONETHING_LICENCE_KEY=str(folder / "licence-key.pem"),
                     ONETHING_FILES_URL=str(folder / "files"), ONETHING_NOTIFY_INTERVAL="0")
    return subprocess.Popen([*ONETHING, "projections", "run", *options], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def stopped(worker: subprocess.Popen[str]) -> str:
    """Stop the worker as a service manager would (SIGTERM); return its output once it has exited cleanly."""
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=15)
    assert worker.returncode == 0, output
    return output


@pytest.mark.postgres
def test_the_worker_on_postgres_shows_a_write_long_before_its_next_poll(postgres_url, tmp_path):
    services = make_services(postgres_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    worker = start_worker(postgres_url, tmp_path, "--interval", "30")
    try:
        wait_for(lambda: listening_pids(services) or worker.poll() is not None, timeout=30)
        assert seconds_until_queued(services, timeout=30) < 2.0
    finally:
        output = stopped(worker)
    assert output.startswith("projections: waking on new events and polling every 30.0 s")


@pytest.mark.postgres
def test_the_worker_told_not_to_listen_says_it_polls(postgres_url, tmp_path):
    services = make_services(postgres_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    worker = start_worker(postgres_url, tmp_path, "--interval", "0.2", "--no-listen")
    try:
        seconds_until_queued(services, timeout=30)  # raises if the queue never shows the case
        assert not listening_pids(services)
    finally:
        output = stopped(worker)
    assert output.startswith("projections: polling every 0.2 s")
