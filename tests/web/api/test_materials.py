"""Materials as files through the API: multipart upload, download headers, refusals (413, 415), reuse, vault."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest

from tests.web.conftest import Api

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
                    "9c6360000002000154a24f5d0000000049454e44ae426082")


def upload(api: Api, case_id: str, key: str, data: bytes, name: str, who: str = "intake", **headers: str):
    return api.client.post(f"/api/v1/cases/{case_id}/materials/{key}/files",
                           data={"file": (io.BytesIO(data), name), "reason": "scanned at the window"},
                           content_type="multipart/form-data", headers=api.headers(who, **headers))


def test_an_upload_answers_201_with_the_version_and_the_case_lists_it(api: Api):
    case = api.open_case()
    response = upload(api, case["id"], "id-card", PDF, "法定代表人身份证.pdf")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {k: body[k] for k in ("key", "version", "filename", "size", "media_type", "uploaded_by", "source")} == {
        "key": "id-card", "version": 1, "filename": "法定代表人身份证.pdf", "size": len(PDF),
        "media_type": "application/pdf", "uploaded_by": "intake", "source": "upload"}
    assert len(body["sha256"]) == 64 and body["uploaded_at"]
    listed = api.get(f"/cases/{case['id']}", "amr").get_json()["materials"]
    assert [m["files"] for m in listed if m["key"] == "id-card"] == [[{k: body[k] for k in (
        "version", "filename", "sha256", "size", "media_type", "uploaded_at", "uploaded_by", "source")}]]


def test_the_same_bytes_again_answer_200_with_the_latest_version_and_record_nothing(api: Api):
    case = api.open_case()
    first = upload(api, case["id"], "id-card", PDF, "id.pdf")
    before = api.events()
    again = upload(api, case["id"], "id-card", PDF, "id-again.pdf")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["version"] == 1 and api.events() == before
    api.services.runner.catch_up()
    reused = api.post(f"/cases/{case['id']}/materials/id-card/reuse", {"sha256": first.get_json()["sha256"]}, "intake")
    assert reused.status_code == 200 and api.events() == before


def test_a_download_is_inline_sandboxed_never_sniffed_and_names_the_file_in_utf_8(api: Api):
    case = api.open_case()
    sha = upload(api, case["id"], "id-card", PNG, "营业执照 扫描.png").get_json()["sha256"]
    response = api.get(f"/cases/{case['id']}/materials/id-card/files/1", "amr")
    assert response.status_code == 200 and response.get_data() == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["ETag"] == f'"{sha}"'
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline") and f"filename*=UTF-8''{quote('营业执照 扫描.png')}" in disposition
    assert 'filename="file.png"' in disposition  # the ASCII name for tools that ignore filename*
    attachment = api.get(f"/cases/{case['id']}/materials/id-card/files/1?download=1", "amr")
    assert attachment.headers["Content-Disposition"].startswith("attachment")
    again = api.get(f"/cases/{case['id']}/materials/id-card/files/1", "amr", **{"If-None-Match": f'"{sha}"'})
    assert again.status_code == 304


def test_a_reviewer_of_another_department_may_not_open_a_material(api: Api):
    case = api.open_case()
    upload(api, case["id"], "id-card", PDF, "id.pdf")
    assert api.get(f"/cases/{case['id']}/materials/id-card/files/1", "psb").status_code == 403
    assert api.get(f"/cases/{case['id']}/materials/id-card/files/2", "amr").status_code == 404


@pytest.mark.parametrize("data, name, status", [
    (b"GIF89a not accepted", "scan.pdf", 415),
    (b"plain text with a pdf name", "scan.pdf", 415),
    (PDF + b"\0" * (2 * 1024 * 1024), "large.pdf", 413),
])
def test_a_refused_upload_records_nothing(api: Api, data: bytes, name: str, status: int):
    api.services.materials.max_bytes = 1024 * 1024
    case = api.open_case()
    before = api.events()
    response = upload(api, case["id"], "id-card", data, name)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] in ("unsupported_file_type", "file_too_large", "too_large")
    assert api.events() == before
    assert list(api.services.file_store.entries()) == []


def test_an_upload_to_a_closed_case_is_refused_and_records_nothing(api: Api):
    case = api.open_case()
    assert api.post(f"/cases/{case['id']}/withdraw", {"reason": "applicant withdrew"}, "intake").status_code == 200
    before = api.events()
    assert upload(api, case["id"], "id-card", PDF, "id.pdf").status_code == 409
    assert api.events() == before


def test_a_retried_upload_with_its_idempotency_key_acts_once(api: Api):
    case = api.open_case()
    first = upload(api, case["id"], "id-card", PDF, "id.pdf", **{"Idempotency-Key": "scan-1"})
    before = api.events()
    second = upload(api, case["id"], "id-card", PDF, "id.pdf", **{"Idempotency-Key": "scan-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers.get("Idempotent-Replayed") == "true" and second.get_json() == first.get_json()
    assert api.events() == before


def test_the_vault_is_read_by_intake_and_a_second_case_reuses_from_it(api: Api):
    first = api.open_case()
    sha = upload(api, first["id"], "id-card", PDF, "id.pdf").get_json()["sha256"]
    api.services.runner.catch_up()
    vault = api.get("/applicants/91110000600037341L/vault", "intake")
    assert vault.status_code == 200
    assert [(m["key"], m["sha256"], m["first_case"]) for m in vault.get_json()["materials"]] == \
        [("id-card", sha, first["number"])]
    assert api.get("/applicants/91110000600037341L/vault", "amr").status_code == 403
    second = api.open_case()
    reused = api.post(f"/cases/{second['id']}/materials/id-card/reuse", {"sha256": sha}, "intake")
    assert reused.status_code == 201 and reused.get_json()["source"] == "vault"
    assert api.post(f"/cases/{second['id']}/materials/floor-plan/reuse", {"sha256": "0" * 64},
                    "intake").status_code == 404
    both = api.post(f"/cases/{second['id']}/materials/floor-plan/reuse", {"sha256": sha, "licence": "X"}, "intake")
    assert both.status_code == 422
