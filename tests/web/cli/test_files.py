"""``onething files gc`` and the stored files in ``onething backup`` / ``onething restore``."""

from __future__ import annotations

import io
import os
import time

import pytest
from click.testing import CliRunner

from application.materials.files import FileRef
from infrastructure.files.local import FolderFileStore
from tests.infrastructure.files.samples import MINIMAL_JPEG, MINIMAL_PDF, minimal_png
from web.cli import main
from web.services import Services

LIMIT = 1 << 20


@pytest.fixture
def cli(sqlite_url, tmp_path, monkeypatch):
    """``onething`` on a new database, its files in ``tmp_path/files``."""
    monkeypatch.setenv("ONETHING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ONETHING_AUDIT_KEY", str(tmp_path / "keys" / "audit-key.pem"))
    monkeypatch.setenv("ONETHING_FILES_URL", str(tmp_path / "files"))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("db", "init").exit_code == 0
    return run


def stored_days_ago(store: FolderFileStore, data: bytes, days: float) -> str:
    sha256 = store.put(io.BytesIO(data), LIMIT).sha256
    then = time.time() - days * 86_400
    os.utime(store.root / sha256[:2] / sha256[2:4] / sha256, (then, then))
    return sha256


def test_files_gc_removes_old_unreferenced_files_and_says_what_it_freed(cli, tmp_path, monkeypatch):
    store = FolderFileStore(tmp_path / "files")
    referenced = stored_days_ago(store, MINIMAL_PDF, 10)
    orphan = stored_days_ago(store, MINIMAL_JPEG, 2)
    recent = stored_days_ago(store, minimal_png(), 0.1)
    monkeypatch.setattr(Services, "referenced_files",
                        lambda self: [FileRef(referenced, "case-id", "YW-2026-000001", "licence-application", 1)])

    dry = cli("files", "gc", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would remove {orphan}" in dry.output and f"{len(MINIMAL_JPEG):,} bytes to free" in dry.output
    assert store.stat(orphan) is not None

    done = cli("files", "gc")
    assert done.exit_code == 0, done.output
    assert f"removed {orphan}\n" in done.output
    assert "kept 2 (1 of them unreferenced but stored within a day), removed 1" in done.output
    assert {entry.sha256 for entry in store.entries()} == {referenced, recent}


def test_files_gc_on_an_unknown_store_url_fails_clearly(cli, monkeypatch):
    monkeypatch.setenv("ONETHING_FILES_URL", "ftp://files.internal/onething")
    refused = cli("files", "gc")
    assert refused.exit_code == 1
    assert "s3://bucket/prefix" in refused.output and "Traceback" not in refused.output


def test_backup_and_restore_carry_the_stored_files(cli, tmp_path, monkeypatch):
    store = FolderFileStore(tmp_path / "files")
    kept = {store.put(io.BytesIO(data), LIMIT).sha256 for data in (MINIMAL_PDF, minimal_png())}
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "backup"
    taken = cli("backup", str(out))
    assert taken.exit_code == 0, taken.output
    assert "stored files from FolderFileStore(" in taken.output and ": 2, " in taken.output

    monkeypatch.setenv("ONETHING_FILES_URL", str(tmp_path / "restored-files"))
    restored = cli("restore", str(out), "--to", f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    assert restored.exit_code == 0, restored.output
    assert "stored files into FolderFileStore(" in restored.output and "DIFFERS" not in restored.output
    assert {entry.sha256 for entry in FolderFileStore(tmp_path / "restored-files").entries()} == kept


def test_restore_names_a_file_damaged_in_the_backup_and_exits_1(cli, tmp_path, monkeypatch):
    store = FolderFileStore(tmp_path / "files")
    damaged = store.put(io.BytesIO(MINIMAL_PDF), LIMIT).sha256
    assert cli("audit", "keygen").exit_code == 0
    out = tmp_path / "backup"
    assert cli("backup", str(out)).exit_code == 0
    (out / "files" / damaged).write_bytes(MINIMAL_PDF + b"\n")
    monkeypatch.setenv("ONETHING_FILES_URL", str(tmp_path / "restored-files"))
    restored = cli("restore", str(out), "--to", f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    assert restored.exit_code == 1
    assert f"DIFFERS file {damaged}: its bytes hash to" in restored.output
    assert list(FolderFileStore(tmp_path / "restored-files").entries()) == []


def test_the_file_store_and_upload_limit_come_from_the_environment(tmp_path):
    from infrastructure.files.local import FolderFileStore as Folder
    from web.services import Settings, file_store_of

    settings = Settings.from_env({"ONETHING_DATABASE_URL": "sqlite://", "ONETHING_FILES_URL": f"file://{tmp_path}/f",
                                  "ONETHING_MAX_UPLOAD_MB": "20"})
    assert (settings.files_url, settings.max_upload_mb) == (f"file://{tmp_path}/f", 20)
    store = file_store_of(settings)
    assert isinstance(store, Folder) and store.root == tmp_path / "f"
    assert Settings.from_env({"ONETHING_DATABASE_URL": "sqlite://"}).max_upload_mb == 50
