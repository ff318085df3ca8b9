"""A backup holds the stored files, checked while copied; a restore puts the same files into an empty store."""

from __future__ import annotations

import hashlib
import io
import json
import stat

import pytest

from infrastructure.backup import archive as backup
from infrastructure.files.local import FolderFileStore
from tests.conftest import make_services
from tests.infrastructure.backup.backup_fixtures import event_tables
from tests.infrastructure.files.samples import MINIMAL_JPEG, MINIMAL_PDF, lazy_pdf, minimal_ofd, minimal_png

LIMIT = 8 << 20


@pytest.fixture
def source(sqlite_url):
    """A OneThing database (the file part does not depend on which kind)."""
    return make_services(sqlite_url)


def fill(store) -> dict[str, bytes]:
    """Store a file of each type and a 3 MB one; return them by digest."""
    data = [MINIMAL_PDF, MINIMAL_JPEG, minimal_png(), minimal_ofd(), lazy_pdf(3 << 20).read()]
    for item in data:
        store.put(io.BytesIO(item), LIMIT)
    return {hashlib.sha256(item).hexdigest(): item for item in data}


def contents(store) -> dict[str, bytes]:
    found = {}
    for entry in store.entries():
        with store.open(entry.sha256) as stream:
            found[entry.sha256] = stream.read()
    return found


def test_a_backup_with_files_restores_the_same_files_into_an_empty_store(store, source, tmp_path):
    kept = fill(store)
    out = tmp_path / "backup"
    steps: list[tuple[int, int]] = []
    manifest = backup.back_up(source.settings.database_url, out, event_tables(source),
                              progress=lambda done, total: steps.append((done, total)), files=store)
    assert manifest["files"] == {"count": 5, "bytes": sum(map(len, kept.values())), "damaged": []}
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"] == manifest["files"]
    assert sorted(p.name for p in (out / "files").iterdir()) == sorted(kept)
    assert {stat.S_IMODE(p.stat().st_mode) for p in (out / "files").iterdir()} == {0o600}
    assert stat.S_IMODE((out / "files").stat().st_mode) == 0o700
    assert (5, 5) in steps

    target = FolderFileStore(tmp_path / "restored-files")
    restored = backup.restore(out, f"sqlite:///{tmp_path / 'restored.sqlite3'}", files=target)
    assert restored["files_restored"] == {"count": 5, "bytes": manifest["files"]["bytes"], "differences": []}
    assert contents(target) == kept


def test_a_stored_file_damaged_before_the_backup_is_named_and_left_out(source, tmp_path):
    store = FolderFileStore(tmp_path / "files")
    kept = fill(store)
    damaged = hashlib.sha256(MINIMAL_PDF).hexdigest()
    (store.root / damaged[:2] / damaged[2:4] / damaged).write_bytes(b"%PDF-changed")
    manifest = backup.back_up(source.settings.database_url, tmp_path / "backup", event_tables(source), files=store)
    assert manifest["files"]["damaged"] == [damaged] and manifest["files"]["count"] == len(kept) - 1
    assert not (tmp_path / "backup" / "files" / damaged).exists()


def test_a_file_damaged_in_the_backup_differs_and_is_not_restored(source, tmp_path):
    store = FolderFileStore(tmp_path / "files")
    kept = fill(store)
    out = tmp_path / "backup"
    backup.back_up(source.settings.database_url, out, event_tables(source), files=store)
    damaged = hashlib.sha256(minimal_png()).hexdigest()
    (out / "files" / damaged).write_bytes(MINIMAL_PDF + b"%")
    target = FolderFileStore(tmp_path / "restored-files")
    restored = backup.restore(out, f"sqlite:///{tmp_path / 'restored.sqlite3'}", files=target)
    differences = restored["files_restored"]["differences"]
    assert differences[0].startswith(f"file {damaged}: its bytes hash to ") and "not restored" in differences[0]
    assert differences[1].startswith("files: 5 (") and "4 (" in differences[1]
    assert set(contents(target)) == set(kept) - {damaged}


def test_a_backup_without_files_still_restores_and_says_the_files_are_not_in_it(source, tmp_path):
    out = tmp_path / "backup"
    manifest = backup.back_up(source.settings.database_url, out, event_tables(source))
    assert "files" not in manifest and any("ONETHING_FILES_URL" in item for item in manifest["not_included"])
    assert not (out / "files").exists()
    target = FolderFileStore(tmp_path / "restored-files")
    restored = backup.restore(out, f"sqlite:///{tmp_path / 'restored.sqlite3'}", files=target)
    assert restored["files_restored"] == {"count": 0, "bytes": 0, "differences": []}
    assert list(target.entries()) == []
