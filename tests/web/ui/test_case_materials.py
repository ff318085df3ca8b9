"""The case page's materials: each version with who gave it when, opened inline; intake uploads a new version
(补正) or reuses one from the applicant's vault; a refused file is shown in words and records nothing."""

from __future__ import annotations

import io

from domain.shared.values import Actor, Role
from tests.web.ui.test_supervision import open_case

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
INTAKE = Actor("intake", Role.INTAKE)


def test_intake_uploads_a_new_version_and_the_page_lists_every_version_with_its_link(ui):
    case_id = open_case(ui.services, "YJS-MATERIALS-1", accept=False)
    ui.login_as("intake")
    page = ui.client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'action="/cases/{case_id}/materials/floor-plan/files"' in page and "data-upload" in page
    sent = ui.post(f"/cases/{case_id}/materials/floor-plan/files",
                   {"file": [(io.BytesIO(PDF + b"1"), "plan-v2.pdf"), (io.BytesIO(PDF + b"2"), "plan-v3.pdf")]},
                   content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(as_text=True)
    files = ui.services.cases.reads.get_case(INTAKE, case_id).materials["floor-plan"].files
    assert [(f.filename, f.source) for f in files][-2:] == [("plan-v2.pdf", "upload"), ("plan-v3.pdf", "upload")]
    shown = ui.client.get(f"/cases/{case_id}").get_data(as_text=True)
    last = files[-1].version
    assert f'href="/cases/{case_id}/materials/floor-plan/files/{last}"' in shown and "plan-v3.pdf" in shown
    opened = ui.client.get(f"/cases/{case_id}/materials/floor-plan/files/{last}")
    assert opened.status_code == 200 and opened.get_data() == PDF + b"2"
    assert opened.headers["Content-Security-Policy"] == "sandbox"


def test_a_file_of_another_type_is_refused_in_words_and_records_nothing(ui):
    case_id = open_case(ui.services, "YJS-MATERIALS-2", accept=False)
    ui.login_as("intake")
    before = ui.services.runner.total_events()
    refused = ui.post(f"/cases/{case_id}/materials/floor-plan/files",
                      {"file": (io.BytesIO(b"<html>not a scan</html>"), "plan.pdf")},
                      content_type="multipart/form-data")
    assert refused.status_code == 415
    assert "PDF" in refused.get_data(as_text=True)
    assert ui.services.runner.total_events() == before


def test_reviewers_see_versions_but_no_upload_form(ui):
    case_id = open_case(ui.services, "YJS-MATERIALS-3")
    ui.login_as("amr")
    page = ui.client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "data-upload" not in page
    assert ui.post(f"/cases/{case_id}/materials/floor-plan/files", {"file": (io.BytesIO(PDF), "x.pdf")},
                   content_type="multipart/form-data").status_code == 403


def test_intake_reuses_a_file_of_the_applicants_vault_with_one_button(ui):
    first = open_case(ui.services, "YJS-MATERIALS-4", accept=False)
    ui.services.materials.upload(INTAKE, first, "floor-plan", io.BytesIO(PDF + b"vault"), "平面图.pdf")
    ui.services.runner.catch_up()
    second = open_case(ui.services, "YJS-MATERIALS-5", accept=False)
    ui.login_as("intake")
    page = ui.client.get(f"/cases/{second}").get_data(as_text=True)
    sha = ui.services.cases.reads.get_case(INTAKE, first).materials["floor-plan"].sha256
    assert f'value="{sha}"' in page
    reused = ui.post(f"/cases/{second}/materials/floor-plan/reuse", {"sha256": sha})
    assert reused.status_code == 303
    latest = ui.services.cases.reads.get_case(INTAKE, second).materials["floor-plan"].files[-1]
    assert (latest.source, latest.sha256) == ("vault", sha)
