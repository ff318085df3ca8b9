"""``S3FileStore``: files kept in a bucket of any S3-compatible object store as ``prefix/ab/cd/<sha256>``.

An upload is read into a local temporary file first (the same ``spooled`` reading as the folder store: hash,
size limit, type from the content), then uploaded with boto3's transfer manager (multipart when large) with
its ``ContentType``; an object already holding those bytes is not uploaded again.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from application.materials.files import FileEntry, FileMissing, StoredFile
from infrastructure.files.layout import is_digest, relative_key
from infrastructure.files.spool import CHUNK, spooled

# Multipart above 16 MiB, in 16 MiB parts, four at a time: bounded memory, still parallel.
TRANSFER = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20, max_concurrency=4)
_ABSENT = {"404", "NoSuchKey", "NotFound"}


class S3FileStore:
    """A ``FileStore`` in an S3 bucket; ``client`` is a boto3 S3 client."""

    def __init__(self, bucket: str, prefix: str, client: Any, spool_dir: str | Path | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.spool_dir = Path(spool_dir) if spool_dir is not None else None

    def __repr__(self) -> str:
        return f"S3FileStore(s3://{self.bucket}/{self.prefix})"

    def key(self, sha256: str) -> str:
        """The object key of a stored file."""
        relative = relative_key(sha256)
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def put(self, stream: BinaryIO, max_bytes: int) -> StoredFile:
        """Keep ``stream``'s bytes under their SHA-256 (see ``FileStore.put``)."""
        directory = self.spool_dir or Path(tempfile.gettempdir())
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with spooled(stream, max_bytes, directory) as upload:
            key = self.key(upload.sha256)
            if self._head(key) is None:
                self.client.upload_file(str(upload.path), self.bucket, key, Config=TRANSFER,
                                        ExtraArgs={"ContentType": upload.media_type})
            else:  # kept again: a fresh LastModified, so `files gc` leaves it to the event about to name it
                self.client.copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": key},
                                        MetadataDirective="REPLACE", ContentType=upload.media_type)
            return StoredFile(upload.sha256, upload.size, upload.media_type)

    def open(self, sha256: str) -> BinaryIO:
        """The object's bytes as a buffered stream read from the network as it is read; ``FileMissing``."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as error:
            if _code(error) in _ABSENT:
                raise FileMissing(f"no stored file {sha256} in s3://{self.bucket}/{self.prefix}") from None
            raise
        return io.BufferedReader(_BodyStream(body), buffer_size=CHUNK)

    def stat(self, sha256: str) -> StoredFile | None:
        """Size and type (the object's ``ContentType``), or None."""
        try:
            head = self._head(self.key(sha256))
        except FileMissing:
            return None
        if head is None:
            return None
        return StoredFile(sha256, int(head["ContentLength"]), str(head.get("ContentType", "")))

    def entries(self) -> Iterator[FileEntry]:
        """Every stored object under the prefix that is named by a digest."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""):
            for item in page.get("Contents", []):
                name = str(item["Key"]).rsplit("/", 1)[-1]
                if is_digest(name):
                    yield FileEntry(name, int(item["Size"]), item["LastModified"])

    def delete(self, sha256: str) -> None:
        """Remove the object (nothing happens if it is already gone)."""
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _ABSENT:
                return None
            raise
        return head


class _BodyStream(io.RawIOBase):
    """botocore's ``StreamingBody`` as a raw binary stream, so that it can be buffered and closed."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
