"""``onething audit verify --files``: every stored file an event names is read again; a changed one is named."""

from __future__ import annotations

import io
import tempfile
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.application.helpers import open_restaurant
from tests.conftest import ADMIN, INTAKE, restaurant_file
from web.cli import main
from web.services import Settings, build_services

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    """``onething`` and services sharing one database and one file store."""
    files, key = tmp_path / "files", Path(tempfile.gettempdir()) / f"onething-test-key-{uuid.uuid4().hex}.pem"
    for name, value in (("ONETHING_DATABASE_URL", database_url), ("ONETHING_AUDIT_KEY", str(key)),
                        ("ONETHING_FILES_URL", str(files))):
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("db", "init").exit_code == 0
    services = build_services(Settings(database_url=database_url, secret_key="test", audit_key=str(key),
                                       files_url=str(files)))
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    run.services = services  # type: ignore[attr-defined]
    run.files = files  # type: ignore[attr-defined]
    return run


def test_verify_files_passes_on_intact_files_and_names_a_file_whose_bytes_changed_on_disk(cli):
    services = cli.services
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", io.BytesIO(PDF + b"id"), "id.pdf")
    services.materials.upload(INTAKE, case_id, "floor-plan", io.BytesIO(PDF + b"plan"), "plan.pdf")
    services.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "paper.pdf", "ab" * 32)  # paper: no file
    ok = cli("audit", "verify", "--files")
    assert ok.exit_code == 0, ok.output
    assert "FILES OK: 2 files of 2 material versions re-read, 0 changed or missing" in ok.output

    plan = services.cases.reads.get_case(INTAKE, case_id).materials["floor-plan"].files[0]
    path = cli.files / plan.sha256[:2] / plan.sha256[2:4] / plan.sha256
    path.write_bytes(PDF + b"plan, altered")
    broken = cli("audit", "verify", "--files")
    assert broken.exit_code == 1
    assert f"CHANGED file {plan.sha256} of case " in broken.output and "material floor-plan version 1" in broken.output
    assert "id-card" not in broken.output.split("FILES BROKEN")[0]

    path.unlink()
    gone = cli("audit", "verify", "--files")
    assert gone.exit_code == 1 and f"MISSING file {plan.sha256}" in gone.output
    assert cli("audit", "verify").exit_code == 0  # without --files, the files are not read


def test_an_audit_bundle_with_files_verifies_offline_and_names_a_file_changed_in_it(cli, tmp_path):
    import subprocess
    import sys

    services = cli.services
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", io.BytesIO(PDF + b"id"), "id.pdf")
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    made = cli("audit", "bundle", str(out), "--files")
    assert made.exit_code == 0, made.output
    assert "1 stored files" in made.output
    sha = services.cases.reads.get_case(INTAKE, case_id).materials["id-card"].sha256
    assert (out / "files" / sha).read_bytes() == PDF + b"id"

    def verify():
        return subprocess.run([sys.executable, str(out / "verifier.py"), str(out)], capture_output=True, text=True)

    ok = verify()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 stored files" in ok.stdout and "warning" not in ok.stdout
    (out / "files" / sha).write_bytes(PDF + b"id, forged")
    forged = verify()
    assert forged.returncode == 1 and f"PROBLEM: file {sha}" in forged.stdout and "its bytes changed" in forged.stdout


def test_a_backup_restored_into_a_new_database_and_file_store_passes_verify_files(cli, tmp_path, monkeypatch):
    from tests.infrastructure.backup.backup_fixtures import restore_target

    services = cli.services
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", io.BytesIO(PDF + b"id"), "id.pdf")
    services.materials.upload(INTAKE, case_id, "floor-plan", io.BytesIO(PDF + b"plan"), "plan.pdf")
    assert cli("audit", "keygen").exit_code == 0
    taken = cli("backup", str(tmp_path / "backup"))
    assert taken.exit_code == 0, taken.output
    url = services.settings.database_url
    with restore_target(url, tmp_path) as target:
        monkeypatch.setenv("ONETHING_FILES_URL", str(tmp_path / "restored-files"))
        restored = cli("restore", str(tmp_path / "backup"), "--to", target)
        assert restored.exit_code == 0, restored.output
        assert "FILES OK: 2 files of 2 material versions re-read" in restored.output
        monkeypatch.setenv("ONETHING_DATABASE_URL", target)
        assert cli("audit", "verify", "--files").exit_code == 0
        (tmp_path / "restored-files").joinpath(*_path_of(services, case_id, "id-card")).write_bytes(b"%PDF- no")
        assert cli("audit", "verify", "--files").exit_code == 1


def _path_of(services, case_id: str, key: str) -> tuple[str, str, str]:
    sha = services.cases.reads.get_case(INTAKE, case_id).materials[key].sha256
    return sha[:2], sha[2:4], sha


def test_the_offline_verifier_finds_a_file_whose_line_was_dropped_from_the_bundle(cli, tmp_path):
    import json
    import subprocess
    import sys

    services = cli.services
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", io.BytesIO(PDF + b"id"), "id.pdf")
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "bundle"
    assert cli("audit", "bundle", str(out), "--files").exit_code == 0
    sha = services.cases.reads.get_case(INTAKE, case_id).materials["id-card"].sha256
    (out / "files" / sha).write_bytes(PDF + b"forged")
    lines = [json.loads(line) for line in (out / "files.jsonl").read_text().splitlines()]
    (out / "files.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines if x["sha256"] != sha))
    dropped = subprocess.run([sys.executable, str(out / "verifier.py"), str(out)], capture_output=True, text=True)
    assert dropped.returncode == 1 and f"PROBLEM: file {sha}: named by" in dropped.stdout
    (out / "files.jsonl").unlink()
    without = subprocess.run([sys.executable, str(out / "verifier.py"), str(out)], capture_output=True, text=True)
    assert "events name stored files, but the bundle was written without them" in without.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the default store beside it is SQLite's
def test_a_restore_into_a_new_sqlite_file_keeps_its_files_beside_it_by_default(cli, tmp_path, monkeypatch):
    services = cli.services
    case_id = str(open_restaurant(services))
    services.materials.upload(INTAKE, case_id, "id-card", io.BytesIO(PDF + b"id"), "id.pdf")
    assert cli("audit", "keygen").exit_code == 0
    assert cli("backup", str(tmp_path / "backup")).exit_code == 0
    monkeypatch.delenv("ONETHING_FILES_URL")  # the default: `files` beside the (restored) database
    target = tmp_path / "elsewhere" / "restored.sqlite3"
    target.parent.mkdir()
    restored = cli("restore", str(tmp_path / "backup"), "--to", f"sqlite:///{target}")
    assert restored.exit_code == 0, restored.output
    sha = services.cases.reads.get_case(INTAKE, case_id).materials["id-card"].sha256
    assert (target.parent / "files" / sha[:2] / sha[2:4] / sha).read_bytes() == PDF + b"id"
    assert "FILES OK: 1 files of 1 material versions re-read" in restored.output
