"""`onething sla tick` over all cases: warnings and breaches once, escalations that rise."""

from __future__ import annotations

from freezegun import freeze_time

from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import AMR, FOOD, SUPERVISOR


def test_a_tick_run_twice_records_each_warning_once(services):
    with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(FOOD, case_id, "food-permit")  # due Monday 9 March
    with freeze_time("2026-03-06 18:00:00+08:00"):  # Friday: 4 of 5 working days used
        first = services.sla.tick()
        second = services.sla.tick()
    assert (first.cases_checked, first.events) == (1, 1)
    assert second.events == 0
    assert services.cases.load(case_id).items["food-permit"].warned


def test_breaches_escalate_and_then_rise_a_level_on_the_board(services):
    with freeze_time("2026-03-02 09:00:00+08:00"):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")  # due Tuesday 3 March
    with freeze_time("2026-03-04 09:00:00+08:00"):
        assert services.sla.tick().events == 2  # breached + escalation level 1
    with freeze_time("2026-03-09 09:00:00+08:00"):  # 3 working days later (Thu, Fri, Mon)
        assert services.sla.tick().events == 1  # up to level 2
        services.runner.catch_up()
        (board,) = services.queries.escalation_board(SUPERVISOR, "open")
    assert (board["level"], board["supervisor"], board["raised_on"].isoformat()) == (2, "system:sla", "2026-03-09")
    items = {i["code"]: i for i in services.queries.store.case_items(str(case_id))}
    assert items["business-licence"]["warning"] == "red"


def test_cases_without_a_running_clock_are_not_touched(services):
    case_id = open_restaurant(services)
    assert services.sla.tick().cases_checked == 0
    assert services.cases.load(case_id).version == 1


def test_a_waiting_item_whose_prerequisite_was_approved_is_breached_though_nobody_accepted_it(services):
    with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.approve_item(AMR, case_id, "business-licence")  # the permit's clock: due Monday 9 March
    with freeze_time("2026-03-10 09:00:00+08:00"):
        report = services.sla.tick()
        services.runner.catch_up()
        (board,) = services.queries.escalation_board(SUPERVISOR, "open")
    assert (report.cases_checked, report.events) == (1, 2)  # breached + escalation level 1
    assert board["reason"] == "overdue: food-permit"
    items = {i["code"]: i for i in services.queries.store.case_items(str(case_id))}
    assert (items["food-permit"]["status"], items["food-permit"]["warning"]) == ("waiting", "red")
