"""In a real browser, the flows of issue 7: a restaurant-opening case from the intake desk to completion by each
department's reviewer, a supervisor handling an overdue case, an auditor reading, replaying, verifying and
exporting the completed case, and a member of the public checking its certificate and its progress.

The tests run in file order and share what they made (``journey``): the reviewers carry the case the intake
test opened, the auditor and the public look at the case the reviewers completed. A test whose case is missing
(its earlier test failed, or it was chosen alone) is skipped with words saying so. Only the overdue set-up of
the supervisor's flow goes through the application: a second ``Services`` on the same database, with a clock
two weeks back, opens a case and accepts an item, and the server's own deadline check records the breach and
the automatic escalation. Everything else is clicks and typing.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from application.demo.loader import demo_credit_code
from tests.browser.conftest import shot, sign_in, sign_out
from web.services import Settings, build_services

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip, or fail when ONETHING_REQUIRE_BROWSER=1 (conftest._require_browser)
    expect = None

BUNDLE = "restaurant-opening"
APPLICANT = "泉城浏览器测试餐饮有限公司"
CREDIT_CODE = "91110000600037341L"
WRONG_CHECK_DIGIT = "91110000600037341X"
# The items in the order their prerequisites allow, each with its department (the catalogue file says so).
ITEMS = [("business-licence", "amr", "营业执照"), ("food-permit", "amr-food", "食品经营许可"),
         ("seal-engraving", "psb", "公章刻制备案")]
INSPECTED = {"food-permit"}  # a video inspection before approval
OVERDUE_APPLICANT = "超期测试小吃店"


class Journey(dict):
    """What the flows made, for the flows that follow."""

    def need(self, key: str) -> Any:
        if key not in self:
            pytest.fail(f"needs {key!r} from an earlier flow of this module: that flow failed, or this one ran alone")
        return self[key]


@pytest.fixture(scope="module")
def journey() -> Journey:
    return Journey()


def nav(page: Any, path: str) -> None:
    """Follow a link of the main navigation, as a person does."""
    page.locator(f"nav.main-nav a[href='{path}']").click()
    page.wait_for_load_state()


def until_listed(page: Any, locator: Any, tries: int = 40) -> None:
    """Reload a page drawn from the read models until ``locator`` shows (the projection worker polls every 0.2 s;
    another session's last write is not waited for)."""
    for _ in range(tries):
        try:
            expect(locator).to_be_visible(timeout=500)
            return
        except AssertionError:
            page.reload()
    expect(locator).to_be_visible()


def flash(page: Any) -> Any:
    return page.locator(".flash-success")


# 1. Intake --------------------------------------------------------------------------------------------------
def test_intake_opens_a_restaurant_case_at_the_desk(page, journey):
    sign_in(page, "window1")
    nav(page, "/desk")
    expect(page.locator("h1")).to_have_text("受理窗口")
    page.fill("#field-q", "餐馆")  # the list is searched as the officer types (htmx swaps #bundle-list)
    restaurant = page.locator("#bundle-list tbody tr", has_text="开餐馆一件事")
    expect(restaurant).to_be_visible()
    expect(page.locator("#bundle-list tbody tr")).to_have_count(1)
    shot(page, "desk")

    restaurant.get_by_role("link", name="办理路线图").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("开餐馆一件事")
    expect(page.locator("table.roadmap tbody tr")).to_have_count(3)
    expect(page.locator(".critical-path")).to_contain_text("营业执照 → 食品经营许可")
    shot(page, "roadmap")

    page.locator("section.panel .actions").get_by_role("link", name="受理办件").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("开餐馆一件事")
    page.fill("#field-applicant_name", APPLICANT)
    check = page.locator("#credit-code-check")
    page.fill("#field-credit_code", WRONG_CHECK_DIGIT)  # checked as it is typed
    expect(check.locator(".code-invalid")).to_contain_text("校验码（最后一位）不符")
    page.fill("#field-credit_code", CREDIT_CODE)
    expect(check.locator(".code-valid")).to_have_text(f"有效：{CREDIT_CODE}")
    rows = page.locator("table.desk-materials tbody tr")
    expect(rows).to_have_count(12)
    for index in range(rows.count()):
        row = rows.nth(index)
        key = (row.get_attribute("id") or "").removeprefix("material-")
        row.locator(f"input[name='received-{key}']").check()
        row.locator(f"input[name='filename-{key}']").fill(f"{key}.pdf")
    shot(page, "desk-open")

    page.get_by_role("button", name="受理", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("受理回执")
    number = page.locator(".receipt-number strong").inner_text().strip()
    assert re.fullmatch(r"YJS\d{8}-[0-9A-Z]+", number), number
    expect(flash(page)).to_contain_text(number)
    expect(page.locator(".qr-figure svg")).to_be_visible()
    expect(page.locator(".receipt")).to_contain_text(APPLICANT)
    expect(page.locator(".receipt table").first.locator("tbody tr")).to_have_count(3)
    shot(page, "receipt")
    case_id = re.search(r"/desk/cases/([^/]+)/receipt", page.url).group(1)
    journey.update(number=number, case_id=case_id)
    sign_out(page)


# 2. Reviewers -----------------------------------------------------------------------------------------------
def test_each_reviewer_carries_their_item_until_the_case_completes(page, journey):
    number = journey.need("number")
    for position, (code, department, name) in enumerate(ITEMS):
        sign_in(page, f"reviewer-{department}")
        nav(page, "/queue")
        expect(page.locator("h1")).to_contain_text("待办队列")
        page.select_option("#field-sort", "opened")  # newest first: the filter form swaps #queue-table
        page.select_option("#field-order", "desc")
        listed = page.locator("#queue-table").get_by_role("link", name=number, exact=True)
        until_listed(page, listed)
        if position == 0:
            shot(page, "queue")
        listed.click()
        page.wait_for_load_state()
        expect(page.locator("h1")).to_contain_text(number)
        actions = page.locator(f"#actions-{code}")
        expect(actions.locator("h3")).to_contain_text(name)

        actions.locator(f"#act-{code}-accept button").click()
        page.wait_for_load_state()
        expect(flash(page)).to_be_visible()
        expect(page.locator(f"#item-{code} .badge-in_review")).to_be_visible()
        if code in INSPECTED:
            actions.locator("summary", has_text="登记勘验").click()
            page.select_option(f"#act-{code}-inspect-method", "video")
            page.select_option(f"#act-{code}-inspect-passed", "yes")
            page.fill(f"#act-{code}-inspect-reason", "远程视频勘验：后厨布局与提交材料一致")
            page.locator(f"#act-{code}-inspect button[type=submit]").click()
            page.wait_for_load_state()
            expect(page.locator(f"#item-{code}")).to_contain_text("勘验已通过")
        if position == 0:
            shot(page, "case")
        actions.locator("summary", has_text="审批通过").click()
        page.fill(f"#act-{code}-approve-reason", "材料齐全，符合法定形式")
        page.locator(f"#act-{code}-approve button[type=submit]").click()
        page.wait_for_load_state()
        expect(flash(page)).to_have_text("事项已审批通过。")
        expect(page.locator(f"#item-{code} .badge-approved")).to_be_visible()

        # Approval issued the certificate at once (held until the case completes): no separate step.
        expect(actions.locator(f"#act-{code}-issue-certificates")).to_have_count(0)
        certificates = page.locator(f"#item-{code} ul.plain-list code")
        expect(certificates).to_have_count(1)
        journey.setdefault("certificates", {})[code] = certificates.first.inner_text().strip()
        expect(page.locator(f"#actions-{code}")).to_have_count(0)  # nothing left to do on it
        sign_out(page)

    # The last approval completed the case: everyone's certificates are released together.
    sign_in(page, "reviewer-amr")
    page.goto(f"/cases/{journey['case_id']}")
    expect(page.locator(".case-header .badge-completed")).to_have_text("已办结")
    expect(page.locator(".case-items .badge-valid")).to_have_count(3)
    assert journey["certificates"]["business-licence"].startswith(number)
    shot(page, "case-completed")
    journey["completed"] = True
    sign_out(page)


# 3. Supervisor ----------------------------------------------------------------------------------------------
class FixedClock:
    """A clock stopped at one moment (the protocol of ``application.common.clock.Clock``)."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()


def open_overdue_case(server: Any) -> tuple[str, str]:
    """Set-up: a case opened and its first item accepted two weeks ago (by a second ``Services`` on the same
    database whose clock says so), then the server's deadline check of today records the breach and escalates."""
    settings = server.services.settings
    past = build_services(Settings(database_url=settings.database_url, secret_key="x", audit_key=settings.audit_key),
                          clock=FixedClock(datetime.now(ZoneInfo(settings.timezone)) - timedelta(days=14)))
    window1 = past.users.user("window1").as_actor()
    saved = past.cases.intake.open_case(window1, BUNDLE, OVERDUE_APPLICANT, demo_credit_code(77), "window",
                                        "browser test")
    case_id = str(saved.id)
    for key in past.cases.load(saved.id).material_defs:
        past.cases.intake.submit_material(window1, case_id, key, f"{key}.pdf", hashlib.sha256(key.encode()).hexdigest())
    past.cases.review.accept_item(past.users.user("reviewer-amr").as_actor(), case_id, "business-licence")
    report = server.services.sla.tick()
    assert report.events >= 2  # the breach and the automatic escalation (other cases may add warnings)
    case = server.services.cases.load(saved.id)
    assert case.items["business-licence"].breached and [e.is_open for e in case.escalations] == [True]
    server.services.runner.catch_up()  # the board reads the read models
    return case_id, case.number


def test_a_supervisor_urges_an_overdue_item_and_resolves_its_escalation(page, server, journey):
    case_id, number = open_overdue_case(server)
    sign_in(page, "supervisor")
    nav(page, "/supervision")
    open_row = page.locator("table tbody tr", has=page.get_by_role("link", name=number, exact=True))
    until_listed(page, open_row)
    expect(open_row).to_contain_text("系统期限检查")  # opened by the deadline check
    expect(open_row).to_contain_text("overdue: business-licence")
    shot(page, "supervision")

    page.locator("nav.sv-tabs a[href*='tab=overdue']").click()
    page.wait_for_load_state()
    overdue_row = page.locator("table tbody tr", has=page.get_by_role("link", name=number, exact=True))
    expect(overdue_row).to_contain_text("营业执照")
    expect(overdue_row.locator(".due-red")).to_be_visible()
    expect(overdue_row).to_contain_text("督办中")
    shot(page, "supervision-overdue")

    overdue_row.get_by_role("link", name=number, exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(number)
    panel = page.locator(".supervisor-actions")
    licence = panel.locator(".supervisor-target", has=page.locator("h4", has_text="营业执照"))
    licence.locator("summary", has_text="催办部门").click()
    page.fill("#sv-urge-business-licence-reason", "已超期，请今日内办结")
    licence.get_by_role("button", name="催办", exact=True).click()
    page.wait_for_load_state()
    expect(flash(page)).to_have_text("已催办该部门。")
    expect(panel.locator(".supervisor-target h4", has_text="营业执照")).to_contain_text("已催办 1 次")

    escalation = panel.locator(".supervisor-target", has=page.locator("h4", has_text="第 1 次督办，1级"))
    escalation.locator("summary", has_text="办结督办").click()
    page.fill("#sv-resolve-1-reason", "已催办，部门承诺今日办结")
    escalation.get_by_role("button", name="办结督办", exact=True).click()
    page.wait_for_load_state()
    expect(flash(page)).to_have_text("督办已办结。")
    expect(page.locator(".case-escalations .badge-closed")).to_be_visible()
    shot(page, "case-supervised")

    nav(page, "/supervision")
    page.locator("nav.sv-tabs a[href*='tab=closed']").click()
    page.wait_for_load_state()
    closed_row = page.locator("table tbody tr", has=page.get_by_role("link", name=number, exact=True))
    expect(closed_row).to_contain_text("已催办，部门承诺今日办结")
    expect(closed_row).to_contain_text("supervisor")
    page.locator("nav.sv-tabs a[href*='tab=open']").click()
    page.wait_for_load_state()
    expect(page.get_by_role("link", name=number, exact=True)).to_have_count(0)
    case = server.services.cases.load(case_id)
    assert case.items["business-licence"].urges == 1 and not case.escalations[0].is_open

    nav(page, "/supervision/figures")
    expect(page.locator("h1")).to_have_text("统计")
    shot(page, "figures")


# 4. Auditor -------------------------------------------------------------------------------------------------
def test_an_auditor_reads_replays_verifies_and_exports_the_completed_case(page, journey):
    journey.need("completed")
    number = journey["number"]
    sign_in(page, "auditor")
    nav(page, "/audit")
    page.fill("#field-q", number)
    page.locator("form.audit-filters").get_by_role("button", name="搜索").click()
    page.wait_for_load_state()
    found = page.get_by_role("link", name=number, exact=True)
    until_listed(page, found)
    expect(page.locator("table tbody tr", has=found).locator(".badge-completed")).to_be_visible()
    shot(page, "audit")

    found.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text(number)
    words = page.locator(".timeline .event-words")
    expect(words.first).to_contain_text(f"开办了办件 {number}")
    expect(page.locator(".timeline")).to_contain_text("出具了证照")
    expect(page.locator(".timeline")).to_contain_text("材料齐全，符合法定形式")
    shot(page, "audit-timeline")

    replay = page.locator("#replay-panel")
    replay.locator("#field-version").select_option("2")  # just after opening: nothing accepted yet
    replay.locator("form", has=page.locator("#field-version")).get_by_role("button", name="查看").click()
    expect(replay.locator(".replay-state h3")).to_contain_text("2")
    expect(replay.locator("tr[data-item='business-licence'] .badge-waiting")).to_be_visible()
    expect(replay.locator(".replay-state dl .badge-open")).to_be_visible()
    shot(page, "audit-replay")

    options = replay.locator("#field-version option")
    last = options.nth(options.count() - 1).get_attribute("value")
    replay.locator("#field-version").select_option(last)
    replay.locator("form", has=page.locator("#field-version")).get_by_role("button", name="查看").click()
    expect(replay.locator(".replay-state h3")).to_contain_text(f"{last}")
    expect(replay.locator(".replay-state dl .badge-completed")).to_be_visible()
    expect(replay.locator(".replay-items .badge-approved")).to_have_count(3)
    expect(replay.locator(".replay-items .badge-waiting")).to_have_count(0)

    page.get_by_role("button", name="校验本办件").click()
    expect(page.locator("#verify-panel .verify-ok")).to_contain_text("校验通过")
    shot(page, "audit-verify")

    with page.expect_download() as caught:
        page.get_by_role("link", name="JSON", exact=True).click()
    download = caught.value
    assert download.suggested_filename == f"{number}-audit.json"
    exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert exported["case"]["number"] == number and exported["case"]["status"] == "completed"
    assert exported["verify"]["ok"] is True
    assert exported["chain_head"] == exported["history"][-1]["hash"]


# 5. The public ----------------------------------------------------------------------------------------------
def test_the_public_checks_a_certificate_and_the_progress_of_the_completed_case(page, journey):
    journey.need("completed")
    number, certificate = journey["number"], journey["certificates"]["business-licence"]
    page.goto("/")
    nav(page, "/verify")
    page.fill("#field-number", certificate)
    page.locator("main form").get_by_role("button", name="核验").click()
    page.wait_for_load_state()
    result = page.locator("section.result")
    expect(result.locator("h2")).to_have_text("该证照真实有效。")
    expect(result.locator(".badge-valid")).to_be_visible()
    expect(result).to_contain_text(APPLICANT)
    expect(result).to_contain_text(number)
    expect(result.locator(".qr-figure svg")).to_be_visible()
    shot(page, "public-verify")

    nav(page, "/progress")
    page.fill("#field-number", number)
    page.fill("#field-credit_code", CREDIT_CODE)
    page.locator("main form").get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    result = page.locator("section.result")
    expect(result.locator("h2 .badge-completed")).to_be_visible()
    expect(result.locator("tbody tr")).to_have_count(3)
    for _code, _department, name in ITEMS:
        expect(result.locator("tbody tr", has_text=name).locator(".badge-approved")).to_be_visible()
    shot(page, "progress")
