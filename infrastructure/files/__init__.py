"""The file stores (``application.materials.files.FileStore``): a local folder or an S3-compatible bucket.

``file_store_from_url`` reads ``ONETHING_FILES_URL``: empty for ``instance/files``, a path or ``file://…`` for a
folder, ``s3://bucket/prefix`` for a bucket (boto3's usual settings; the endpoint of a non-AWS store from
``AWS_ENDPOINT_URL`` or ``ONETHING_S3_ENDPOINT_URL``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from application.materials.files import FileStore
from infrastructure.files.local import FolderFileStore


class FileStoreConfigError(ValueError):
    """Raised when ``ONETHING_FILES_URL`` names no file store OneThing knows."""


ACCEPTED_FORMS = "empty (instance/files), a folder path, file:///path/to/folder, or s3://bucket/prefix"


def file_store_from_url(url: str, instance_dir: str | Path = "instance",
                        environ: Mapping[str, str] | None = None) -> FileStore:
    """The file store ``url`` names; raises ``FileStoreConfigError`` (a ``ValueError``) naming the accepted forms
    for anything else."""
    url = url.strip()
    if not url:
        return FolderFileStore(Path(instance_dir) / "files")
    if "://" not in url:
        return FolderFileStore(Path(url))
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path:
        return FolderFileStore(Path(unquote(parts.path)))
    if parts.scheme == "s3" and parts.netloc:
        return _s3_store(parts.netloc, parts.path.strip("/"), os.environ if environ is None else environ)
    raise FileStoreConfigError(f"ONETHING_FILES_URL {url!r} is not a file store: use {ACCEPTED_FORMS}")


def _s3_store(bucket: str, prefix: str, environ: Mapping[str, str]) -> FileStore:
    import boto3  # only where a bucket is configured

    from infrastructure.files.s3 import S3FileStore

    endpoint = environ.get("AWS_ENDPOINT_URL") or environ.get("ONETHING_S3_ENDPOINT_URL") or None
    session = boto3.session.Session(aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
                                    aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
                                    region_name=environ.get("AWS_DEFAULT_REGION"))  # None: boto3's own lookup
    return S3FileStore(bucket, prefix, session.client("s3", endpoint_url=endpoint))
