"""The supervisor's pages: who may open them, the board and its lists, the actions on a case, the figures."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from domain.shared.values import Actor, Role
from tests.conftest import VALID_CODE
from tests.web.ui.test_foundation import TRACEBACK, text_of

INTAKE = Actor("intake", Role.INTAKE)
AMR = Actor("amr", Role.REVIEWER, "amr")
FOOD = Actor("food", Role.REVIEWER, "amr-food")
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR)
SHA = "ab" * 32
MONDAY = "2026-03-02 09:00:00+08:00"
FRIDAY = "2026-03-06 18:00:00+08:00"  # the licence (1 working day) is 3 days overdue, the permit due Monday
LICENCE, PERMIT = "<td>营业执照</td>", "<td>食品经营许可</td>"  # the items' cells in a list


def open_case(services, number: str, accept: bool = True) -> str:
    """A restaurant case with both materials (and both items accepted, unless told); its id."""
    saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆餐饮有限公司", VALID_CODE, "window",
                                     number=number)
    case_id = str(saved.id)
    for key in ("id-card", "floor-plan"):
        services.cases.intake.submit_material(INTAKE, case_id, key, f"{key}.pdf", SHA)
    if accept:
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.accept_item(FOOD, case_id, "food-permit")
    return case_id


def complete(services, case_id: str) -> None:
    """Walk an accepted restaurant case to completion."""
    cases = services.cases
    cases.review.approve_item(AMR, case_id, "business-licence")  # issues its certificate, held
    cases.review.record_inspection(FOOD, case_id, "food-permit", "video", True)
    cases.review.approve_item(FOOD, case_id, "food-permit")  # issues its certificate: the case completes


def case_of(ui, case_id: str):
    return ui.services.cases.reads.get_case(SUPERVISOR, case_id)


def events(ui, case_id: str) -> int:
    return case_of(ui, case_id).version


@pytest.fixture
def case_id(ui):
    """A case opened and accepted long ago: both items overdue (no tick has run)."""
    with freeze_time(datetime.now() - timedelta(days=40)):
        case_id = open_case(ui.services, "YJS-SV-1")
    ui.services.runner.catch_up()
    return case_id


@pytest.fixture
def late(ui):
    """Frozen on a Friday: a case whose licence is overdue and escalated by the deadline tick, and whose
    permit is due on Monday (80 % of its time used); the supervisor signed in."""
    with freeze_time(MONDAY) as clock:
        case_id = open_case(ui.services, "YJS-LATE")
        clock.move_to(FRIDAY)
        report = ui.services.sla.tick()
        ui.services.runner.catch_up()
        ui.login_as("supervisor")
        yield {"case_id": case_id, "report": report}


# Who may open what -------------------------------------------------------------------------------
PAGES = ["/supervision", "/supervision?tab=overdue", "/supervision/figures"]


@pytest.mark.parametrize("role, board, figures", [
    ("supervisor", 200, 200), ("auditor", 403, 200), ("intake", 403, 403), ("reviewer", 403, 403),
    ("admin", 403, 403)])
def test_supervisors_see_everything_auditors_the_figures_and_other_roles_nothing(ui, role, board, figures):
    ui.login_as(role)
    for path, status in (("/supervision", board), ("/supervision?tab=due_soon", board),
                         ("/supervision/figures", figures)):
        response = ui.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        if status == 403:
            assert "无权访问此页面" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_users_are_sent_to_sign_in(ui, path):
    response = ui.client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/supervision")


@pytest.mark.parametrize("role, status", [("supervisor", 200), ("auditor", 403), ("intake", 403),
                                          ("reviewer", 403), ("admin", 403)])
def test_the_action_pages_are_for_supervisors(ui, case_id, role, status):
    ui.login_as(role)
    for path in (f"/supervision/cases/{case_id}/escalate", f"/supervision/cases/{case_id}/items/food-permit/urge"):
        assert ui.client.get(path).status_code == status


def test_the_header_links_supervisors_to_both_pages_and_auditors_to_the_figures(ui):
    ui.login_as("supervisor")
    assert ui.client.get("/").headers["Location"] == "/supervision"
    page = ui.page("/supervision")
    assert 'href="/supervision"' in page and 'href="/supervision/figures"' in page and "督办" in page
    ui.logout()
    ui.login_as("auditor")
    page = ui.page("/supervision/figures")
    assert 'href="/supervision/figures"' in page and 'href="/supervision"' not in page


# The board and its lists -------------------------------------------------------------------------
def test_an_empty_board_says_so_on_every_tab(ui):
    ui.login_as("supervisor")
    for tab, words in (("open", "没有督办中的办件"), ("closed", "还没有已办结的督办"), ("overdue", "没有超期的事项"),
                       ("due_soon", "没有即将到期的事项")):
        page = ui.page(f"/supervision?tab={tab}")
        assert words in page and 'class="empty-state"' in page and not TRACEBACK.search(page)


def test_an_overdue_item_is_listed_and_its_escalation_is_on_the_board(ui, late):
    assert late["report"].events >= 2  # the licence breached and escalated, the permit warned
    page = ui.page("/supervision?tab=overdue")
    assert "YJS-LATE" in page and LICENCE in page and PERMIT not in page
    assert f'href="/cases/{late["case_id"]}"' in page and "due-red" in page
    board = text_of(ui.page("/supervision"))
    assert "YJS-LATE" in board and "1级" in board and "overdue: business-licence" in board and "期限检查" in board


def test_an_item_with_80_percent_of_its_time_used_is_due_soon(ui, late):
    page = ui.page("/supervision?tab=due_soon")
    assert "YJS-LATE" in page and PERMIT in page and LICENCE not in page and "due-yellow" in page


def test_the_lists_filter_by_department_and_go_page_by_page(ui):
    with freeze_time(datetime.now() - timedelta(days=40)):
        for n in range(22):
            open_case(ui.services, f"YJS-PAGE-{n:02d}")
    ui.services.runner.catch_up()
    ui.login_as("supervisor")
    first = ui.page("/supervision?tab=overdue")
    assert "第 1 页，共 3 页，44 条" in first
    assert 'rel="next"' in first and first.count("YJS-PAGE-") == 20
    food = ui.page("/supervision?tab=overdue&department=amr-food&page=2")
    assert food.count("YJS-PAGE-") == 2 and LICENCE not in food and PERMIT in food


# Actions -----------------------------------------------------------------------------------------
def post(ui, case_id: str, action: str, data: dict, version: int | None = None):
    form = {"version": str(case_of(ui, case_id).version if version is None else version), **data}
    return ui.post(f"/supervision/cases/{case_id}/{action}", form)


def test_urging_through_the_form_records_it_and_comes_back_with_a_flash(ui, case_id):
    ui.login_as("supervisor")
    response = post(ui, case_id, "items/business-licence/urge", {"reason": "请今天办结", "next": "/supervision"})
    assert response.status_code == 302 and response.headers["Location"] == "/supervision"
    assert case_of(ui, case_id).items["business-licence"].urges == 1
    assert "已催办" in ui.page("/supervision")


def test_transfer_escalate_raise_and_resolve_through_the_forms(ui, case_id):
    ui.login_as("supervisor")
    assert post(ui, case_id, "items/food-permit/transfer", {"to_department": "psb", "reason": "职责调整"}) \
        .status_code == 302
    assert case_of(ui, case_id).items["food-permit"].department == "psb"
    assert post(ui, case_id, "escalate", {"level": "2", "reason": "超期未办"}).status_code == 302
    (escalation,) = case_of(ui, case_id).escalations
    assert (escalation.level, escalation.reason, escalation.supervisor) == (2, "超期未办", "supervisor")
    assert post(ui, case_id, "escalations/1/raise", {"reason": "仍未办结"}).status_code == 302
    assert case_of(ui, case_id).escalations[0].level == 3
    response = post(ui, case_id, "escalations/1/resolve", {"reason": "已督促办结"})
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case_id}"
    assert case_of(ui, case_id).escalations[0].resolution == "已督促办结"
    ui.services.runner.catch_up()
    closed = ui.page("/supervision?tab=closed")
    assert "YJS-SV-1" in closed and "已督促办结" in closed


def test_assigning_and_reassigning_the_owner_choose_from_the_right_people(ui, case_id):
    ui.login_as("supervisor")
    page = ui.page(f"/supervision/cases/{case_id}/items/business-licence/assign")
    assert 'value="amr"' in page and 'value="food"' not in page  # reviewers of the item's department only
    assert post(ui, case_id, "items/business-licence/assign", {"reviewer": "amr", "reason": "专人办理"}) \
        .status_code == 302
    assert case_of(ui, case_id).items["business-licence"].assignee == "amr"
    page = ui.page(f"/supervision/cases/{case_id}/owner")
    assert 'value="intake2"' in page and 'value="intake"' not in page  # intake officers but the owner
    assert post(ui, case_id, "owner", {"owner": "intake2", "reason": "人员调整"}).status_code == 302
    assert case_of(ui, case_id).owner == "intake2"


def test_resolving_without_a_reason_shows_the_error_and_records_nothing(ui, case_id):
    ui.services.cases.supervision.escalate(SUPERVISOR, case_id, "超期", 1)
    before = events(ui, case_id)
    ui.login_as("supervisor")
    response = post(ui, case_id, "escalations/1/resolve", {"reason": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and not TRACEBACK.search(page)
    assert re.search(r'id="sv-resolve-1-reason-error">请填写理由', page) and 'aria-invalid="true"' in page
    assert events(ui, case_id) == before and case_of(ui, case_id).escalations[0].is_open


@pytest.mark.parametrize("action, data, words", [
    ("escalate", {"level": "4", "reason": "x"}, "请选择 1 至 3 级"),
    ("items/food-permit/transfer", {"to_department": "", "reason": "x"}, "请选择转办的部门"),
    ("items/food-permit/transfer", {"to_department": "amr-food", "reason": "x"}, "该事项已在这个部门"),
])
def test_refused_forms_come_back_with_the_reason_in_words(ui, case_id, action, data, words):
    before = events(ui, case_id)
    ui.login_as("supervisor")
    response = post(ui, case_id, action, data)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert events(ui, case_id) == before


def test_a_stale_form_is_refused_with_a_conflict_and_records_nothing(ui, case_id):
    ui.login_as("supervisor")
    stale = events(ui, case_id) - 1
    response = post(ui, case_id, "items/business-licence/urge", {"reason": "催一下"}, version=stale)
    assert response.status_code == 409 and "有人修改了这个办件" in response.get_data(as_text=True)
    assert events(ui, case_id) == stale + 1


def test_a_decided_item_can_no_longer_be_urged(ui, case_id):
    ui.services.cases.review.approve_item(AMR, case_id, "business-licence")
    ui.login_as("supervisor")
    response = post(ui, case_id, "items/business-licence/urge", {"reason": "催一下"})
    assert response.status_code == 409 and "该事项已有决定" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["reviewer", "intake", "auditor"])
def test_other_roles_forcing_a_supervisor_form_get_403_and_nothing_is_recorded(ui, case_id, role):
    before = events(ui, case_id)
    ui.login_as(role)
    for action, data in (("items/business-licence/urge", {"reason": "x"}), ("escalate", {"level": "1", "reason": "x"}),
                         ("items/business-licence/transfer", {"to_department": "psb", "reason": "x"})):
        assert post(ui, case_id, action, data).status_code == 403
    assert events(ui, case_id) == before


def test_unknown_cases_items_and_escalations_are_404_pages(ui, case_id):
    ui.login_as("supervisor")
    for path in (f"/supervision/cases/{case_id}/items/no-such-item/urge", f"/supervision/cases/{case_id}/"
                 "escalations/9/resolve", "/supervision/cases/not-a-case/escalate"):
        response = ui.client.get(path)
        assert response.status_code == 404 and not TRACEBACK.search(response.get_data(as_text=True))


def test_the_case_page_offers_supervisors_their_forms(ui, case_id):
    ui.services.cases.supervision.escalate(SUPERVISOR, case_id, "超期", 1)
    ui.login_as("supervisor")
    page = ui.page(f"/cases/{case_id}")
    for action in ("items/business-licence/urge", "items/food-permit/assign", "items/food-permit/transfer",
                   "escalate", "owner", "escalations/1/raise", "escalations/1/resolve"):
        assert f'action="/supervision/cases/{case_id}/{action}"' in page
    assert f'name="version" value="{events(ui, case_id)}"' in page
    assert f'name="next" value="/cases/{case_id}"' in page
    ui.logout()
    ui.login_as("auditor")
    assert "/supervision/cases/" not in ui.page(f"/cases/{case_id}")


# Figures -----------------------------------------------------------------------------------------
def test_the_figures_page_draws_svg_charts_with_the_bundle_names(ui, case_id):
    complete(ui.services, case_id)
    with freeze_time(datetime.now() - timedelta(days=10)):
        open_case(ui.services, "YJS-SV-2", accept=False)
    ui.services.runner.catch_up()
    ui.login_as("auditor")
    page = ui.page("/supervision/figures")
    assert page.count("<svg") >= 9 and "开餐馆一件事" in page and "<title" in page
    assert "按时办结率" in page and "跑动次数" in page and not TRACEBACK.search(page)
    ui.client.get("/lang/en")
    english = ui.page("/supervision/figures")
    assert "Open a restaurant" in english and "Filed separately" in english


def test_figures_without_cases_show_empty_states(ui):
    ui.login_as("supervisor")
    page = ui.page("/supervision/figures")
    assert "还没有办结的办件" in page and "还没有收到诉求" in page and not TRACEBACK.search(page)
