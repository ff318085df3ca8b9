"""A store written by release 0.1 (commit a7c676d, before the modules moved into packages) opens with this code.

The store, its audit key and what release 0.1 read from it are in ``tests/legacy_store/release-0.1/`` (see its
README): 530 events of 61 aggregates stored under the old topics (``domain.case_events:ItemApproved``,
``domain.case:Case`` ...), two snapshots, four signed checkpoints. Each test opens a copy the way a user's instance
is opened after an upgrade (``instance/`` beside the working directory, ``onething db init``, then the composition
root) and checks what a user relies on: every aggregate loads, every event decodes to what 0.1 decoded, snapshots
still serve, ``audit verify`` passes, rebuilt read models hold the same rows, and the API serves every case.

On PostgreSQL the copy is made row by row (``onething restore`` takes a backup into a database of its own kind
only): event, snapshot and audit-log rows are inserted unchanged, topics and state as stored.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result
from eventsourcing.application import Application, project_aggregate
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.pool import NullPool

from application.common.errors import AlreadyExists
from infrastructure.audit.log import audit_checkpoints, audit_log
from infrastructure.eventstore.persistence import dispose_datastores
from infrastructure.readmodels.tables import VIEW_TABLES
from web import create_app
from web.cli import main
from web.services import Services, Settings, build_services

RELEASE = Path(__file__).parents[2] / "legacy_store" / "release-0.1"
DEMO_PASSWORD = "onething-demo"
SETTINGS = ("ONETHING_DATABASE_URL", "ONETHING_AUDIT_KEY", "ONETHING_CIPHER_KEY", "ONETHING_CIPHER_OLD_KEYS",
            "ONETHING_ENV", "ONETHING_CALENDAR_OVERRIDES")


@cache
def expected() -> dict[str, Any]:
    """What release 0.1 read from the store."""
    return json.loads(gzip.decompress((RELEASE / "expected.json.gz").read_bytes()))


@dataclass
class Legacy:
    """The opened copy: its services and the ``onething`` command on it."""

    services: Services
    cli: Callable[..., Result]

    def apps(self) -> dict[str, Application]:
        s = self.services
        return {"Cases": s.cases, "Catalogue": s.catalogue, "Users": s.users, "Petitions": s.petitions}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def legacy(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Legacy]:
    """A copy of the release-0.1 store in ``tmp_path/instance`` (SQLite) or in a new PostgreSQL database, after
    the upgrade's ``onething db init``; the audit key at the default ``instance/audit-key.pem``."""
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    (instance / "onething.sqlite3").write_bytes(gzip.decompress((RELEASE / "onething.sqlite3.gz").read_bytes()))
    shutil.copyfile(RELEASE / "audit-key.pem", instance / "audit-key.pem")
    os.chmod(instance / "audit-key.pem", 0o600)
    monkeypatch.chdir(tmp_path)  # a user's instance: the defaults are relative to the working directory
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        copy_store(f"sqlite:///{instance / 'onething.sqlite3'}", url)
        monkeypatch.setenv("ONETHING_DATABASE_URL", url)
    runner = CliRunner()

    def cli(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    upgraded = cli("db", "init")
    assert upgraded.exit_code == 0, upgraded.output
    yield Legacy(build_services(Settings.from_env()), cli)
    dispose_datastores()


def copy_store(source: str, target: str) -> None:
    """Create this code's schema at ``target`` and insert every event, snapshot, audit-log entry and checkpoint
    of ``source`` unchanged (read models are left empty: they are rebuilt from the events)."""
    services = build_services(Settings(database_url=target, secret_key="test"))
    services.init_schema()
    tables = [r.events_record_cls.__table__ for r in services.event_recorders().values()]
    tables += [snapshot_recorder(services).events_record_cls.__table__, audit_log, audit_checkpoints]
    reader, writer = create_engine(source, poolclass=NullPool), create_engine(target, poolclass=NullPool)
    try:
        with reader.connect() as old, writer.begin() as new:
            for table in tables:
                if not inspect(old).has_table(table.name):
                    continue  # a store added after release 0.1 (Notifications)
                rows = [dict(row) for row in old.execute(select(table)).mappings()]
                new.execute(insert(table), rows)
                if "id" in table.c:  # the notification ids were copied: new events follow them
                    new.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                     f"(SELECT max(id) FROM {table.name}))"))
    finally:
        reader.dispose()
        writer.dispose()
        dispose_datastores()


def snapshot_recorder(services: Services) -> Any:
    """The recorder of the Cases store's snapshots."""
    assert services.cases.snapshots is not None  # the Cases store keeps snapshots (EVENT_STORES)
    return services.cases.snapshots.recorder


def plain(value: Any) -> Any:
    """A JSON-safe form of a decoded value, as the generator wrote ``expected.json``."""
    if value is None or isinstance(value, (bool, int, float, str)) and not isinstance(value, Enum):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot make {type(value)!r} JSON-safe")


# What later versions' upcasts add to an event of release 0.1, with the values they give it: the event
# decodes as 0.1 decoded it, plus exactly these fields.
UPCAST_SINCE_0_1 = {
    "MaterialSubmitted": {"version": 0, "size": 0, "media_type": "", "source": "paper", "licence": ""},
    "ItemApproved": {"materials": {}}, "ItemApprovedOnCommitment": {"materials": {}}, "ItemRejected": {"materials": {}},
    "Opened": {"answers": {}},  # a case's Opened (petitions' Opened events have no such upcast)
}


def as_0_1_plus_upcasts(entry: list[Any]) -> list[Any]:
    """An event of ``expected.json`` as it decodes now: 0.1's state and what later upcasts add to it."""
    name, version, state = entry
    added = UPCAST_SINCE_0_1.get(name, {})
    if name == "Opened" and "bundle_version" not in state:
        added = {}  # not a case's
    return [name, version, {**state, **added}]


# What later versions add to each item of a snapshot's state (ItemState's new fields, with their defaults).
ITEM_FIELDS_SINCE_0_1 = {"findings": [], "auto_approve": False, "rules_digest": None, "requested": {},
                         "request_reason": "", "rejection_reason": "", "request_any": False}


def state_plus_item_defaults(state: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's state of ``expected.json`` as it decodes now: each item with the fields added since 0.1."""
    items = {code: {**item, **ITEM_FIELDS_SINCE_0_1} for code, item in state.get("items", {}).items()}
    return {**state, "items": items} if "items" in state else state


def described(event: Any) -> list[Any]:
    """``[class name, version, state]`` of a decoded event, as in ``expected.json``."""
    state = {k: plain(v) for k, v in vars(event).items() if k not in ("originator_id", "originator_topic")}
    return [type(event).__name__, event.originator_version, state]


# -------------------------------------------------------------------------------------------------------------
def test_every_aggregate_loads_at_its_version_and_its_events_decode_as_release_0_1_decoded_them(legacy):
    apps = legacy.apps()
    loaded = set()
    for aggregate_id, want in expected()["aggregates"].items():
        app, label = apps[want["application"]], f"{want['aggregate']} {want['label']}"
        aggregate = app.repository.get(UUID(aggregate_id))
        assert (type(aggregate).__name__, aggregate.version) == (want["aggregate"], want["last_version"]), label
        stored = app.recorder.select_events(UUID(aggregate_id))
        assert stored[0].topic in expected()["topics"], label  # the row still carries release 0.1's topic
        events = [app.mapper.to_domain_event(s) for s in stored]
        assert events[0].originator_topic == want["originator_topic"], label
        assert [described(e) for e in events] == [as_0_1_plus_upcasts(e) for e in want["events"]], label
        loaded.add(want["aggregate"])
    assert loaded == {"Case", "Petition", "User", "AdminGuard", "ApiToken", "Catalogue", "Bundle",
                      "CalendarOverrides"}


def test_snapshots_decode_and_an_aggregate_loaded_from_one_equals_it_replayed_from_every_event(legacy):
    cases = legacy.services.cases
    snapshots = expected()["snapshots"]
    assert {s["number"] for s in snapshots} == {"LEGACY-0001", "DEMO-0011"}
    for want in snapshots:
        case_id = UUID(want["originator_id"])
        [stored] = snapshot_recorder(legacy.services).select_events(case_id)
        snapshot = cases.mapper.to_domain_event(stored)
        assert (stored.topic, snapshot.topic, snapshot.originator_version) == (
            want["topic"], want["state_topic"], want["version"])
        assert plain(snapshot.state) == state_plus_item_defaults(want["state"])
        from_snapshot = project_aggregate(None, chain([snapshot], cases.events.get(case_id, gt=want["version"])))
        replayed = project_aggregate(None, cases.events.get(case_id))
        assert from_snapshot is not None and replayed is not None
        assert vars(from_snapshot) == vars(replayed), want["number"]
        assert vars(cases.repository.get(case_id)) == vars(replayed)


def test_audit_verify_passes_with_every_checkpoint_release_0_1_signed(legacy):
    result = legacy.cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert expected()["audit_verify"]["summary"] in result.output.splitlines()  # OK: 530 events of 61 ...
    assert [plain(c) for c in legacy.services.audit_log.checkpoints()] == expected()["audit_checkpoints"]


def test_read_models_rebuilt_by_this_code_hold_the_rows_release_0_1_built(legacy):
    result = legacy.cli("projections", "rebuild")
    assert result.exit_code == 0, result.output
    with legacy.services.runner.engine.connect() as connection:
        for name, want in expected()["read_models"].items():
            table = VIEW_TABLES[name]
            columns = [table.c[column] for column in want["columns"]]
            rows = [[plain(v) for v in row] for row in connection.execute(select(*columns))]
            assert sorted(rows, key=lambda r: json.dumps(r, ensure_ascii=False)) == want["rows"], name


def test_the_api_serves_every_case_to_the_demo_auditor_and_admin(legacy):
    client = create_app({"SERVICES": legacy.services, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    cases = {k: v for k, v in expected()["aggregates"].items() if v["aggregate"] == "Case"}
    assert len(cases) == 16
    for username in ("auditor", "admin"):
        signed_in = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        assert signed_in.status_code == 200, signed_in.get_json()
        headers = {"Authorization": f"Bearer {signed_in.get_json()['token']}"}
        for case_id, want in cases.items():
            response = client.get(f"/api/v1/cases/{case_id}", headers=headers)
            assert response.status_code == 200, (username, want["label"], response.get_json())
            assert (response.get_json()["number"], response.get_json()["version"]) == (
                want["label"], want["last_version"])


def test_users_registered_by_release_0_1_count_as_admins_and_as_names_taken(legacy):
    users = legacy.services.users  # the store selects registrations by topic: 0.1's topics must be included
    admin = users.find_actor("admin")
    assert admin is not None
    disabled = users.disable(admin, "admin2", "left the office")  # admin stays enabled: not the last admin
    assert disabled.disabled
    with pytest.raises(AlreadyExists, match="looks the same as the existing user 'window1'"):
        users.add_user(admin, "Window1", "a long new password 2026", "intake", None)
