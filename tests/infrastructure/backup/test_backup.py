"""Backups of a running OneThing and restores that can be checked, on SQLite and PostgreSQL.

A backup is consistent while the server writes (SQLite: one read transaction across the online backup;
PostgreSQL: pg_dump on the snapshot the manifest was counted in), private (0700/0600), never half-written
and never overwriting; a restore checks the file against its manifest and writes only into a new place.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from infrastructure.backup import archive as backup
from infrastructure.backup import contents as backup_contents
from infrastructure.backup import postgres as backup_postgres
from infrastructure.backup import sqlite as backup_sqlite
from infrastructure.backup.archive import BackupError
from tests.application.helpers import open_restaurant
from tests.infrastructure.backup.backup_fixtures import (
    event_tables,
    make_record,
    restore_target,
    services_on,
)
from web.services import Services


@pytest.fixture
def source(database_url: str, tmp_path: Path) -> Services:
    """A running OneThing's database with cases, a petition and a signed checkpoint."""
    services = services_on(database_url, tmp_path / "keys" / "audit-key.pem")
    make_record(services)
    return services


@pytest.fixture
def target_url(database_url: str, tmp_path: Path):
    """A new place of the same kind to restore into."""
    with restore_target(database_url, tmp_path) as url:
        yield url


def restored_services(url: str, source: Services) -> Services:
    return services_on(url, Path(source.settings.audit_key))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial-" in p.name or ".restoring-" in p.name)


# Backing up ---------------------------------------------------------------------------------------
def test_a_backup_is_private_and_its_manifest_counts_what_it_holds(source, tmp_path):
    out = tmp_path / "backups" / "monday"
    manifest = backup.back_up(source.settings.database_url, out, event_tables(source))
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {"manifest.json": 0o600,
                                                                                manifest["file"]: 0o600}
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    recorders = source.event_recorders()
    assert manifest["events"] == {name: len(list(r.select_notifications(start=1, limit=10_000)))
                                  for name, r in sorted(recorders.items())}
    assert manifest["audit_log_size"] == source.audit_log.size() == sum(manifest["events"].values())
    latest = source.audit_log.checkpoints()[-1]
    assert manifest["latest_checkpoint"] == {k: latest[k] for k in ("size", "root", "timestamp", "key_id")}
    assert manifest["database"] == source.settings.database_url.split(":")[0].split("+")[0]
    assert any("ONETHING_AUDIT_KEY" in item for item in manifest["not_included"])
    assert leftovers(out.parent) == []


def test_a_backup_never_overwrites_anything(source, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(BackupError, match="exists"):
        backup.back_up(source.settings.database_url, out, event_tables(source))
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_a_sqlite_backup_finishes_while_the_server_keeps_writing(sqlite_url, tmp_path, monkeypatch):
    """The copy holds one read transaction: writes between its steps neither restart it nor get into it."""
    source = services_on(sqlite_url, tmp_path / "audit-key.pem")
    make_record(source)
    before = source.runner.total_events()
    monkeypatch.setattr(backup_sqlite, "PAGES_PER_STEP", 1)
    copied, opened = [], []

    def progress(done: int, total: int) -> None:
        copied.append(done)
        if len(opened) < 8:  # the server records a new case between two steps of the copy
            opened.append(open_restaurant(source))

    manifest = backup.back_up(sqlite_url, tmp_path / "b", event_tables(source), progress)
    assert len(opened) == 8 and source.runner.total_events() > before
    assert copied == sorted(copied), "the backup started again after a write"
    assert sum(manifest["events"].values()) == before

    with restore_target(sqlite_url, tmp_path) as target:
        backup.restore(tmp_path / "b", target)
        assert backup.differences(manifest, backup.contents(target, event_tables(source))) == []
        assert restored_services(target, source).audit.verify(None)["ok"]


@pytest.mark.postgres
def test_a_postgres_backup_holds_exactly_what_its_manifest_counts_while_the_server_writes(postgres_url, tmp_path):
    """The manifest is counted in the snapshot pg_dump copies, so a writer never puts more in the dump."""
    source = services_on(postgres_url, tmp_path / "audit-key.pem")
    make_record(source)
    writer = services_on(postgres_url, tmp_path / "audit-key.pem")
    stop, opened, errors = threading.Event(), [], []

    def keep_writing() -> None:
        try:
            while not stop.is_set():
                opened.append(open_restaurant(writer))
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        while len(opened) < 2 and thread.is_alive():
            stop.wait(0.01)
        started = len(opened)
        manifest = backup.back_up(postgres_url, tmp_path / "b", event_tables(source))
        during = len(opened) - started
    finally:
        stop.set()
        thread.join()
    assert errors == [] and during > 0

    with restore_target(postgres_url, tmp_path) as target:
        backup.restore(tmp_path / "b", target)
        assert backup.differences(manifest, backup.contents(target, event_tables(source))) == []
        assert restored_services(target, source).audit.verify(None)["ok"]


@pytest.mark.postgres
def test_without_pg_dump_the_backup_names_what_to_install_and_writes_nothing(postgres_url, tmp_path, monkeypatch):
    source = services_on(postgres_url, tmp_path / "audit-key.pem")
    make_record(source)
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(backup_postgres, "TOOL_DIRS", ())
    with pytest.raises(BackupError, match=r"no pg_dump for PostgreSQL \d+ .*postgresql-client-\d+"):
        backup.back_up(postgres_url, tmp_path / "b", event_tables(source))
    assert not (tmp_path / "b").exists() and leftovers(tmp_path) == []


def test_an_unreachable_postgres_fails_clearly(tmp_path):
    url = "postgresql+psycopg://onething@127.0.0.1:1/onething"
    with pytest.raises(BackupError, match="cannot reach the PostgreSQL database postgresql"):
        backup.back_up(url, tmp_path / "b", {"Cases": "cases_events"})
    assert list(tmp_path.iterdir()) == []


def test_a_missing_sqlite_file_is_not_backed_up_as_an_empty_one(tmp_path):
    with pytest.raises(BackupError, match="no SQLite database at"):
        backup.back_up(f"sqlite:///{tmp_path / 'nothing.sqlite3'}", tmp_path / "b", {"Cases": "cases_events"})
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_the_database_password_is_never_on_a_command_line(postgres_url, tmp_path, monkeypatch):
    """pg_dump gets the password in a private password file, gone afterwards; `ps` shows no secret."""
    password = "pa:ss'wo\\rd-7f3e"
    url = make_url(postgres_url).set(password=password).render_as_string(hide_password=False)
    source = services_on(postgres_url, tmp_path / "audit-key.pem")
    make_record(source)
    real_popen, calls = subprocess.Popen, []

    def watching(args, *more, **options):
        env = options.get("env") or {}
        passfile = Path(env["PGPASSFILE"]) if "PGPASSFILE" in env else None
        calls.append({"args": list(args), "passfile": passfile,
                      "mode": stat.S_IMODE(passfile.stat().st_mode) if passfile else None,
                      "content": passfile.read_text(encoding="utf-8") if passfile else None,
                      "environment": env})
        return real_popen(args, *more, **options)

    monkeypatch.setattr(subprocess, "Popen", watching)
    backup.back_up(url, tmp_path / "b", event_tables(source))
    dumps = [c for c in calls if Path(c["args"][0]).name == "pg_dump" and "--version" not in c["args"]]
    assert len(dumps) == 1
    assert all("7f3e" not in " ".join(c["args"]) for c in calls)  # neither plain nor escaped
    assert all(password not in value for c in calls for value in c["environment"].values())
    assert dumps[0]["mode"] == 0o600 and dumps[0]["content"] == "*:*:*:*:pa\\:ss'wo\\\\rd-7f3e\n"
    assert not dumps[0]["passfile"].exists()


# Restoring ----------------------------------------------------------------------------------------
def test_a_restore_holds_what_the_manifest_counts_and_verifies(source, target_url, tmp_path):
    manifest = backup.back_up(source.settings.database_url, tmp_path / "b", event_tables(source))
    assert backup.restore(tmp_path / "b", target_url) == manifest
    assert backup.differences(manifest, backup.contents(target_url, event_tables(source))) == []
    result = restored_services(target_url, source).audit.verify(None)
    assert result["ok"] and result["checkpoints_checked"] == 1, result


@pytest.mark.postgres
def test_a_restore_refuses_a_postgres_database_that_is_not_empty(postgres_url, tmp_path):
    source = services_on(postgres_url, tmp_path / "audit-key.pem")
    make_record(source)
    backup.back_up(postgres_url, tmp_path / "b", event_tables(source))
    with restore_target(postgres_url, tmp_path) as target:
        used = services_on(target, tmp_path / "audit-key.pem")  # a OneThing with its own (empty) record
        with pytest.raises(BackupError, match="is not empty .*restore into a new, empty database"):
            backup.restore(tmp_path / "b", target)
        assert used.runner.total_events() == 0


def test_a_restore_refuses_an_existing_sqlite_file_unless_forced(sqlite_url, tmp_path):
    source = services_on(sqlite_url, tmp_path / "audit-key.pem")
    make_record(source)
    backup.back_up(sqlite_url, tmp_path / "b", event_tables(source))
    target = tmp_path / "old.sqlite3"
    target.write_bytes(b"someone's database")
    with pytest.raises(BackupError, match="exists: restore into a new file, or add --force"):
        backup.restore(tmp_path / "b", f"sqlite:///{target}")
    assert target.read_bytes() == b"someone's database" and leftovers(tmp_path) == []


def test_a_forced_sqlite_restore_is_not_mixed_with_the_old_files_write_ahead_log(sqlite_url, tmp_path):
    """An old database's -wal left by a crash would be replayed into the restored file and corrupt it."""
    source = services_on(sqlite_url, tmp_path / "audit-key.pem")
    make_record(source)
    backup.back_up(sqlite_url, tmp_path / "b", event_tables(source))
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    live = sqlite3.connect(crashed / "old.sqlite3", isolation_level=None)
    live.execute("PRAGMA journal_mode = WAL")
    live.execute("PRAGMA wal_autocheckpoint = 0")
    live.execute("CREATE TABLE cases_events (id INTEGER PRIMARY KEY, junk BLOB)")
    live.execute("INSERT INTO cases_events (junk) SELECT randomblob(3000) FROM (SELECT 1 UNION SELECT 2)")
    target = tmp_path / "old.sqlite3"
    for suffix in ("", "-wal"):  # the files as a crashed server leaves them
        shutil.copyfile(crashed / f"old.sqlite3{suffix}", tmp_path / f"old.sqlite3{suffix}")
    live.close()

    manifest = backup.restore(tmp_path / "b", f"sqlite:///{target}", force=True)
    assert not Path(f"{target}-wal").exists()
    url = f"sqlite:///{target}"
    assert backup.differences(manifest, backup.contents(url, event_tables(source))) == []
    assert restored_services(url, source).audit.verify(None)["ok"]


def test_a_damaged_backup_is_refused_and_nothing_is_restored(source, target_url, tmp_path):
    manifest = backup.back_up(source.settings.database_url, tmp_path / "b", event_tables(source))
    file = tmp_path / "b" / manifest["file"]
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="does not match its manifest"):
        backup.restore(tmp_path / "b", target_url)
    if target_url.startswith("sqlite"):
        restored = backup_sqlite.sqlite_path(target_url)
        assert not restored.exists() and leftovers(restored.parent) == []
    else:
        assert relations(target_url) == 0


def relations(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(backup_postgres.USER_RELATIONS).scalar_one()
    finally:
        engine.dispose()


def test_a_backup_is_restored_only_into_its_own_kind_of_database(source, tmp_path):
    manifest = backup.back_up(source.settings.database_url, tmp_path / "b", event_tables(source))
    other = ("postgresql+psycopg://onething@127.0.0.1:1/x" if manifest["database"] == "sqlite"
             else f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(BackupError, match=f"this is a {manifest['database']} backup"):
        backup.restore(tmp_path / "b", other)
    assert not (tmp_path / "x.sqlite3").exists()


def test_a_directory_that_is_not_a_backup_is_refused(tmp_path):
    (tmp_path / "photos").mkdir()
    with pytest.raises(BackupError, match="is not a OneThing backup"):
        backup.restore(tmp_path / "photos", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.mark.postgres
def test_a_postgres_restore_that_fails_midway_leaves_the_database_empty(postgres_url, tmp_path):
    """pg_restore runs in one transaction: a dump damaged beyond its digest's notice restores nothing."""
    source = services_on(postgres_url, tmp_path / "audit-key.pem")
    make_record(source)
    manifest = backup.back_up(postgres_url, tmp_path / "b", event_tables(source))
    file = tmp_path / "b" / manifest["file"]
    data = file.read_bytes()
    file.write_bytes(data[: len(data) * 2 // 3])  # its table of contents whole, its data cut off
    manifest.update(backup_contents.digest(file))  # damaged before the digest was taken
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with restore_target(postgres_url, tmp_path) as target:
        with pytest.raises(BackupError, match="pg_restore failed"):
            backup.restore(tmp_path / "b", target)
        assert relations(target) == 0
