"""``onething backup OUT`` and ``onething restore IN --to URL``: a restore that verifies and rebuilds to the
same read models, on SQLite and PostgreSQL; clear refusals with exit status 1 and nothing written."""

from __future__ import annotations

from uuid import UUID

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from tests.infrastructure.backup.backup_fixtures import make_record, read_model_rows, restore_target, services_on
from web.cli import main


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    """Run ``onething`` on a database holding cases, a petition, users and two signed checkpoints."""
    key = tmp_path / "keys" / "audit-key.pem"
    monkeypatch.setenv("ONETHING_DATABASE_URL", database_url)
    monkeypatch.setenv("ONETHING_AUDIT_KEY", str(key))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("db", "init").exit_code == 0
    assert run("audit", "keygen").exit_code == 0
    services = services_on(database_url, key)
    run.record = make_record(services)  # type: ignore[attr-defined]
    added = run("users", "add", "--username", "reviewer-psb", "--password", "Quartz-Lantern-47",
                "--role", "reviewer", "--department", "psb")
    assert added.exit_code == 0, added.output
    assert run("audit", "checkpoint").exit_code == 0
    run.services = services  # type: ignore[attr-defined]
    return run


@pytest.fixture
def target_url(database_url, tmp_path):
    """A new place of the same kind to restore into."""
    with restore_target(database_url, tmp_path) as url:
        yield url


def test_a_restored_backup_verifies_and_rebuilds_to_the_same_read_models(cli, target_url, tmp_path, monkeypatch):
    out = tmp_path / "backups" / "nightly"
    taken = cli("backup", str(out))
    assert taken.exit_code == 0, taken.output
    assert "audit log" in taken.output and "not in it" in taken.output

    restored = cli("restore", str(out), "--to", target_url)
    assert restored.exit_code == 0, restored.output
    assert "as in the manifest: events: Cases" in restored.output
    assert "OK: " in restored.output and "2 checkpoints" in restored.output and "DIFFERS" not in restored.output

    cli.services.runner.catch_up()
    source_rows = read_model_rows(cli.services.settings.database_url)
    monkeypatch.setenv("ONETHING_DATABASE_URL", target_url)
    rebuilt = cli("projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert read_model_rows(target_url) == source_rows
    assert all(source_rows[name] for name in ("rm_cases", "rm_case_items", "rm_petitions", "rm_users"))


def test_restore_refuses_a_place_that_holds_a_database_and_changes_nothing(cli, target_url, tmp_path):
    out = tmp_path / "backup"
    assert cli("backup", str(out)).exit_code == 0
    there = services_on(target_url, tmp_path / "keys" / "audit-key.pem")  # another OneThing, empty but made
    refused = cli("restore", str(out), "--to", target_url)
    assert refused.exit_code == 1
    assert ("is not empty" in refused.output or "exists" in refused.output) and "Traceback" not in refused.output
    assert there.runner.total_events() == 0


def test_restore_runs_audit_verify_and_names_an_event_changed_before_the_backup(cli, target_url, tmp_path):
    pending = cli.record["pending"]
    change_one_byte(cli.services, pending, 3)
    out = tmp_path / "backup"
    assert cli("backup", str(out)).exit_code == 0  # a backup copies what is there, verified or not
    restored = cli("restore", str(out), "--to", target_url)
    assert restored.exit_code == 1
    assert f"BROKEN Cases {pending} at position 3" in restored.output and "FAILED" in restored.output


def test_backup_into_an_existing_path_fails_and_writes_nothing(cli, tmp_path):
    out = tmp_path / "used"
    out.mkdir()
    result = cli("backup", str(out))
    assert result.exit_code == 1 and "exists: choose a new name" in result.output
    assert "Traceback" not in result.output and list(out.iterdir()) == []


@pytest.mark.postgres
def test_backup_without_pg_dump_fails_naming_the_client_to_install(postgres_url, tmp_path, monkeypatch):
    from infrastructure.backup import postgres as backup_postgres

    monkeypatch.setenv("ONETHING_DATABASE_URL", postgres_url)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backup_postgres, "TOOL_DIRS", ())
    services_on(postgres_url, tmp_path / "audit-key.pem")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b")], catch_exceptions=False)
    assert result.exit_code == 1 and "error: no pg_dump for PostgreSQL" in result.output
    assert not (tmp_path / "b").exists()


def test_backup_of_an_unreachable_database_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("ONETHING_DATABASE_URL", "postgresql+psycopg://onething:secret@127.0.0.1:1/onething")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b")], catch_exceptions=False)
    assert result.exit_code == 1 and "error: cannot reach the PostgreSQL database" in result.output
    assert "secret" not in result.output and not (tmp_path / "b").exists()


def change_one_byte(services, case_id: UUID, version: int) -> None:
    """Change one byte of a stored event with SQL, as an insider with database access could."""
    table = services.cases.recorder.events_record_cls.__table__
    where = (table.c.originator_id == case_id) & (table.c.originator_version == version)
    with services.runner.engine.begin() as connection:
        state = bytes(connection.execute(select(table.c.state).where(where)).scalar_one())
        assert b".pdf" in state
        connection.execute(update(table).where(where).values(state=state.replace(b".pdf", b".pdg", 1)))


def test_a_backup_of_the_release_before_the_notifications_store_restores_and_verifies(tmp_path, monkeypatch):
    """A backup taken before the Notifications store existed: restore creates the stores added since."""
    import json
    import sqlite3

    from infrastructure.backup.contents import digest

    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    key = tmp_path / "keys" / "audit-key.pem"
    monkeypatch.setenv("ONETHING_DATABASE_URL", source)
    monkeypatch.setenv("ONETHING_AUDIT_KEY", str(key))
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init"]).exit_code == 0
    assert runner.invoke(main, ["audit", "keygen"]).exit_code == 0
    make_record(services_on(source, key))
    out = tmp_path / "backup"
    assert runner.invoke(main, ["backup", str(out)]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    database = out / manifest["file"]
    with sqlite3.connect(database) as connection:  # as the earlier release wrote it: no such store
        connection.execute("DROP TABLE notifications_events")
    manifest["events"].pop("Notifications")
    manifest.update(digest(database))
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    target = f"sqlite:///{tmp_path / 'restored' / 'onething.sqlite3'}"
    (tmp_path / "restored").mkdir()
    restored = runner.invoke(main, ["restore", str(out), "--to", target], catch_exceptions=False)
    assert restored.exit_code == 0, restored.output
    assert "DIFFERS" not in restored.output and "OK: " in restored.output
