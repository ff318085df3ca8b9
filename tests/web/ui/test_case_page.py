"""The case page: who may see it, what it shows, and the reviewer's actions through its forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from domain.shared.values import Actor, Role
from tests.application.helpers import publish_issued_later
from tests.web.ui.test_foundation import TRACEBACK
from tests.web.ui.test_queue import AMR, FOOD, INTAKE, SUPERVISOR, open_case

AUDITOR = Actor("auditor", Role.AUDITOR)
ACTION = re.compile(r'action="/cases/[^/"]+/items/([a-z-]+)/([a-z-]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture
def case_id(ui):
    """A restaurant case with both materials submitted, projected."""
    case_id = open_case(ui.services)
    ui.services.runner.catch_up()
    return case_id


def actions(html: str) -> set[tuple[str, str]]:
    """(item, action) of every action form on the page."""
    return set(ACTION.findall(html))


def version_on(html: str) -> str:
    """The case version the page's forms carry."""
    versions = set(VERSION.findall(html))
    assert len(versions) == 1, versions
    return versions.pop()


def events(ui, case_id: str) -> list[tuple[str, str, str]]:
    """(type, actor, reason) of each event of the case, read through the application."""
    return [(e["type"], e["actor"]["user_id"], e["reason"]) for e in ui.services.cases.reads.history(AUDITOR, case_id)]


def act(ui, case_id: str, item: str, action: str, data: dict[str, str] | None = None, version: str | None = None):
    """Post an action form as the page would (the version it shows, unless told)."""
    if version is None:
        version = str(ui.services.cases.reads.get_case(AUDITOR, case_id).version)
    return ui.post(f"/cases/{case_id}/items/{item}/{action}", {"version": version, **(data or {})})


# Who may see it ----------------------------------------------------------------------------------
@pytest.mark.parametrize("who, status", [(None, 302), ("reviewer", 200), ("food", 200), ("psb", 403),
                                         ("intake", 200), ("supervisor", 200), ("auditor", 200), ("admin", 200)])
def test_the_case_page_is_for_those_who_may_see_the_case(ui, case_id, who, status):
    if who:
        ui.login_as(who)
    response = ui.client.get(f"/cases/{case_id}")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    if status == 302:
        assert response.headers["Location"] == f"/login?next=/cases/{case_id}"
    if status == 403:  # a reviewer whose department has no item in it learns nothing of the case
        assert "无权访问此页面" in page and "泉城小馆" not in page and not TRACEBACK.search(page)


def test_an_unknown_case_is_a_404_page(ui):
    ui.login_as("supervisor")
    assert "页面不存在" in ui.page("/cases/not-a-case", status=404)
    assert "页面不存在" in ui.page("/cases/00000000-0000-0000-0000-000000000000", status=404)


def test_the_page_shows_the_header_items_materials_and_escalations(ui, case_id):
    ui.services.cases.supervision.escalate(SUPERVISOR, case_id, "applicant complained at the window")
    ui.login_as("reviewer")
    page = ui.page(f"/cases/{case_id}")
    case = ui.services.cases.reads.get_case(AMR, case_id)
    head = ui.services.cases.reads.chain_head(case.id)
    assert case.number in page and "开餐馆一件事" in page and "泉城小馆餐饮有限公司" in page and "intake" in page
    assert f'title="{head}">{head[:12]}…' in page and case.opened_on.isoformat() in page
    assert "营业执照" in page and "食品经营许可" in page and "食品经营许可科" in page
    assert "营业执照:" in page and "尚未满足" in page  # the food permit waits for the licence
    assert "身份证明" in page and "id-card.pdf" in page and "ababababab" in page
    assert "applicant complained at the window" in page and "本办件未被督办" not in page


def test_a_deficiency_and_a_missing_material_are_shown(ui):
    case_id = open_case(ui.services, materials=False)
    ui.services.cases.intake.accept_with_deficiency(INTAKE, case_id, ["floor-plan"],
                                             ui.services.clock.today() + timedelta(days=10))
    ui.login_as("intake")
    page = ui.page(f"/cases/{case_id}")
    assert "须于" in page and "前补交" in page and "缺少" in page and "容缺受理" in page


def test_an_auditor_sees_the_case_with_a_link_to_its_history_and_no_action_forms(ui, case_id):
    ui.login_as("auditor")
    page = ui.page(f"/cases/{case_id}")
    assert actions(page) == set() and f'href="/audit/cases/{case_id}"' in page and "您可办理的操作" not in page
    ui.logout()
    ui.login_as("reviewer")
    assert "/audit/cases/" not in ui.page(f"/cases/{case_id}")


@pytest.mark.parametrize("who", ["intake", "supervisor", "admin"])
def test_other_staff_get_no_reviewer_forms(ui, case_id, who):
    ui.login_as(who)
    assert not {pair for pair in actions(ui.page(f"/cases/{case_id}")) if pair[1] in ("accept", "reject")}


# The reviewer's actions --------------------------------------------------------------------------
def test_a_reviewer_of_amr_accepts_and_approves_the_business_licence_through_the_forms(ui, case_id):
    ui.login_as("reviewer")
    page = ui.page(f"/cases/{case_id}")
    assert actions(page) == {("business-licence", "accept"), ("business-licence", "reject"),
                             ("business-licence", "transfer")}
    accepted = act(ui, case_id, "business-licence", "accept", version=version_on(page))
    assert accepted.status_code == 303 and accepted.headers["Location"] == f"/cases/{case_id}"
    page = ui.page(f"/cases/{case_id}")
    assert "事项已受理，开始计时。" in page
    assert {"approve", "request-supplement", "inspect", "reject"} <= {a for i, a in actions(page)}
    assert ("business-licence", "approve-on-commitment") not in actions(page)  # the licence does not allow it
    approved = act(ui, case_id, "business-licence", "approve", {"reason": "材料齐全，符合条件"}, version_on(page))
    assert approved.status_code == 303
    page = ui.page(f"/cases/{case_id}")
    # approval issued the certificate at once: the issue step is not offered, and refused if forced
    assert "事项已审批通过。" in page and ("business-licence", "issue-certificates") not in actions(page)
    decisions = [e for e in events(ui, case_id) if e[0] in ("ItemAccepted", "ItemApproved", "CertificatesIssued")]
    assert decisions == [("ItemAccepted", "amr", ""), ("ItemApproved", "amr", "材料齐全，符合条件"),
                         ("CertificatesIssued", "amr", "issued on approval")]
    case = ui.services.cases.reads.get_case(AMR, case_id)
    assert case.items["business-licence"].status == "approved"
    assert [c.status for c in case.items["business-licence"].certificates] == ["held"]
    before = ui.services.runner.total_events()
    forced = act(ui, case_id, "business-licence", "issue-certificates")
    assert forced.status_code == 409 and "该事项的证照已出具。" in forced.get_data(as_text=True)
    assert ui.services.runner.total_events() == before


def test_an_output_issued_later_is_issued_through_the_issue_form(ui):
    publish_issued_later(ui.services, "business-licence")  # the licence is issued by the separate step
    case_id = open_case(ui.services)
    ui.services.cases.review.accept_item(AMR, case_id, "business-licence")
    ui.services.cases.review.approve_item(AMR, case_id, "business-licence")
    ui.services.runner.catch_up()
    assert not ui.services.cases.reads.get_case(AMR, case_id).items["business-licence"].certificates
    ui.login_as("reviewer")
    assert ("business-licence", "issue-certificates") in actions(ui.page(f"/cases/{case_id}"))
    issued = act(ui, case_id, "business-licence", "issue-certificates")
    assert issued.status_code == 303
    assert "证照已出具，整个办件办结后统一发放。" in ui.page(f"/cases/{case_id}")
    certificates = ui.services.cases.reads.get_case(AMR, case_id).items["business-licence"].certificates
    assert [c.status for c in certificates] == ["held"]
    assert ("business-licence", "issue-certificates") not in actions(ui.page(f"/cases/{case_id}"))
    assert act(ui, case_id, "business-licence", "issue-certificates").status_code == 409  # only once


def test_the_food_reviewer_is_not_offered_the_licence_and_a_forced_accept_is_refused(ui, case_id):
    ui.login_as("food")
    page = ui.page(f"/cases/{case_id}")
    assert {item for item, _ in actions(page)} == {"food-permit"}
    before = ui.services.runner.total_events()
    response = act(ui, case_id, "business-licence", "accept", version=version_on(page))
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "您无权进行此操作" in page and "本次操作未保存" in page
    assert "泉城小馆" in page and not TRACEBACK.search(page)  # the case page, with the refusal on it
    assert ui.services.runner.total_events() == before
    assert ui.services.cases.reads.get_case(AMR, case_id).items["business-licence"].status == "waiting"


def test_staff_who_are_no_reviewers_are_refused_a_forced_action(ui, case_id):
    ui.login_as("supervisor")
    before = ui.services.runner.total_events()
    response = act(ui, case_id, "business-licence", "accept")
    assert response.status_code == 403 and "您无权进行此操作" in response.get_data(as_text=True)
    assert ui.services.runner.total_events() == before


def test_a_reviewer_without_an_item_in_the_case_cannot_force_an_action(ui, case_id):
    ui.login_as("psb")
    response = act(ui, case_id, "business-licence", "accept")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "泉城小馆" not in page
    assert ui.services.cases.reads.get_case(AMR, case_id).version == 3


def test_an_item_on_a_colleagues_desk_is_not_offered(ui, case_id):
    ui.services.users.add_user(Actor("admin", Role.ADMIN), "amr2", "password-for-tests", "reviewer", "amr")
    ui.services.cases.supervision.assign_item(SUPERVISOR, case_id, "business-licence", "amr2", "amr2 takes it")
    ui.login_as("reviewer")
    page = ui.page(f"/cases/{case_id}")
    assert actions(page) == set() and "amr2" in page
    assert act(ui, case_id, "business-licence", "accept").status_code == 403


def test_a_stale_page_gets_the_reload_message_and_nothing_is_recorded(ui, case_id):
    ui.login_as("reviewer")
    page = ui.page(f"/cases/{case_id}")
    shown = version_on(page)
    ui.services.cases.supervision.escalate(SUPERVISOR, case_id, "someone else wrote meanwhile")
    before = ui.services.runner.total_events()
    response = act(ui, case_id, "business-licence", "accept", version=shown)
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "您打开页面后办件已有变动" in page and "刷新办件" in page
    assert ui.services.runner.total_events() == before
    assert version_on(page) == str(int(shown) + 1)  # the page shown again carries the case as it is now
    assert act(ui, case_id, "business-licence", "accept", version="").status_code == 409


def test_an_empty_required_reason_is_named_next_to_its_field(ui, case_id):
    ui.login_as("reviewer")
    before = ui.services.runner.total_events()
    response = act(ui, case_id, "business-licence", "reject", {"reason": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="act-business-licence-reject-reason-error">请填写理由', page)
    assert re.search(r'<details class="action-details" open>\s*<summary>不予批准', page)  # the form stays open
    assert ui.services.runner.total_events() == before


def test_a_rejection_with_its_reason_is_recorded(ui, case_id):
    ui.login_as("reviewer")
    assert act(ui, case_id, "business-licence", "reject", {"reason": "经营范围不符"}).status_code == 303
    assert events(ui, case_id)[-2][:3] == ("ItemRejected", "amr", "经营范围不符")
    assert "已不予批准" in ui.page(f"/cases/{case_id}")


def test_an_approval_waiting_for_its_prerequisites_is_not_offered_and_refused_if_forced(ui, case_id):
    ui.services.cases.review.accept_item(FOOD, case_id, "food-permit")
    ui.login_as("food")
    page = ui.page(f"/cases/{case_id}")
    assert ("food-permit", "approve") not in actions(page) and "前置事项审批通过后方可审批" in page
    response = act(ui, case_id, "food-permit", "approve-on-commitment", {"commitment": "x", "reason": "y"})
    assert response.status_code == 409 and "该事项须待前置事项审批通过" in response.get_data(as_text=True)


def test_the_food_permit_goes_through_supplement_inspection_and_commitment(ui, case_id):
    ui.services.cases.review.accept_item(AMR, case_id, "business-licence")
    ui.services.cases.review.approve_item(AMR, case_id, "business-licence")
    ui.login_as("food")
    assert act(ui, case_id, "food-permit", "accept").status_code == 303
    page = ui.page(f"/cases/{case_id}")
    assert 'option value="floor-plan"' in page and ("food-permit", "approve-on-commitment") in actions(page)
    asked = ui.post(f"/cases/{case_id}/items/food-permit/request-supplement",
                    {"version": version_on(page), "materials": ["floor-plan", "id-card"], "reason": "平面图不清晰"})
    assert asked.status_code == 303
    assert ui.services.cases.reads.get_case(FOOD, case_id).items["food-permit"].status == "supplement_requested"
    assert actions(ui.page(f"/cases/{case_id}")) >= {("food-permit", "receive-supplement")}
    assert act(ui, case_id, "food-permit", "receive-supplement").status_code == 303
    missing = act(ui, case_id, "food-permit", "inspect", {"method": "video", "passed": ""})
    assert missing.status_code == 422 and "请选择勘验是否通过" in missing.get_data(as_text=True)
    assert act(ui, case_id, "food-permit", "inspect", {"method": "video", "passed": "yes"}).status_code == 303
    empty = act(ui, case_id, "food-permit", "approve-on-commitment", {"commitment": "", "reason": "承诺审批"})
    assert empty.status_code == 422 and "act-food-permit-approve-on-commitment-commitment-error" in empty.get_data(
        as_text=True)
    committed = act(ui, case_id, "food-permit", "approve-on-commitment",
                    {"commitment": "本店承诺符合食品安全条件", "reason": "告知承诺"})
    assert committed.status_code == 303
    item = ui.services.cases.reads.get_case(FOOD, case_id).items["food-permit"]
    assert item.status == "approved" and item.on_commitment and item.inspection_passed is True
    page = ui.page(f"/cases/{case_id}")
    assert ("food-permit", "revoke-commitment") in actions(page) and "告知承诺" in page
    assert [e[0] for e in events(ui, case_id)][-7:] == ["ItemAccepted", "SupplementRequested", "SupplementReceived",
                                                         "InspectionRecorded", "ItemApprovedOnCommitment",
                                                         "CertificatesIssued", "Completed"]
    assert ui.services.cases.reads.get_case(FOOD, case_id).status == "completed"  # both items issued on approval


def test_an_unknown_action_is_a_404_and_a_get_of_an_action_is_a_405(ui, case_id):
    ui.login_as("reviewer")
    assert act(ui, case_id, "business-licence", "explode").status_code == 404
    assert ui.client.get(f"/cases/{case_id}/items/business-licence/accept").status_code == 405


def test_an_action_without_its_csrf_token_is_refused(ui, case_id):
    ui.login_as("reviewer")
    response = ui.post(f"/cases/{case_id}/items/business-licence/accept", {"version": "3"}, csrf=False)
    assert response.status_code == 400 and ui.services.cases.reads.get_case(AMR, case_id).version == 3


def test_the_case_page_in_english(ui, case_id):
    ui.client.get("/lang/en")
    ui.login_as("reviewer")
    page = ui.page(f"/cases/{case_id}")
    assert "Open a restaurant" in page and "Accept" in page and "Market Regulation" in page
    assert "Your actions" in page and "Prerequisites" in page and not TRACEBACK.search(page)


def test_a_transfer_needs_a_department_and_a_reason_and_then_leads_back_to_the_queue(ui, case_id):
    ui.login_as("reviewer")
    refused = act(ui, case_id, "business-licence", "transfer", {"to_department": "", "reason": ""})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请选择转办的部门" in page and "请填写理由" in page
    moved = act(ui, case_id, "business-licence", "transfer", {"to_department": "psb", "reason": "属公安局职责"})
    assert moved.status_code == 303 and moved.headers["Location"] == "/queue"  # the case is no longer theirs
    assert "事项已转办" in ui.page("/queue")
    assert ui.services.cases.reads.get_case(AUDITOR, case_id).items["business-licence"].department == "psb"
    assert ui.client.get(f"/cases/{case_id}").status_code == 403
