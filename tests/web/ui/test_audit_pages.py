"""The auditor's pages: case search, the audit log, a case's timeline, replay, diff, verify and exports."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import AMR, VALID_CODE
from web.ui.audit.words import problem_words

TRACEBACK = re.compile(r"Traceback|File \"/|\.py\", line")
HTMX = {"HX-Request": "true"}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def recorded(ui):
    """A case with its licence approved (with a reason; the approval issues its certificate) and an open one,
    projected; signed in as the auditor."""
    services = ui.services
    done = open_restaurant(services, reason="申请人现场递交")
    submit_all(services, done)
    services.cases.review.accept_item(AMR, done, "business-licence")
    services.cases.review.approve_item(AMR, done, "business-licence", reason="材料齐全，符合条件")
    open_one = open_restaurant(services)
    services.runner.catch_up()
    ui.login_as("auditor")
    return ui, str(done), str(open_one)


def case_page(ui, case_id: str, suffix: str = "", status: int = 200, **kwargs) -> str:
    response = ui.client.get(f"/audit/cases/{case_id}{suffix}", **kwargs)
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


# Who may open the pages ---------------------------------------------------------------------------
PAGES = ["/audit", "/audit/log", "/audit/cases/{id}", "/audit/cases/{id}/replay?version=1",
         "/audit/cases/{id}/diff?from=1&to=1", "/audit/cases/{id}/export.json", "/audit/cases/{id}/export.csv"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role, status", [(None, 302), ("intake", 403), ("reviewer", 403), ("supervisor", 403),
                                          ("admin", 403), ("auditor", 200)])
def test_the_audit_pages_are_for_auditors_only(ui, path, role, status):
    case_id = str(open_restaurant(ui.services))
    ui.services.runner.catch_up()
    if role:
        ui.login_as(role)
    path = path.format(id=case_id)
    response = ui.client.get(path)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login?next=/audit")
    if status == 403:
        page = response.get_data(as_text=True)
        assert "无权访问此页面" in page and not TRACEBACK.search(page)


@pytest.mark.parametrize("path", ["/audit/verify", "/audit/cases/{id}/verify"])
@pytest.mark.parametrize("role, status", [(None, 302), ("reviewer", 403), ("admin", 403), ("auditor", 200)])
def test_verifying_is_for_auditors_only(ui, path, role, status):
    case_id = str(open_restaurant(ui.services))
    if role:
        ui.login_as(role)
    assert ui.post(path.format(id=case_id)).status_code == status


def test_the_header_links_auditors_to_the_audit_pages(ui):
    ui.login_as("auditor")
    assert ui.client.get("/").headers["Location"] == "/audit"
    assert 'href="/audit"' in ui.page("/audit/log")
    ui.logout()
    ui.login_as("supervisor")
    assert 'href="/audit"' not in ui.page("/home")


def test_an_unknown_case_is_a_page_in_words(recorded):
    ui, _, _ = recorded
    for case_id in ("3f2b0c1e-0000-4000-8000-000000000000", "not-a-case"):
        page = case_page(ui, case_id, status=404)
        assert "页面不存在" in page and not TRACEBACK.search(page)


# Searching cases ----------------------------------------------------------------------------------
def test_cases_are_found_by_number_applicant_credit_code_and_status(recorded):
    ui, done, open_one = recorded
    number = ui.services.cases.load(done).number
    assert f'href="/audit/cases/{done}"' in ui.page(f"/audit?q={number}")
    assert f'href="/audit/cases/{open_one}"' not in ui.page(f"/audit?q={number}")
    both = ui.page("/audit?q=泉城小馆")
    assert done in both and open_one in both
    assert done in ui.page(f"/audit?q={VALID_CODE}&bundle=restaurant-opening&status=open")
    assert "没有符合条件的办件" in ui.page("/audit?status=withdrawn")


def test_a_bad_search_filter_is_named_next_to_its_field(recorded):
    ui, _, _ = recorded
    page = ui.page("/audit?status=lost&bundle=nothing", status=422)
    assert 'id="field-status-error"' in page and 'id="field-bundle-error"' in page


def test_without_cases_the_search_says_so(ui):
    ui.login_as("auditor")
    assert "暂无办件" in ui.page("/audit")


def test_the_case_list_is_paginated(ui):
    for _ in range(21):
        open_restaurant(ui.services)
    ui.services.runner.catch_up()
    ui.login_as("auditor")
    first = ui.page("/audit")
    assert first.count('href="/audit/cases/') == 20 and 'href="/audit?page=2"' in first
    assert ui.page("/audit?page=2").count('href="/audit/cases/') == 1


# The audit log ------------------------------------------------------------------------------------
def log_rows(html: str) -> int:
    return html.count("<time datetime=")


def test_the_audit_log_filters_by_case_user_department_and_time(recorded):
    ui, done, open_one = recorded
    number = ui.services.cases.load(done).number
    by_case = ui.page(f"/audit/log?case={number}")
    assert log_rows(by_case) == ui.services.cases.load(done).version and number in by_case
    assert log_rows(ui.page(f"/audit/log?case={open_one}")) == 1
    by_reviewer = [e for e in ui.services.cases.reads.history(ui.services.users.user("auditor").as_actor(), done)
                   if e["actor"]["user_id"] == "li-amr"]
    assert len(by_reviewer) >= 3
    assert log_rows(ui.page("/audit/log?actor=li-amr")) == len(by_reviewer)
    assert log_rows(ui.page("/audit/log?department=amr")) == len(by_reviewer)
    case = ui.services.cases.load(done)
    opened = case.created_on.astimezone(ZoneInfo(ui.services.settings.timezone))  # the form's days are local
    tomorrow = (opened + timedelta(days=1)).date().isoformat()
    assert log_rows(ui.page(f"/audit/log?since={tomorrow}")) == 0
    assert "没有符合条件的事件" in ui.page(f"/audit/log?since={tomorrow}")
    assert log_rows(ui.page(f"/audit/log?until={opened.date().isoformat()}&case={number}")) == case.version
    assert log_rows(ui.page(f"/audit/log?until={opened.isoformat(timespec='seconds')[:19]}&case={number}")) == 0


def test_a_bad_log_filter_is_named_next_to_its_field(recorded):
    ui, _, _ = recorded
    page = ui.page("/audit/log?case=NO-SUCH-CASE&since=yesterday", status=422)
    assert 'id="field-case-error">没有该编号的办件' in page and 'id="field-since-error"' in page
    page = ui.page("/audit/log?since=2025-03-05T10:00&until=2025-03-05T09:00", status=422)
    assert 'id="field-until-error"' in page


def test_the_audit_log_is_paginated(recorded):
    ui, _, _ = recorded
    for _ in range(3):
        complete_restaurant(ui.services, open_restaurant(ui.services))
    ui.services.runner.catch_up()
    first = ui.page("/audit/log")
    total = ui.services.queries.audit_log(ui.services.users.user("auditor").as_actor()).total
    assert total > 50 and log_rows(first) == 50 and 'href="/audit/log?page=2"' in first
    assert log_rows(ui.page("/audit/log?page=2")) == total - 50
    assert "泉城小馆" not in first  # the log names cases by number, not by applicant


# The timeline -------------------------------------------------------------------------------------
def test_the_timeline_tells_who_did_what_when_and_why_in_chinese_then_english(recorded):
    ui, done, _ = recorded
    page = case_page(ui, done)
    words = text_of(page)
    history = ui.services.cases.reads.history(ui.services.users.user("auditor").as_actor(), done)
    assert "开办了办件" in words and "批准了事项「营业执照」" in words
    assert "材料齐全，符合条件" in words and "申请人现场递交" in words
    assert "审查员" in words and "市场监督管理局" in words  # the reviewer's role and department in words
    assert f'title="{history[-1]["hash"]}"' in page and history[-1]["hash"][:12] in words
    assert f'title="{history[1]["prev_hash"]}"' in page and 'id="event-6"' in page
    assert history[-1]["hash"] in page.split("Chain head")[0] or history[-1]["hash"] in page
    ui.client.get("/lang/en")
    words = text_of(case_page(ui, done))
    assert "opened case" in words and "approved item business-licence" in words and "开办了办件" not in words
    assert "Market Regulation" in words and "Reviewer" in words


def test_the_case_page_shows_the_chain_head(recorded):
    ui, done, _ = recorded
    head = ui.services.cases.reads.chain_head(done)
    assert re.search(rf'<code class="hash" title="{head}">{head}</code>', case_page(ui, done))


# Replay -------------------------------------------------------------------------------------------
def item_status(html: str, code: str) -> str:
    row = re.search(rf'<tr data-item="{code}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {code}"
    return re.search(r'class="badge badge-(\w+)"', row.group(1)).group(1)


def test_replay_at_a_version_shows_the_case_as_it_stood(recorded):
    ui, done, _ = recorded
    fragment = case_page(ui, done, "/replay?version=1", headers=HTMX)
    assert "<html" not in fragment and 'id="replay-panel"' in fragment
    assert item_status(fragment, "business-licence") == "waiting" and "第 1 个事件之后的状态" in fragment
    assert "尚未提交任何材料" in fragment and "restaurant-opening" in fragment
    now = case_page(ui, done, f"/replay?version={ui.services.cases.load(done).version}", headers=HTMX)
    assert item_status(now, "business-licence") == "approved"
    whole = case_page(ui, done, "/replay?version=3")  # without htmx: the whole page, the panel filled in
    assert "<html" in whole and item_status(whole, "business-licence") == "waiting" and "id-card.pdf" in whole


def test_replay_at_an_instant_shows_the_last_state_by_then(recorded):
    ui, done, _ = recorded
    history = ui.services.cases.reads.history(ui.services.users.user("auditor").as_actor(), done)
    approval = next(e for e in history if e["type"] == "ItemApproved")
    instant = (approval["at"] + timedelta(microseconds=1)).isoformat()  # after the approval, before what followed
    fragment = case_page(ui, done, f"/replay?as_of={quote(instant)}", headers=HTMX)
    assert item_status(fragment, "business-licence") == "approved"
    assert f"第 {approval['position']} 个事件之后（共 {len(history)} 个）" in fragment
    certificates = re.search(r'<tr data-item="business-licence">.*?</tr>', fragment, re.S).group(0)
    assert "-01-1" not in certificates  # issued by the next event (CertificatesIssued) of the same command
    assert "-01-1" in case_page(ui, done, f"/replay?version={len(history)}", headers=HTMX)


def test_replay_before_the_case_was_opened_says_it_did_not_exist_yet(recorded):
    ui, done, _ = recorded
    response = ui.client.get(f"/audit/cases/{done}/replay?as_of=2000-01-01T08:00", headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "该办件尚不存在" in page and not TRACEBACK.search(page)
    assert "无权访问" not in page and "页面不存在" not in page


def test_a_bad_replay_choice_is_named_next_to_its_field(recorded):
    ui, done, _ = recorded
    assert 'id="field-as_of-error"' in case_page(ui, done, "/replay?as_of=soon", status=422)
    assert 'id="field-version-error"' in case_page(ui, done, "/replay?version=99", status=422)
    fragment = case_page(ui, done, "/replay?version=0", headers=HTMX)  # htmx swaps only a 200
    assert 'id="field-version-error"' in fragment


# Diff ---------------------------------------------------------------------------------------------
def test_the_diff_shows_the_changed_item_in_the_uis_language(recorded):
    ui, done, _ = recorded
    last = ui.services.cases.load(done).version
    fragment = case_page(ui, done, f"/diff?from=1&to={last}", headers=HTMX)
    assert "事项「business-licence」状态：待受理 → 已批准" in fragment
    assert re.search(r"<td>营业执照</td><td>状态</td><td>[^<]+</td><td>已批准</td>", fragment)
    assert "id-card.pdf" in fragment
    ui.client.get("/lang/en")
    fragment = case_page(ui, done, f"/diff?from=1&to={last}", headers=HTMX)
    assert "item business-licence status: waiting → approved" in fragment
    assert re.search(r"<td>营业执照</td><td>status</td><td>Waiting</td><td>Approved</td>", fragment)


def test_a_diff_of_a_version_with_itself_is_empty_and_a_reversed_one_is_refused(recorded):
    ui, done, _ = recorded
    assert "这两个时点之间没有变化" in case_page(ui, done, "/diff?from=2&to=2", headers=HTMX)
    page = case_page(ui, done, "/diff?from=3&to=1", status=422)
    assert 'id="field-from-error"' in page and "<html" in page


# Verify -------------------------------------------------------------------------------------------
def tamper(services, case_id: str, version: int) -> None:
    """Change one byte of a stored event's data by hand, as tests/infrastructure/audit/test_tamper.py does."""
    table = services.cases.recorder.events_record_cls.__table__
    where = (table.c.originator_id == services.cases.load(case_id).id) & (table.c.originator_version == version)
    with services.runner.engine.begin() as connection:
        state = bytes(connection.execute(select(table.c.state).where(where)).scalar_one())
        assert b".pdf" in state
        connection.execute(update(table).where(where).values(state=state.replace(b".pdf", b".pdg", 1)))


def test_verify_says_ok_then_names_the_tampered_position(recorded):
    ui, done, open_one = recorded
    response = ui.post(f"/audit/cases/{done}/verify", headers=HTMX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert "校验通过" in fragment and "verify-ok" in fragment
    tamper(ui.services, done, 2)
    fragment = ui.post(f"/audit/cases/{done}/verify", headers=HTMX).get_data(as_text=True)
    assert "发现篡改" in fragment and 'class="broken-position">第 2 个事件' in fragment
    assert "存储的内容与其哈希值不再一致" in fragment
    page = ui.post(f"/audit/cases/{done}/verify").get_data(as_text=True)  # without htmx: the whole page
    assert "<html" in page and "第 2 个事件" in page
    assert "校验通过" in ui.post(f"/audit/cases/{open_one}/verify", headers=HTMX).get_data(as_text=True)


def test_verify_needs_the_forms_csrf_token(recorded):
    ui, done, _ = recorded
    assert ui.post(f"/audit/cases/{done}/verify", csrf=False).status_code == 400


def test_the_whole_record_verify_shows_its_counts_and_what_is_broken(recorded):
    ui, done, _ = recorded
    number = ui.services.cases.load(done).number
    fragment = ui.post("/audit/verify", headers=HTMX).get_data(as_text=True)
    assert "校验通过" in fragment and "已校验办件：2" in fragment
    events = ui.services.runner.total_events()
    assert f"已校验事件：{events}" in fragment
    tamper(ui.services, done, 2)
    page = ui.post("/audit/verify").get_data(as_text=True)
    assert "<html" in page and "发现篡改" in page and number in page and f"/audit/cases/{done}#event-2" in page


# Exports ------------------------------------------------------------------------------------------
def test_the_history_downloads_as_json_and_csv(recorded):
    ui, done, _ = recorded
    number = ui.services.cases.load(done).number
    response = ui.client.get(f"/audit/cases/{done}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{number}-audit.json"'
    report = json.loads(response.get_data(as_text=True))
    assert report["case"]["number"] == number and report["verify"]["ok"] is True
    csv = ui.client.get(f"/audit/cases/{done}/export.csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    assert csv.get_data(as_text=True).lstrip("\ufeff").startswith('"position","at","type"')  # every cell quoted
    assert ui.client.get(f"/audit/cases/{done}/export.xml").status_code == 404


def test_the_history_downloads_as_pdf(recorded):
    pytest.importorskip("weasyprint", exc_type=ImportError)
    ui, done, _ = recorded
    response = ui.client.get(f"/audit/cases/{done}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")


def test_a_missing_pdf_renderer_is_a_page_in_words(recorded, monkeypatch):
    ui, done, _ = recorded

    def no_pdf(report):
        raise RuntimeError("PDF export needs the system Pango library")

    monkeypatch.setattr(ui.services.audit.ports, "render_pdf", no_pdf)
    response = ui.client.get(f"/audit/cases/{done}/export.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "PDF 导出" in page and "Pango" not in page


def test_links_on_the_case_page_lead_to_the_exports(recorded):
    ui, done, _ = recorded
    page = case_page(ui, done)
    for fmt in ("json", "csv", "pdf"):
        assert f'href="/audit/cases/{done}/export.{fmt}"' in page



@pytest.mark.parametrize("problem, words", [
    ("its stored content does not match its hash", "存储的内容与其哈希值不再一致"),
    ("version 3 is missing (the next stored is 4)", "第 3 个事件缺失：存储中的下一个是第 4 个事件"),
    ("does not link to the previous event (prev_hash)", "未与前一事件相链接"),
    ("missing from the store (logged at position 12)", "审计日志在第 12 条记录过它"),
    ("missing from the store (logged at position 12, whose row is now X version 2)", "审计日志在第 12 条记录过它"),
    ("differs from the audit log (position 7)", "日志第 7 条"),
    ("not in the audit log (log position 7 names X version 1 for its row)", "日志第 7 条对应其存储行的是另一个事件"),
    ("audit log: no entry at position 5 (9 entries, positions up to 10): log rows were deleted or moved",
     "审计日志第 5 条缺失"),
    ("checkpoint of size 40: the signature does not verify", "覆盖 40 条记录的检查点签名校验未通过"),
    ("checkpoint of size 40: the log's first 40 positions no longer give its root (events and log entries were "
     "rewritten)", "审计日志前 40 条记录已无法得出签名检查点的根哈希"),
    ("something new", "发现问题：something new"),
])
def test_what_the_verifier_finds_reads_in_the_uis_language(ui, problem, words):
    with ui.app.test_request_context("/audit"):
        assert words in problem_words(problem)
