"""The reviewer's department queue: who may open it, what it lists, colours, sorting, filters, pages, htmx."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from application.cases.queue import QueueFilter
from application.common.errors import InvalidInput, NotAllowed
from domain.shared.values import Actor, Role
from tests.conftest import VALID_CODE
from tests.web.ui.test_foundation import TRACEBACK
from web.ui.review.queue import queue_queries

INTAKE = Actor("intake", Role.INTAKE)
AMR = Actor("amr", Role.REVIEWER, "amr")
FOOD = Actor("food", Role.REVIEWER, "amr-food")
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR)
SHA = "ab" * 32
ROW = re.compile(r'<tr class="queue-row[^"]*">\s*<td><a href="/cases/[^"#]+#item-([a-z-]+)">([A-Z0-9-]+)</a>')


def open_case(services, number: str | None = None, materials: bool = True) -> str:
    """A restaurant case (with both materials, unless told); its id."""
    saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆餐饮有限公司", VALID_CODE, "window",
                                     number=number)
    if materials:
        for key in ("id-card", "floor-plan"):
            services.cases.intake.submit_material(INTAKE, str(saved.id), key, f"{key}.pdf", SHA)
    return str(saved.id)


def rows(html: str) -> list[tuple[str, str]]:
    """(item code, case number) of each row of the queue's table."""
    return ROW.findall(html)


@pytest.fixture
def cases(ui):
    """Three cases: a business licence overdue, one due soon, one waiting; food permits overdue and on time."""
    services = ui.services
    with freeze_time(datetime.now() - timedelta(days=40)):
        late = open_case(services, "YJS-LATE")
        services.cases.review.accept_item(AMR, late, "business-licence")
        services.cases.review.accept_item(FOOD, late, "food-permit")
    soon = open_case(services, "YJS-SOON")
    services.cases.review.accept_item(AMR, soon, "business-licence")
    services.cases.review.accept_item(FOOD, soon, "food-permit")
    waiting = open_case(services, "YJS-WAIT")
    services.runner.catch_up()
    return {"late": late, "soon": soon, "waiting": waiting}


# Who may open it ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role, status", [(None, 302), ("intake", 403), ("supervisor", 403), ("auditor", 403),
                                          ("admin", 403), ("reviewer", 200)])
def test_the_queue_is_for_reviewers(ui, role, status):
    if role:
        ui.login_as(role)
    response = ui.client.get("/queue?status=in_review")
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"] == "/login?next=/queue?status%3Din_review"
    if status == 403:
        assert "无权访问此页面" in response.get_data(as_text=True)


def test_reviewers_start_on_their_queue_and_see_it_in_the_header(ui):
    ui.login_as("reviewer")
    assert ui.client.get("/").headers["Location"] == "/queue"
    page = ui.page("/queue")
    assert 'href="/queue"' in page and "待办队列" in page and "市场监督管理局" in page


# What it lists -----------------------------------------------------------------------------------
def test_the_queue_lists_only_the_departments_items_with_deadline_colours(ui, cases):
    ui.login_as("reviewer")
    page = ui.page("/queue")
    assert rows(page) == [("business-licence", "YJS-LATE"), ("business-licence", "YJS-SOON"),
                          ("business-licence", "YJS-WAIT")]  # oldest deadline first, no deadline last
    assert "food-permit" not in page and "食品经营许可" not in page
    late, soon = page.split("YJS-SOON</a>")
    assert 'class="due due-red"' in late and "已超期" in late
    assert 'class="due due-yellow"' in soon.split("YJS-WAIT")[0]  # due on the next working day
    assert "计时未开始" in page  # the waiting item has no deadline yet
    assert "queue-row-overdue" in late


def test_food_reviewers_see_their_permits_late_and_on_time(ui, cases):
    ui.login_as("food")
    page = ui.page("/queue")
    assert [number for _, number in rows(page)] == ["YJS-LATE", "YJS-SOON", "YJS-WAIT"]
    assert {code for code, _ in rows(page)} == {"food-permit"}
    assert page.count('class="due due-red"') == 1 and page.count('class="due due-green"') == 1


def test_the_counts_show_each_status_overdue_and_mine(ui, cases):
    ui.services.cases.supervision.assign_item(SUPERVISOR, cases["soon"], "business-licence", "amr", "on your desk")
    ui.services.runner.catch_up()
    ui.login_as("reviewer")
    page = ui.page("/queue")
    counts = dict(re.findall(r'<li class="count-([a-z_]+)"><a [^>]*>[^<]*<strong>(\d+)</strong>', page))
    assert counts == {"waiting": "1", "in_review": "2", "supplement_requested": "0", "overdue": "1", "mine": "1"}


def test_an_empty_queue_says_so(ui):
    ui.login_as("psb")
    page = ui.page("/queue")
    assert "暂无等待本部门办理的事项" in page and "<table" not in page


# Sorting, filtering, pages ------------------------------------------------------------------------
def test_sorting_by_case_number_either_way_and_by_date_opened(ui, cases):
    ui.login_as("reviewer")
    ascending = [n for _, n in rows(ui.page("/queue?sort=number"))]
    assert ascending == ["YJS-LATE", "YJS-SOON", "YJS-WAIT"]
    assert [n for _, n in rows(ui.page("/queue?sort=number&order=desc"))] == ascending[::-1]
    newest = [n for _, n in rows(ui.page("/queue?sort=opened&order=desc"))]
    assert newest[-1] == "YJS-LATE"
    page = ui.page("/queue?sort=number")
    assert 'aria-sort="ascending"' in page and 'href="/queue?sort=number&amp;order=desc"' in page


@pytest.mark.parametrize("query, expected", [
    ("status=in_review", ["YJS-LATE", "YJS-SOON"]),
    ("status=waiting", ["YJS-WAIT"]),
    ("overdue=1", ["YJS-LATE"]),
    ("mine=1", ["YJS-SOON"]),
    ("status=in_review&overdue=1", ["YJS-LATE"]),
    ("status=nonsense&sort=nonsense&page=x", ["YJS-LATE", "YJS-SOON", "YJS-WAIT"]),  # not understood: defaults
])
def test_filters_narrow_the_queue(ui, cases, query, expected):
    ui.services.cases.supervision.assign_item(SUPERVISOR, cases["soon"], "business-licence", "amr", "on your desk")
    ui.services.runner.catch_up()
    ui.login_as("reviewer")
    assert [n for _, n in rows(ui.page(f"/queue?{query}"))] == expected


def test_a_filter_that_matches_nothing_offers_to_clear_it(ui, cases):
    ui.login_as("reviewer")
    page = ui.page("/queue?status=supplement_requested")
    assert "没有符合筛选条件的事项" in page and 'href="/queue">显示全部待办' in page


def test_the_queue_is_paginated_on_the_server(ui):
    for n in range(30):
        open_case(ui.services, f"YJS-{n:04d}", materials=False)
    ui.services.runner.catch_up()
    ui.login_as("reviewer")
    first = ui.page("/queue?sort=number")
    assert len(rows(first)) == 25 and rows(first)[0][1] == "YJS-0000"
    assert "第 1 页，共 2 页，30 条" in first and 'href="/queue?sort=number&amp;page=2"' in first
    second = ui.page("/queue?sort=number&page=2")
    assert [n for _, n in rows(second)] == [f"YJS-{n:04d}" for n in range(25, 30)]
    beyond = ui.page("/queue?sort=number&page=9")
    assert "此页没有内容" in beyond and rows(beyond) == []


def test_htmx_gets_only_the_table_and_the_page_says_where_to_put_it(ui, cases):
    ui.login_as("reviewer")
    page = ui.page("/queue")
    assert 'hx-get="/queue" hx-target="#queue-table"' in page and 'id="queue-table"' in page
    response = ui.client.get("/queue?status=waiting", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment and "<table" in fragment
    assert [n for _, n in rows(fragment)] == ["YJS-WAIT"] and "HX-Request" in response.headers["Vary"]
    restore = ui.client.get("/queue", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_the_queue_shows_a_decision_made_a_moment_ago(ui, cases):
    ui.login_as("reviewer")
    version = ui.services.cases.reads.get_case(AMR, cases["waiting"]).version
    response = ui.post(f"/cases/{cases['waiting']}/items/business-licence/accept", {"version": str(version)})
    assert response.status_code == 303
    assert [n for _, n in rows(ui.page("/queue?status=waiting"))] == []  # no catch_up: the queue waited for it


def test_the_queue_in_english(ui, cases):
    ui.client.get("/lang/en")
    ui.login_as("reviewer")
    page = ui.page("/queue")
    assert "My queue" in page and "overdue" in page and "Market Regulation" in page and not TRACEBACK.search(page)


def test_the_queue_query_keeps_the_access_rule_of_department_queues(ui, cases):
    with ui.app.app_context():
        queries = queue_queries()
        assert queries.department_queue(SUPERVISOR, "amr")["page"].total == 3  # supervisors see every queue
        assert queries.department_queue(FOOD, "amr-food", QueueFilter(overdue=True))["page"].total == 1
        for actor in (FOOD, INTAKE, Actor("auditor", Role.AUDITOR)):
            with pytest.raises(NotAllowed):
                queries.department_queue(actor, "amr")
        with pytest.raises(InvalidInput):
            queries.department_queue(AMR, "amr", QueueFilter(sort="applicant"))


def test_with_the_read_models_kept_by_another_process_the_next_page_waits_for_the_decision(ui, cases):
    ui.services.runner.projects_here = False  # `onething run --no-projections`: a worker elsewhere catches up
    ui.login_as("reviewer")
    version = ui.services.cases.reads.get_case(AMR, cases["waiting"]).version
    response = ui.post(f"/cases/{cases['waiting']}/items/business-licence/accept", {"version": str(version)})
    assert response.status_code == 303
    worker = threading.Timer(0.3, ui.services.runner.catch_up)
    worker.start()
    try:
        page = ui.page("/queue?status=waiting")  # the session's token: the page waits for the worker
    finally:
        worker.join()
    assert [n for _, n in rows(page)] == []


def test_a_page_whose_read_models_stay_behind_asks_to_try_again_in_a_second(ui, cases):
    ui.services.runner.projects_here = False
    ui.login_as("reviewer")
    version = ui.services.cases.reads.get_case(AMR, cases["waiting"]).version
    ui.post(f"/cases/{cases['waiting']}/items/business-licence/accept", {"version": str(version)})
    response = ui.client.get("/queue?status=waiting")  # no worker runs: 2 s, then 503
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "<html" in response.get_data(as_text=True)
    ui.services.runner.catch_up()
    assert [n for _, n in rows(ui.page("/queue?status=waiting"))] == []  # the same page, once caught up


def test_the_apps_own_files_and_pages_long_after_the_last_write_never_wait(ui, cases):
    ui.services.runner.projects_here = False  # and no worker runs: a wait would last 2 s and end in 503
    ui.login_as("reviewer")
    version = ui.services.cases.reads.get_case(AMR, cases["waiting"]).version
    ui.post(f"/cases/{cases['waiting']}/items/business-licence/accept", {"version": str(version)})
    started = time.monotonic()
    assert ui.client.get("/static/app.css").status_code == 200 and time.monotonic() - started < 1
    with freeze_time(datetime.now() + timedelta(seconds=61)):  # the session's token is too old to wait for
        assert ui.client.get("/queue").status_code == 200


@pytest.mark.parametrize("chosen, total", [  # late and soon in review, soon assigned to amr and not overdue
    (QueueFilter(), 3), (QueueFilter(status="waiting"), 1), (QueueFilter(status="in_review"), 2),
    (QueueFilter(overdue=True), 1), (QueueFilter(overdue=False), 2), (QueueFilter(mine=True), 1),
    (QueueFilter(mine=True, status="in_review"), 1), (QueueFilter(mine=True, overdue=True), 0),
    (QueueFilter(status="in_review", overdue=True), 1),
], ids=repr)
def test_a_filtered_queue_says_how_many_items_it_lists_in_all(ui, cases, chosen, total):
    ui.services.cases.supervision.assign_item(SUPERVISOR, cases["soon"], "business-licence", "amr", "on your desk")
    ui.services.runner.catch_up()
    with ui.app.app_context():
        queries = queue_queries()
        page = queries.department_queue(AMR, "amr", chosen)["page"]
        every = queries.department_queue(AMR, "amr", QueueFilter(status=chosen.status, overdue=chosen.overdue,
                                                                 mine=chosen.mine, per_page=100))["page"]
    assert page.total == len(every.rows) == total
