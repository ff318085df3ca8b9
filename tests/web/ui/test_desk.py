"""The intake desk: bundles, roadmap, opening a case through the form, the receipt, the credit-code check."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest

from tests.conftest import ADMIN, INTAKE, VALID_CODE, sample_file
from tests.web.ui.test_foundation import TRACEBACK

OPEN = "/desk/bundles/restaurant-opening/open"
PAGES = ["/desk", "/desk?q=restaurant", "/desk/bundles/restaurant-opening", OPEN]


def stored_events(ui) -> int:
    """How many events every store holds: a refused form must leave it as it was (no case, no material)."""
    return ui.services.runner.total_events()


def opened_case(ui, response):
    """The case a successful form opened (the receipt's address names it)."""
    assert response.status_code == 303, response.get_data(as_text=True)
    case_id = re.fullmatch(r"/desk/cases/([0-9a-f-]+)/receipt", response.headers["Location"]).group(1)
    return ui.services.cases.reads.get_case(INTAKE, case_id)


def form(**fields: str) -> dict[str, str]:
    """A good form for the restaurant bundle: the ID card received, nothing excused."""
    return {"applicant_name": "泉城小馆餐饮有限公司", "credit_code": VALID_CODE, "channel": "window",
            "received-id-card": "on", "filename-id-card": "身份证复印件.pdf", "reason": "", **fields}


# Who may open the desk ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role, status", [("intake", 200), ("reviewer", 403), ("supervisor", 403),
                                          ("auditor", 403), ("admin", 403)])
def test_the_desk_is_for_intake_officers(ui, path, role, status):
    ui.login_as(role)
    response = ui.client.get(path)
    assert response.status_code == status
    assert not TRACEBACK.search(response.get_data(as_text=True))


@pytest.mark.parametrize("path", PAGES + ["/desk/cases/00000000-0000-0000-0000-000000000000/receipt"])
def test_anonymous_visitors_are_sent_to_sign_in(ui, path):
    response = ui.client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/desk")


def test_posting_to_the_desk_needs_the_intake_role(ui):
    ui.login_as("reviewer")
    before = stored_events(ui)
    assert ui.post(OPEN, form()).status_code == 403
    assert ui.post("/desk/check-code", {"credit_code": VALID_CODE}).status_code == 403
    assert stored_events(ui) == before


def test_intake_officers_start_on_the_desk(ui):
    ui.login_as("intake")
    assert ui.client.get("/").headers["Location"] == "/desk"
    assert 'href="/desk"' in ui.page("/home") and "受理窗口" in ui.page("/desk")


# The bundle list ---------------------------------------------------------------------------------
def test_the_list_shows_each_bundle_with_its_items_and_total_time_limit(ui):
    ui.login_as("intake")
    page = ui.page("/desk")
    assert "开餐馆一件事" in page and "Open a restaurant" in page and "6 个工作日" in page
    assert 'href="/desk/bundles/restaurant-opening/open"' in page
    ui.client.get("/lang/en")
    assert "Open a restaurant" in ui.page("/desk") and "6 working days" in ui.page("/desk")


def test_the_search_narrows_the_list_and_says_when_nothing_matches(ui):
    ui.login_as("intake")
    assert "开餐馆一件事" in ui.page("/desk?q=餐馆") and "开餐馆一件事" in ui.page("/desk?q=RESTAURANT")
    page = ui.page("/desk?q=bakery")
    assert "没有与“bakery”相符的一件事" in page and "开餐馆一件事" not in page


def test_a_page_past_the_last_shows_the_last(ui):
    ui.login_as("intake")
    page = ui.page("/desk?page=99")
    assert "开餐馆一件事" in page and "第 1 页，共 1 页" in page


def test_htmx_search_gets_the_table_alone(ui):
    ui.login_as("intake")
    fragment = ui.client.get("/desk?q=restaurant", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "开餐馆一件事" in fragment and "<html" not in fragment


def test_with_no_bundle_published_the_list_says_so(ui):
    ui.login_as("intake")
    with ui.services.runner.engine.begin() as connection:  # this test's read model only
        connection.exec_driver_sql("DELETE FROM rm_bundles")
    assert "尚未发布任何一件事" in ui.page("/desk")


# The bundle and its roadmap ----------------------------------------------------------------------
def test_the_roadmap_orders_items_by_prerequisite_and_marks_the_critical_path(ui):
    ui.login_as("intake")
    page = ui.page("/desk/bundles/restaurant-opening?start=2025-03-03")  # a Monday
    assert page.index("营业执照") < page.index("食品经营许可")
    assert page.count('class="critical"') == 2 and "关键路径" in page
    assert "营业执照 → 食品经营许可" in page
    assert "2025-03-04" in page  # the licence ends the next working day; the permit starts then
    assert "2025-03-11" in page and "6 个工作日" in page  # earliest completion
    assert "可容缺" in page and "经营场所平面图" in page and "市场监督管理局" in page


def test_only_the_longest_chain_is_the_critical_path(ui):
    ui.services.catalogue.publish_file(sample_file("foreign-talent.json"), ADMIN)
    ui.services.runner.catch_up()
    ui.login_as("intake")
    page = ui.page("/desk/bundles/foreign-talent?start=2025-03-03")
    rows = re.findall(r'<tr class="(critical|)">\s*<td>([^<]+)', page)
    critical = [name.strip() for mark, name in rows if mark]
    assert len(rows) == 3 and len(critical) == 2  # the work permit, then the residence permit; not insurance
    assert "12 个工作日" in page and "2025-03-19" in page


def test_a_bad_start_date_is_named_next_to_its_field(ui):
    ui.login_as("intake")
    page = ui.page("/desk/bundles/restaurant-opening?start=not-a-date", status=422)
    assert 'id="field-start-error"' in page and "营业执照" in page
    assert 'id="field-start-error"' in ui.page("/desk/bundles/restaurant-opening?start=1900-01-01", status=422)


def test_an_unknown_bundle_is_a_404_page(ui):
    ui.login_as("intake")
    page = ui.page("/desk/bundles/no-such-bundle", status=404)
    assert "<html" in page and not TRACEBACK.search(page)
    assert ui.client.get("/desk/bundles/no-such-bundle/open").status_code == 404


def test_a_roadmap_in_an_unknown_year_is_provisional(ui):
    ui.login_as("intake")
    assert "暂定" in ui.page("/desk/bundles/restaurant-opening?start=2099-06-01")


# Opening a case ----------------------------------------------------------------------------------
def test_the_form_shows_every_material_and_offers_deficiency_only_where_allowed(ui):
    ui.login_as("intake")
    page = ui.page(OPEN)
    assert 'name="received-id-card"' in page and 'name="received-floor-plan"' in page
    assert 'name="excuse-floor-plan"' in page and 'name="excuse-id-card"' not in page
    assert 'hx-post="/desk/check-code"' in page and 'enctype="multipart/form-data"' in page


def test_opening_a_restaurant_case_records_its_materials(ui):
    ui.login_as("intake")
    response = ui.post(OPEN, form(**{"received-floor-plan": "on", "filename-floor-plan": "plan.pdf"}),
                       content_type="multipart/form-data")
    case = opened_case(ui, response)
    assert case.applicant == {"name": "泉城小馆餐饮有限公司", "credit_code": VALID_CODE}
    assert case.owner == "intake" and case.channel == "window" and set(case.items) == {"business-licence",
                                                                                        "food-permit"}
    assert case.materials["id-card"].filename == "身份证复印件.pdf"
    assert case.materials["id-card"].sha256 == hashlib.sha256(
        f"{case.number}\n身份证复印件.pdf".encode()).hexdigest()
    assert case.materials["floor-plan"].filename == "plan.pdf" and not case.deficiencies


def test_an_attached_scan_is_stored_and_recorded_by_its_digest_and_name(ui):
    ui.login_as("intake")
    scan = b"%PDF-1.4 scanned id card"
    data = {**form(**{"filename-id-card": ""}), "file-id-card": (io.BytesIO(scan), "scans/id.pdf")}
    response = ui.post(OPEN, data, content_type="multipart/form-data")
    case = opened_case(ui, response)
    assert case.materials["id-card"].to_dict() == {**case.materials["id-card"].to_dict(), "filename": "id.pdf",
                                                   "sha256": hashlib.sha256(scan).hexdigest()}
    (version,) = case.materials["id-card"].files
    assert (version.source, version.media_type, version.size) == ("upload", "application/pdf", len(scan))
    opened = ui.client.get(f"/cases/{case.id}/materials/id-card/files/1")
    assert opened.status_code == 200 and opened.get_data() == scan


def test_a_scan_larger_than_the_apis_limit_is_accepted_at_the_desk(ui):
    ui.login_as("intake")
    scan = b"%PDF-1.4\n" + b"x" * (200 * 1024)
    data = {**form(), "file-id-card": (io.BytesIO(scan), "id.pdf")}
    case = opened_case(ui, ui.post(OPEN, data, content_type="multipart/form-data"))
    assert case.materials["id-card"].sha256 == hashlib.sha256(scan).hexdigest()


def test_several_files_of_one_material_become_its_versions_in_order(ui):
    ui.login_as("intake")
    pages = [b"%PDF-1.4 page one", b"%PDF-1.4 page two"]
    data = {**form(**{"filename-id-card": ""}),
            "file-id-card": [(io.BytesIO(pages[0]), "id-front.pdf"), (io.BytesIO(pages[1]), "id-back.pdf")]}
    case = opened_case(ui, ui.post(OPEN, data, content_type="multipart/form-data"))
    assert [(f.version, f.filename, f.sha256) for f in case.materials["id-card"].files] == [
        (1, "id-front.pdf", hashlib.sha256(pages[0]).hexdigest()),
        (2, "id-back.pdf", hashlib.sha256(pages[1]).hexdigest())]


def test_a_scan_that_is_not_pdf_jpeg_png_or_ofd_is_refused_and_no_case_is_opened(ui):
    ui.login_as("intake")
    before = stored_events(ui)
    data = {**form(), "file-id-card": (io.BytesIO(b"MZ\x90\x00 a program"), "id.pdf")}
    response = ui.post(OPEN, data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PDF, JPEG, PNG" in response.get_data(as_text=True) or "PDF、JPEG" in response.get_data(as_text=True)
    assert stored_events(ui) == before and list(ui.services.file_store.entries()) == []


def test_a_form_refused_for_another_field_stores_none_of_its_scans(ui):
    ui.login_as("intake")
    data = {**form(credit_code="91110000600037341X"), "file-id-card": (io.BytesIO(b"%PDF-1.4 id"), "id.pdf")}
    assert ui.post(OPEN, data, content_type="multipart/form-data").status_code == 422
    assert list(ui.services.file_store.entries()) == []


def test_the_desk_offers_the_vault_and_a_file_chosen_from_it_is_reused(ui):
    ui.login_as("intake")
    scan = b"%PDF-1.4 the id card, once"
    first = opened_case(ui, ui.post(OPEN, {**form(), "file-id-card": (io.BytesIO(scan), "id.pdf")},
                                    content_type="multipart/form-data"))
    ui.services.runner.catch_up()
    sha = hashlib.sha256(scan).hexdigest()
    offers = ui.client.get(f"/desk/bundles/restaurant-opening/vault?credit_code={VALID_CODE}")
    assert offers.status_code == 200 and f'value="file:{sha}"' in offers.get_data(as_text=True)
    before = len(list(ui.services.file_store.entries()))
    second = opened_case(ui, ui.post(OPEN, form(**{"received-id-card": "", "filename-id-card": "",
                                                    "reuse-id-card": f"file:{sha}"}),
                                     content_type="multipart/form-data"))
    (version,) = second.materials["id-card"].files
    assert (version.source, version.sha256, version.filename) == ("vault", sha, "身份证复印件.pdf")
    assert second.number != first.number and len(list(ui.services.file_store.entries())) == before
    refused = ui.post(OPEN, form(**{"reuse-id-card": "file:" + "0" * 64}), content_type="multipart/form-data")
    assert refused.status_code == 422


def test_an_excusable_material_is_accepted_with_deficiency_and_a_due_date(ui):
    ui.login_as("intake")
    due = ui.services.clock.today() + timedelta(days=10)
    response = ui.post(OPEN, form(**{"excuse-floor-plan": "on", "supplement_due": due.isoformat(),
                                     "reason": "平面图正在绘制"}))
    case = opened_case(ui, response)
    assert case.deficiencies == {"floor-plan": due} and "floor-plan" not in case.materials


def test_a_bad_credit_code_is_named_next_to_its_field_and_opens_no_case(ui):
    ui.login_as("intake")
    before = stored_events(ui)
    response = ui.post(OPEN, form(credit_code="91110000600037341X"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="field-credit_code-error">校验码' in page
    assert 'value="泉城小馆餐饮有限公司"' in page and "checked" in page  # what was entered stays
    assert stored_events(ui) == before


def test_excusing_a_material_that_must_be_received_is_refused_and_opens_no_case(ui):
    ui.login_as("intake")
    before = stored_events(ui)
    due = (ui.services.clock.today() + timedelta(days=5)).isoformat()
    response = ui.post(OPEN, form(**{"received-id-card": "", "excuse-id-card": "on", "supplement_due": due,
                                     "reason": "忘带了"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="material-id-card-error">该材料不能容缺' in page
    assert stored_events(ui) == before


@pytest.mark.parametrize("fields, field, words", [
    ({"applicant_name": ""}, "field-applicant_name-error", "请输入申请人名称"),
    ({"channel": "carrier-pigeon"}, "field-channel-error", "请选择"),
    ({"filename-id-card": ""}, "material-id-card-error", "请输入文件名"),
    ({"excuse-floor-plan": "on", "supplement_due": "2000-01-01", "reason": "x"}, "field-supplement_due-error",
     "补正期限须晚于今天"),
    ({"excuse-floor-plan": "on", "supplement_due": "soon", "reason": "x"}, "field-supplement_due-error", "请输入"),
    ({"excuse-floor-plan": "on", "supplement_due": "2999-01-01"}, "field-reason-error", "请说明"),
    ({"excuse-floor-plan": "on", "received-floor-plan": "on", "filename-floor-plan": "p.pdf",
      "supplement_due": "2999-01-01", "reason": "x"}, "material-floor-plan-error", "不能同时"),
])
def test_each_wrong_field_is_named_and_nothing_is_saved(ui, fields, field, words):
    ui.login_as("intake")
    before = stored_events(ui)
    response = ui.post(OPEN, form(**fields))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}">' in page, page
    assert words in page.split(f'id="{field}">', 1)[1].split("</p>", 1)[0]
    assert stored_events(ui) == before and not TRACEBACK.search(page)


def test_a_rule_only_the_domain_knows_is_shown_as_a_form_error_and_nothing_is_saved(ui, monkeypatch):
    ui.login_as("intake")
    before = stored_events(ui)
    monkeypatch.setattr("web.ui.desk.forms.MAX_NAME", 10_000)
    response = ui.post(OPEN, form(applicant_name="名" * 2001))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="form-error"' in page and stored_events(ui) == before


def test_a_form_without_its_csrf_token_is_refused(ui):
    ui.login_as("intake")
    before = stored_events(ui)
    assert ui.post(OPEN, form(), csrf=False).status_code == 400
    assert stored_events(ui) == before


# The credit-code check ---------------------------------------------------------------------------
def test_the_credit_code_check_answers_a_fragment(ui):
    ui.login_as("intake")
    valid = ui.post("/desk/check-code", {"credit_code": VALID_CODE.lower()}, headers={"HX-Request": "true"})
    assert valid.status_code == 200 and "有效" in valid.get_data(as_text=True)
    assert "<html" not in valid.get_data(as_text=True)
    short = ui.post("/desk/check-code", {"credit_code": "123"}).get_data(as_text=True)
    assert "无效" in short and "18" in short and "3" in short
    checksum = ui.post("/desk/check-code", {"credit_code": "91110000600037341X"}).get_data(as_text=True)
    assert "无效" in checksum and "校验码" in checksum
    letters = ui.post("/desk/check-code", {"credit_code": "9111000060003734IO"}).get_data(as_text=True)
    assert "无效" in letters
    assert ui.post("/desk/check-code", {"credit_code": ""}).get_data(as_text=True).strip() == ""


# The receipt -------------------------------------------------------------------------------------
def test_the_receipt_shows_the_number_items_materials_and_a_qr_code(ui):
    ui.login_as("intake")
    due = ui.services.clock.today() + timedelta(days=10)
    response = ui.post(OPEN, form(**{"excuse-floor-plan": "on", "supplement_due": due.isoformat(),
                                     "reason": "平面图正在绘制"}))
    case = opened_case(ui, response)
    page = ui.page(response.headers["Location"])
    assert case.number in page and "泉城小馆餐饮有限公司" in page and "开餐馆一件事" in page
    assert "<svg" in page and "http://localhost/progress" in page and "data-print" in page
    assert "营业执照" in page and "食品经营许可" in page and "食品经营许可科" in page
    assert "身份证复印件.pdf" in page and due.isoformat() in page and "王受理" in page
    case_due = case.due
    assert case_due.isoformat() in page
    assert f"办件 {case.number} 已受理" in page  # the flash after opening


def test_an_unknown_case_has_no_receipt(ui):
    ui.login_as("intake")
    assert ui.client.get("/desk/cases/not-a-uuid/receipt").status_code == 404


def test_the_receipt_speaks_english_too(ui):
    ui.login_as("intake")
    response = ui.post(OPEN, form())
    ui.client.get("/lang/en")
    page = ui.page(response.headers["Location"])
    assert "Receipt of intake" in page and "Open a restaurant" in page and "Market Regulation" in page
    assert "Not yet received" in page and "经营场所平面图" in page  # the floor plan: no English name in the file
