"""Both file stores keep what they are given under its SHA-256, once, and keep nothing they refuse."""

from __future__ import annotations

import hashlib
import io
import stat
from datetime import UTC, datetime, timedelta

import pytest

from application.materials.files import FileMissing, FileTooLarge, StoredFile, UnsupportedFileType
from infrastructure.files.local import FolderFileStore
from tests.infrastructure.files.conftest import leftovers
from tests.infrastructure.files.samples import MINIMAL_JPEG, MINIMAL_PDF, lazy_pdf, minimal_ofd, minimal_png, zip_of

LIMIT = 1 << 20


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_stored_file_reads_back_the_same_bytes_with_its_size_and_type(store):
    stored = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    assert stored == StoredFile(sha(MINIMAL_PDF), len(MINIMAL_PDF), "application/pdf")
    with store.open(stored.sha256) as stream:
        assert stream.read() == MINIMAL_PDF
    assert store.stat(stored.sha256) == stored


def test_the_same_bytes_are_stored_once(store):
    first = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    second = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    assert first == second
    assert [entry.sha256 for entry in store.entries()] == [first.sha256]
    assert len(leftovers(store)) == 1


def test_entries_list_every_stored_file_with_size_and_a_recent_time(store):
    pdf = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    png = store.put(io.BytesIO(minimal_png()), LIMIT)
    listed = {entry.sha256: entry for entry in store.entries()}
    assert set(listed) == {pdf.sha256, png.sha256}
    assert listed[png.sha256].size == png.size
    assert abs(datetime.now(UTC) - listed[pdf.sha256].modified_at) < timedelta(minutes=5)


def test_a_deleted_file_is_gone_and_opening_it_says_so(store):
    stored = store.put(io.BytesIO(MINIMAL_JPEG), LIMIT)
    store.delete(stored.sha256)
    assert store.stat(stored.sha256) is None
    assert list(store.entries()) == []
    with pytest.raises(FileMissing):
        store.open(stored.sha256)
    store.delete(stored.sha256)  # deleting again is harmless


def test_a_name_that_is_not_a_digest_finds_nothing_and_reaches_no_other_path(store):
    with pytest.raises(FileMissing):
        store.open("../../etc/passwd")
    assert store.stat("../secret") is None


@pytest.mark.parametrize("data, media_type", [
    (MINIMAL_PDF, "application/pdf"),
    (MINIMAL_JPEG, "image/jpeg"),
    (minimal_png(), "image/png"),
    (minimal_ofd(), "application/ofd"),
], ids=["pdf", "jpeg", "png", "ofd"])
def test_the_type_is_decided_from_the_content(store, data, media_type):
    assert store.put(io.BytesIO(data), LIMIT).media_type == media_type
    assert store.stat(sha(data)).media_type == media_type


@pytest.mark.parametrize("data, says", [
    (zip_of({"word/document.xml": b"<w/>"}), "ZIP archive without OFD.xml"),
    (zip_of({"Doc_0/OFD.xml": b"<ofd/>"}), "ZIP archive without OFD.xml"),
    (b"just text, although the file was called scan.pdf\n", "not recognised"),
    (b"", "empty"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
], ids=["zip-without-ofd-xml", "ofd-xml-not-at-root", "text-named-pdf", "empty", "gif"])
def test_any_other_content_is_refused_and_nothing_is_kept(store, data, says):
    with pytest.raises(UnsupportedFileType) as refused:
        store.put(io.BytesIO(data), LIMIT)
    assert says in str(refused.value) and "accepted: PDF, JPEG, PNG or OFD" in str(refused.value)
    assert leftovers(store) == []


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(store):
    stream = lazy_pdf(5 * LIMIT)
    with pytest.raises(FileTooLarge) as refused:
        store.put(stream, 2 * LIMIT)
    assert "2 MB" in str(refused.value)
    assert stream.raw.left >= 5 * LIMIT - 2 * LIMIT - (1 << 16) - 1  # stopped reading at the limit
    assert leftovers(store) == []


def test_a_file_exactly_at_the_limit_is_kept(store):
    assert store.put(lazy_pdf(LIMIT), LIMIT).size == LIMIT


def test_a_failure_while_reading_keeps_nothing(store):
    class Broken(io.RawIOBase):
        sent = False

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.sent:
                raise OSError("connection reset by the client")
            self.sent = True
            buffer[:9] = b"%PDF-1.7\n"
            return 9

    with pytest.raises(OSError, match="connection reset"):
        store.put(io.BufferedReader(Broken()), LIMIT)
    assert leftovers(store) == []


def test_a_stored_file_can_be_read_in_chunks_and_closed(store):
    stored = store.put(lazy_pdf(3 * LIMIT + 5), 4 * LIMIT)
    digest = hashlib.sha256()
    with store.open(stored.sha256) as stream:
        while chunk := stream.read(LIMIT):
            digest.update(chunk)
    assert digest.hexdigest() == stored.sha256 and stream.closed


def test_the_folder_keeps_files_private_in_the_ab_cd_layout(tmp_path):
    store = FolderFileStore(tmp_path / "files")
    stored = store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    path = store.root / stored.sha256[:2] / stored.sha256[2:4] / stored.sha256
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert {stat.S_IMODE(p.stat().st_mode) for p in (store.root, path.parent, path.parent.parent)} == {0o700}


def test_the_folder_listing_ignores_an_unfinished_upload(tmp_path):
    store = FolderFileStore(tmp_path / "files")
    store.put(io.BytesIO(MINIMAL_PDF), LIMIT)
    (store.root / ".upload-abandoned").write_bytes(b"%PDF-")
    assert [entry.sha256 for entry in store.entries()] == [sha(MINIMAL_PDF)]


def test_the_bucket_keeps_objects_under_the_prefix_with_their_content_type(s3_endpoint, bucket, spool_dir):
    from infrastructure.files.s3 import S3FileStore
    from tests.infrastructure.files.conftest import s3_client

    client = s3_client(s3_endpoint)
    store = S3FileStore(bucket, "/onething/materials/", client, spool_dir=spool_dir)
    stored = store.put(io.BytesIO(minimal_png()), LIMIT)
    key = f"onething/materials/{stored.sha256[:2]}/{stored.sha256[2:4]}/{stored.sha256}"
    assert client.head_object(Bucket=bucket, Key=key)["ContentType"] == "image/png"
    client.put_object(Bucket=bucket, Key="elsewhere/" + stored.sha256, Body=b"x")  # outside the prefix
    assert [entry.sha256 for entry in store.entries()] == [stored.sha256]
