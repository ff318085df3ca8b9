"""``files gc`` removes only old files no event refers to; ``verify_files`` names changed and missing files."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

from application.materials.files import FileRef
from infrastructure.files.gc import collect_garbage
from infrastructure.files.local import FolderFileStore
from infrastructure.files.verify import FileProblem, verify_files
from tests.infrastructure.files.samples import MINIMAL_JPEG, MINIMAL_PDF, minimal_ofd, minimal_png

LIMIT = 1 << 20


def ref(sha256: str, number: str = "YW-2026-000001", key: str = "licence-application", version: int = 1) -> FileRef:
    return FileRef(sha256=sha256, case_id=f"id-{number}", case_number=number, key=key, version=version)


def test_gc_removes_only_unreferenced_files_older_than_a_day(store):
    referenced = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    orphan = store.put(io.BytesIO(minimal_png()), LIMIT)
    now = datetime.now(UTC)

    today = collect_garbage(store, {referenced.sha256}, now=now)
    assert (today.kept, today.removed, today.bytes_freed, today.recent) == (2, [], 0, 1)

    later = collect_garbage(store, {referenced.sha256}, now=now + timedelta(days=1, minutes=5))
    assert (later.kept, later.removed, later.bytes_freed) == (1, [orphan.sha256], orphan.size)
    assert [entry.sha256 for entry in store.entries()] == [referenced.sha256]


def test_a_dry_run_of_gc_names_what_it_would_remove_and_removes_nothing(store):
    orphan = store.put(io.BytesIO(MINIMAL_JPEG), LIMIT)
    report = collect_garbage(store, set(), now=datetime.now(UTC) + timedelta(days=2), dry_run=True)
    assert report.removed == [orphan.sha256] and report.bytes_freed == orphan.size
    assert store.stat(orphan.sha256) is not None


def test_verify_finds_nothing_wrong_with_intact_files(store):
    stored = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    assert verify_files(store, [ref(stored.sha256), ref(stored.sha256, "YW-2026-000002")]) == []


def test_verify_names_each_reference_to_a_file_whose_bytes_were_changed_or_that_is_gone(tmp_path):
    store = FolderFileStore(tmp_path / "files")
    changed = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    gone = store.put(io.BytesIO(minimal_ofd()), LIMIT)
    intact = store.put(io.BytesIO(minimal_png()), LIMIT)
    path = store.root / changed.sha256[:2] / changed.sha256[2:4] / changed.sha256
    path.write_bytes(MINIMAL_PDF.replace(b"Count 0", b"Count 1"))  # one byte changed on disk
    store.delete(gone.sha256)
    refs = [ref(changed.sha256, "YW-1"), ref(intact.sha256, "YW-2"), ref(gone.sha256, "YW-3", "floor-plan", 2),
            ref(changed.sha256, "YW-4", "id-card")]
    problems = verify_files(store, refs)
    assert problems == [FileProblem(refs[0], "changed"), FileProblem(refs[2], "missing"),
                        FileProblem(refs[3], "changed")]
    assert str(problems[1]) == (f"MISSING file {gone.sha256} of case YW-3 (id-YW-3), material floor-plan version 2")


def test_verify_reads_each_stored_file_once_however_many_events_name_it(store):
    stored = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    opened: list[str] = []
    real_open = store.open

    def counting_open(sha256):
        opened.append(sha256)
        return real_open(sha256)

    store.open = counting_open
    assert verify_files(store, [ref(stored.sha256, f"YW-{n}") for n in range(5)]) == []
    assert opened == [stored.sha256]


def test_verify_names_a_file_overwritten_in_the_folder_or_the_bucket(store):
    stored = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    if isinstance(store, FolderFileStore):
        path = store.root / stored.sha256[:2] / stored.sha256[2:4] / stored.sha256
        path.write_bytes(b"%PDF-overwritten")
    else:
        store.client.put_object(Bucket=store.bucket, Key=store.key(stored.sha256), Body=b"%PDF-overwritten")
    assert [p.problem for p in verify_files(store, [ref(stored.sha256)])] == ["changed"]
    assert hashlib.sha256(b"%PDF-overwritten").hexdigest() != stored.sha256



def test_an_old_orphan_stored_again_for_a_new_event_is_not_collected(tmp_path):
    import os

    store = FolderFileStore(tmp_path / "files")
    sha = store.put(io.BytesIO(MINIMAL_PDF), 1 << 20).sha256
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).timestamp()
    os.utime(store.root / sha[:2] / sha[2:4] / sha, (three_days_ago, three_days_ago))
    assert collect_garbage(store, set(), dry_run=True).removed == [sha]  # an orphan of a refused form …
    store.put(io.BytesIO(MINIMAL_PDF), 1 << 20)  # … stored again: its event is about to be recorded
    assert collect_garbage(store, set()).removed == [] and store.stat(sha) is not None


def test_bytes_stored_again_in_a_bucket_get_a_fresh_last_modified(store):
    import time

    sha = store.put(io.BytesIO(MINIMAL_PDF), 1 << 20).sha256
    before = next(e for e in store.entries() if e.sha256 == sha).modified_at
    time.sleep(1.1)  # S3 keeps LastModified to the second
    store.put(io.BytesIO(MINIMAL_PDF), 1 << 20)
    assert next(e for e in store.entries() if e.sha256 == sha).modified_at > before
