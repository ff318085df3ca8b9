"""In a real browser, materials as documents (issue 13): the desk attaches a PDF, a reviewer opens it from the
case page, the same applicant's second case takes it from the vault instead of a new upload, and the e-licence
its completed first case issued downloads from the case page and verifies offline.

The tests run in file order and share what they made (``made``). Completing the first case goes through the
application (the reviewers' clicks are the flows of ``test_flows.py``); everything of documents is clicks.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from application.demo.loader import demo_credit_code, demo_pdf
from domain.shared.values import Actor, Role
from tests.browser.conftest import shot, sign_in, sign_out

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail when ONETHING_REQUIRE_BROWSER=1
    expect = None

CREDIT_CODE = demo_credit_code(88)
APPLICANT = "泉城文档测试餐饮有限公司"
SCAN = demo_pdf("Applicant ID of the documents test")


@pytest.fixture(scope="module")
def made() -> dict[str, Any]:
    return {}


def open_at_the_desk(page: Any, attach: Path | None, reuse: bool = False) -> str:
    """Open a restaurant case for the test's applicant at the desk; return its id."""
    page.goto("/desk/bundles/restaurant-opening/open")
    page.fill("#field-applicant_name", APPLICANT)
    page.fill("#field-credit_code", CREDIT_CODE)
    page.locator("#field-credit_code").dispatch_event("change")
    if reuse:  # the vault's offers arrive as the credit code is entered
        choice = page.locator("select[name='reuse-applicant-id']")
        expect(choice).to_be_visible()
        values = [o.get_attribute("value") for o in choice.locator("option").all()]
        choice.select_option(next(v for v in values if v and v.startswith("file:")))
    if attach is not None:
        page.locator("input[name='file-applicant-id']").set_input_files(str(attach))
    page.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("受理回执")
    return re.search(r"/desk/cases/([^/]+)/receipt", page.url).group(1)


def test_the_desk_attaches_a_pdf_and_a_reviewer_opens_it_from_the_case_page(page, server, made, tmp_path):
    scan = tmp_path / "法定代表人身份证.pdf"
    scan.write_bytes(SCAN)
    sign_in(page, "window1")
    made["first"] = open_at_the_desk(page, scan)
    sign_out(page)

    sign_in(page, "reviewer-amr")
    page.goto(f"/cases/{made['first']}")
    row = page.locator("#material-applicant-id")
    link = row.get_by_role("link", name="法定代表人身份证.pdf")
    expect(link).to_be_visible()
    expect(row).to_contain_text("第 1 版")
    shot(page, "case-materials")
    opened = page.request.get(link.get_attribute("href"))
    assert opened.status == 200 and opened.body() == SCAN
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.headers["content-disposition"].startswith("inline")
    assert opened.headers["x-content-type-options"] == "nosniff"
    viewer = page.context.new_page()  # the link opens a tab: Chromium's PDF viewer shows it (sandboxed, not blocked)
    shown = viewer.goto(link.get_attribute("href"))
    assert shown.status == 200 and "blocked" not in viewer.content().lower()
    viewer.wait_for_timeout(500)
    shot(viewer, "material-pdf")
    viewer.close()
    sign_out(page)


def test_the_applicants_second_case_takes_the_file_from_its_vault(page, server, made):
    if "first" not in made:
        pytest.fail("needs the first case of this module's first test")
    server.services.runner.catch_up()
    files_before = len(list(server.services.file_store.entries()))
    sign_in(page, "window1")
    second = open_at_the_desk(page, None, reuse=True)
    page.goto(f"/cases/{second}")
    expect(page.locator("#material-applicant-id")).to_contain_text("法定代表人身份证.pdf")
    expect(page.locator("#material-applicant-id")).to_contain_text("从数字保险箱复用")
    shot(page, "case-reused")
    sign_out(page)
    case = server.services.cases.reads.get_case(Actor("window1", Role.INTAKE), second)
    (version,) = case.materials["applicant-id"].files
    assert version.source == "vault"
    assert len(list(server.services.file_store.entries())) == files_before  # nothing stored twice


def test_the_e_licence_of_the_completed_case_downloads_and_verifies_offline(page, server, made, tmp_path):
    if "first" not in made:
        pytest.fail("needs the first case of this module's first test")
    services, case_id = server.services, made["first"]
    for key in services.cases.load(case_id).material_defs:
        if key != "applicant-id":
            services.materials.upload(Actor("window1", Role.INTAKE), case_id, key, io.BytesIO(demo_pdf(key)),
                                      f"{key}.pdf")
    for code in ("business-licence", "food-permit", "seal-engraving"):
        department = services.cases.load(case_id).items[code].department
        reviewer = services.users.user(f"reviewer-{department}").as_actor()
        services.cases.review.accept_item(reviewer, case_id, code)
        if code == "food-permit":
            services.cases.review.record_inspection(reviewer, case_id, code, "video", True)
        services.cases.review.approve_item(reviewer, case_id, code, "材料齐全")
    services.runner.catch_up()

    sign_in(page, "window1")
    page.goto(f"/cases/{case_id}")
    expect(page.locator(".case-header .badge-completed")).to_be_visible()
    link = page.locator("#item-business-licence").get_by_role("link", name="电子证照（PDF）")
    expect(link).to_be_visible()
    download = page.request.get(link.get_attribute("href"))
    assert download.status == 200 and download.headers["content-type"] == "application/pdf"
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(download.body())
    public_key = tmp_path / "licence-public.pem"
    public_key.write_bytes(services.licences.signer.public_pem())
    onething = Path(sys.executable).parent / "onething"  # offline: no database, the published key only
    checked = subprocess.run([str(onething), "certificates", "verify", str(licence), "--public-key", str(public_key)],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "GENUINE" in checked.stdout
    sign_out(page)
