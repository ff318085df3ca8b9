"""``ONETHING_READ_DATABASE_URL``: lists, queues and boards read a replica; a consistency token waits until the
replica, too, has the write. A copy of the primary's SQLite file, refreshed by hand, stands in for a streaming
replica."""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from pathlib import Path

import pytest

from application.common.consistency import ReadModelsBehind, noting_writes
from domain.shared.values import Actor, Role
from infrastructure.eventstore.persistence import dispose_datastores
from tests.conftest import ADMIN, VALID_CODE, restaurant_file
from web.services import Settings, build_services

INTAKE = Actor("window", Role.INTAKE)


def replicate(primary: Path, replica: Path) -> None:
    """What streaming replication would have shipped by now: the whole primary, copied."""
    with sqlite3.connect(primary) as source, sqlite3.connect(replica) as target:
        source.backup(target)


@pytest.fixture
def deployment(tmp_path):
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    folder = Path(tempfile.gettempdir()) / f"onething-replica-{uuid.uuid4().hex}"
    services = build_services(Settings(database_url=f"sqlite:///{primary}", secret_key="test",
                                       read_database_url=f"sqlite:///{replica}", audit_key=str(folder / "audit.pem"),
                                       files_url=str(folder / "files"), licence_key=str(folder / "licence.pem")))
    services.init_schema()
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    services.runner.catch_up()
    replicate(primary, replica)
    yield services, primary, replica
    dispose_datastores()


def open_case(services) -> tuple[str, object]:
    with noting_writes() as writes:
        saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆", VALID_CODE, "window")
    services.runner.catch_up()  # the worker, on the primary
    return saved.number, services.consistency.token_of(writes)


def listed(services) -> set[str]:
    return {row["number"] for row in services.queries.case_list(INTAKE).rows}


def test_lists_read_the_replica_and_a_token_waits_for_the_replica_to_have_the_write(deployment):
    services, primary, replica = deployment
    services.consistency.wait_seconds = 0.3
    number, token = open_case(services)
    assert number not in listed(services)  # the replica has not received it yet
    with pytest.raises(ReadModelsBehind):
        services.consistency.wait(token)
    replicate(primary, replica)
    services.consistency.wait(token)
    assert number in listed(services)

