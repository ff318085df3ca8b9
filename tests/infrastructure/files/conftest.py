"""The two file stores under test: a folder, and a bucket on a local S3-compatible server (moto)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infrastructure.files.local import FolderFileStore
from infrastructure.files.s3 import S3FileStore

S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port, for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str):  # noqa: ANN201 (a boto3 client)
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing", region_name="us-east-1")


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A new empty bucket."""
    name = f"onething-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    """Where the S3 store spools uploads (checked to be empty after a refusal)."""
    folder = tmp_path / "spool"
    folder.mkdir()
    return folder


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FolderFileStore | S3FileStore:
    """Each file store, empty."""
    if request.param == "folder":
        return FolderFileStore(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3FileStore(request.getfixturevalue("bucket"), "materials", s3_client(endpoint),
                       spool_dir=request.getfixturevalue("spool_dir"))


def leftovers(store: FolderFileStore | S3FileStore) -> list[str]:
    """Anything a store holds: every file under the folder (temporary ones too) or every object in the bucket,
    and for S3 whatever is left in its spool folder."""
    if isinstance(store, FolderFileStore):
        return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file()) \
            if store.root.exists() else []
    listed = store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    assert store.spool_dir is not None
    return sorted([item["Key"] for item in listed] + [f"spool:{p.name}" for p in store.spool_dir.iterdir()])
