"""The whole path on an S3-compatible object store (moto, started by the tests on 127.0.0.1): ONETHING_FILES_URL
names a bucket, the API stores an upload there and serves it back, and `audit verify --files` re-reads it from
the bucket and names an object changed behind OneThing's back."""

from __future__ import annotations

import io
import tempfile
import uuid
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import ADMIN, restaurant_file
from tests.infrastructure.files.conftest import S3_ENV, bucket, s3_client, s3_endpoint  # noqa: F401 (fixtures)
from tests.web.conftest import PASSWORD, USERS
from web import create_app
from web.cli import main
from web.services import Settings, build_services

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_uploads_live_in_the_bucket_and_verify_files_reads_them_there(sqlite_url, s3_endpoint, bucket, monkeypatch):
    for name, value in {**S3_ENV, "AWS_ENDPOINT_URL": s3_endpoint, "ONETHING_DATABASE_URL": sqlite_url,
                        "ONETHING_FILES_URL": f"s3://{bucket}/materials"}.items():
        monkeypatch.setenv(name, value)
    key = Path(tempfile.gettempdir()) / f"onething-test-key-{uuid.uuid4().hex}.pem"
    monkeypatch.setenv("ONETHING_AUDIT_KEY", str(key))
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init"]).exit_code == 0
    services = build_services(Settings.from_env())
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    for username, (role, department) in USERS.items():
        services.users.add_user(ADMIN, username, PASSWORD, role, department)
    client = create_app({"SERVICES": services, "TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    token = {u: client.post("/api/v1/auth/token", json={"username": u, "password": PASSWORD}).get_json()["token"]
             for u in ("intake", "amr")}
    case = client.post("/api/v1/cases", headers={"Authorization": f"Bearer {token['intake']}"},
                       json={"bundle": "restaurant-opening", "channel": "window",
                             "applicant": {"name": "泉城小馆", "credit_code": "91110000600037341L"}}).get_json()
    sent = client.post(f"/api/v1/cases/{case['id']}/materials/id-card/files",
                       data={"file": (io.BytesIO(PDF), "id.pdf")}, content_type="multipart/form-data",
                       headers={"Authorization": f"Bearer {token['intake']}"})
    assert sent.status_code == 201, sent.get_json()
    sha = sent.get_json()["sha256"]
    objects = s3_client(s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in objects] == [f"materials/{sha[:2]}/{sha[2:4]}/{sha}"]
    opened = client.get(f"/api/v1/cases/{case['id']}/materials/id-card/files/1",
                        headers={"Authorization": f"Bearer {token['amr']}"})
    assert opened.status_code == 200 and opened.get_data() == PDF

    ok = runner.invoke(main, ["audit", "verify", "--files"])
    assert ok.exit_code == 0, ok.output
    s3_client(s3_endpoint).put_object(Bucket=bucket, Key=f"materials/{sha[:2]}/{sha[2:4]}/{sha}", Body=b"%PDF-x")
    broken = runner.invoke(main, ["audit", "verify", "--files"])
    assert broken.exit_code == 1 and f"CHANGED file {sha}" in broken.output
