"""The event store on SQLite and PostgreSQL: round trips, conflicts, notifications, snapshots."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from sqlalchemy.engine import make_url

from domain.case.aggregate import Case
from infrastructure.eventstore import persistence
from tests.application.helpers import SHA, complete_restaurant, open_restaurant
from tests.conftest import ADMIN, INTAKE, make_services, restaurant_file


def test_a_case_round_trips_through_the_store(any_services):
    case_id = open_restaurant(any_services)
    complete_restaurant(any_services, case_id)
    fresh = make_services(any_services.settings.database_url)  # new applications, nothing in memory
    case = fresh.cases.load(case_id)
    assert case.status == "completed" and case.version == 12  # 10 commands, the permit's clock, Completed
    assert [type(e).__name__ for e in fresh.cases.events.get(case_id)][:3] == [
        "Opened", "MaterialSubmitted", "MaterialSubmitted"]


def test_events_come_back_in_version_order_with_their_actor_and_reason(any_services):
    case_id = open_restaurant(any_services, reason="at the window")
    events = list(any_services.cases.events.get(case_id))
    assert events[0].originator_version == 1
    assert events[0].actor == INTAKE and events[0].reason == "at the window"


def test_the_store_refuses_a_second_event_at_the_same_version(any_services):
    case_id = open_restaurant(any_services)
    recorder = any_services.cases.recorder
    duplicate = StoredEvent(case_id, 1, "domain.case.aggregate:Case.Opened", b"{}")
    with pytest.raises(IntegrityError):
        recorder.insert_events([duplicate])
    assert len(recorder.select_events(case_id)) == 1


def test_a_multi_event_command_is_written_all_or_nothing(any_services):
    case_id = open_restaurant(any_services)
    recorder = any_services.cases.recorder
    good = StoredEvent(case_id, 2, "domain.case.aggregate:Case.Withdrawn", b"{}")
    clash = StoredEvent(case_id, 1, "domain.case.aggregate:Case.Opened", b"{}")
    with pytest.raises(IntegrityError):
        recorder.insert_events([good, clash])
    assert [e.originator_version for e in recorder.select_events(case_id)] == [1]


def test_notification_ids_increase_and_every_event_is_in_the_log(any_services):
    first = open_restaurant(any_services)
    second = open_restaurant(any_services)
    any_services.cases.intake.submit_material(INTAKE, first, "id-card", "id.pdf", SHA)
    log = any_services.cases.recorder.select_notifications(start=None, limit=10)
    assert [n.originator_id for n in log] == [first, second, first]
    assert [n.id for n in log] == sorted(n.id for n in log)
    assert any_services.cases.recorder.max_notification_id() == log[-1].id


def test_select_events_filters_by_version_range_and_order(any_services):
    case_id = open_restaurant(any_services)
    for _ in range(3):
        any_services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    recorder = any_services.cases.recorder
    assert [e.originator_version for e in recorder.select_events(case_id, gt=1, lte=3)] == [2, 3]
    assert [e.originator_version for e in recorder.select_events(case_id, desc=True, limit=2)] == [4, 3]


def test_long_cases_are_snapshotted_and_load_the_same(any_services):
    case_id = open_restaurant(any_services)
    for n in range(60):
        any_services.cases.intake.submit_material(INTAKE, case_id, "id-card", f"id-{n}.pdf", SHA)
    snapshots = any_services.cases.snapshots.recorder.select_events(case_id)
    assert [s.originator_version for s in snapshots] == [50]
    from_snapshot = make_services(any_services.settings.database_url).cases.load(case_id)
    replayed = Case.__new__(Case)
    for event in any_services.cases.events.get(case_id):
        replayed = event.mutate(replayed if event.originator_version > 1 else None)
    assert vars(from_snapshot) == vars(replayed)
    assert from_snapshot.materials["id-card"]["filename"] == "id-59.pdf"


def test_creating_the_schema_twice_is_harmless(any_services):
    tables = any_services.init_schema()
    assert set(tables) >= {"cases_events", "cases_snapshots", "catalogue_events", "users_events"}


@pytest.mark.postgres
def test_postgres_listeners_are_notified_when_events_commit(postgres_url):
    services = make_services(postgres_url)
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    plain = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as listener:
        listener.execute(f"LISTEN {services.cases.recorder.channel_name}")
        open_restaurant(services)
        channels = [n.channel for n in listener.notifies(timeout=5, stop_after=1)]
    assert channels == ["cases_events"]


@pytest.fixture
def usual_umask():
    """The umask most machines have (022): files are created readable by everyone unless made otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_files_are_readable_by_their_owner_only(tmp_path, usual_umask):
    path = tmp_path / "onething.sqlite3"
    services = make_services(f"sqlite:///{path}")
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    open_restaurant(services)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert all(f.exists() for f in files)
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_an_existing_world_readable_sqlite_database_is_narrowed_when_opened(tmp_path, usual_umask):
    path = tmp_path / "onething.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE earlier (x)").connection.commit()  # as an earlier release left it
    assert mode(path) == 0o644
    make_services(f"sqlite:///{path}")
    assert mode(path) == 0o600


def test_the_default_instance_folder_is_private(tmp_path, monkeypatch, usual_umask):
    monkeypatch.chdir(tmp_path)
    url = persistence.database_url({})
    assert url.endswith("instance/onething.sqlite3") and mode(tmp_path / "instance") == 0o700
