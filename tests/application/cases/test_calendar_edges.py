"""Deadlines across China's real calendar edges, table-driven (chinesecalendar's 2025 and 2026 data).

The rule: N working days counted from the day after acceptance; a supplement pause adds back the working
days after the request up to and including the day the supplement arrived. W = working day, - = not.

2025 Spring Festival:  01-25 Sa -, 01-26 Su W (调休), 01-28 .. 02-04 -, 02-05 W, 02-08 Sa W (调休)
2026 Spring Festival:  02-14 Sa W (调休), 02-15 .. 02-23 -, 02-24 W, 02-28 Sa W (调休)
2025 National Day / Mid-Autumn:  09-28 Su W (调休), 10-01 .. 10-08 -, 10-09 W, 10-11 Sa W (调休)
"""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from domain.shared.working_days import add_working_days, extend_after_pause
from infrastructure.calendar.workdays import WorkingCalendar
from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import AMR, FOOD

CALENDAR = WorkingCalendar()

DEADLINES = [
    # accepted on,       days, due,                 why
    (date(2025, 1, 27), 3, date(2025, 2, 7), "Spring Festival 2025: 01-28 to 02-04 do not count"),
    (date(2025, 1, 24), 1, date(2025, 1, 26), "the adjusted working Sunday 26 Jan 2025 counts"),
    (date(2025, 2, 7), 1, date(2025, 2, 8), "the adjusted working Saturday 8 Feb 2025 counts"),
    (date(2026, 2, 13), 2, date(2026, 2, 24), "Saturday 14 Feb 2026 counts, then the holiday to 23 Feb"),
    (date(2026, 2, 18), 1, date(2026, 2, 24), "accepted on a holiday: the clock starts the next working day"),
    (date(2026, 2, 26), 2, date(2026, 2, 28), "the adjusted working Saturday 28 Feb 2026 counts"),
    (date(2025, 9, 26), 1, date(2025, 9, 28), "the adjusted working Sunday 28 Sep 2025 counts"),
    (date(2025, 9, 30), 5, date(2025, 10, 14), "National Day 2025: 10-01 to 10-08 off, Saturday 11 Oct works"),
    (date(2025, 10, 3), 3, date(2025, 10, 11), "accepted during National Day 2025"),
    (date(2026, 9, 30), 5, date(2026, 10, 13), "National Day 2026: 8, 9, Saturday 10 (调休), 12, 13 Oct"),
]


@pytest.mark.parametrize("accepted, days, due, why", DEADLINES, ids=[d[3] for d in DEADLINES])
def test_due_dates_across_real_holidays(accepted, days, due, why):
    assert add_working_days(accepted, days, CALENDAR.is_workday) == due, why


PAUSES = [
    # due before,         requested on,        received on,          due after,           why
    (date(2025, 10, 13), date(2025, 9, 30), date(2025, 10, 9), date(2025, 10, 14),
     "a pause over National Day 2025 adds back one working day (9 Oct)"),
    (date(2026, 2, 24), date(2026, 2, 13), date(2026, 2, 25), date(2026, 2, 27),
     "a pause over Spring Festival 2026 adds back 14 Feb (调休), 24 and 25 Feb"),
]


@pytest.mark.parametrize("due, requested, received, moved, why", PAUSES, ids=[p[4] for p in PAUSES])
def test_a_supplement_pause_spanning_a_holiday(due, requested, received, moved, why):
    assert extend_after_pause(due, requested, received, CALENDAR.is_workday) == moved, why


def test_through_the_commands_acceptance_on_a_holiday_and_a_pause_over_it(services):
    with freeze_time("2026-02-13 10:00:00+08:00"):  # Friday before Spring Festival 2026
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(FOOD, case_id, "food-permit")  # 5 working days
    # 14 Feb (调休), 24, 25, 26, 27 Feb
    assert services.cases.load(case_id).items["food-permit"].due == date(2026, 2, 27)
    with freeze_time("2026-02-14 10:00:00+08:00"):  # the adjusted working Saturday
        services.cases.review.request_supplement(FOOD, case_id, "food-permit", "平面图不清晰", ["floor-plan"])
    with freeze_time("2026-02-24 10:00:00+08:00"):  # the first working day after the holiday
        services.cases.review.receive_supplement(FOOD, case_id, "food-permit")
    # paused after 14 Feb up to 24 Feb: one working day (24 Feb) is added back, and the next working day
    # after 27 Feb is the adjusted working Saturday 28 Feb
    assert services.cases.load(case_id).items["food-permit"].due == date(2026, 2, 28)


def test_a_due_date_in_a_year_the_calendar_does_not_know_is_marked_provisional(services):
    with freeze_time("2026-12-28 10:00:00+08:00"):  # Monday; 5 working days reach into 2027
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(FOOD, case_id, "food-permit")
        services.cases.review.accept_item(AMR, case_id, "business-licence")  # 1 day: Tuesday 29 December
    items = services.cases.load(case_id).items
    assert items["food-permit"].due_provisional and not items["business-licence"].due_provisional
    services.runner.catch_up()
    rows = {r["code"]: r for r in services.queries.store.case_items(str(case_id))}
    assert rows["food-permit"]["due_provisional"] and not rows["business-licence"]["due_provisional"]


def test_events_recorded_before_the_provisional_flag_still_load():
    from domain.case.aggregate import Case

    for event_class in (Case.ItemAccepted, Case.SupplementReceived):
        state = {"item": "x", "due": "2026-03-09"}
        event_class.upcast_v1_v2(state)
        assert state["due_provisional"] is False


def test_a_prerequisite_approved_before_spring_festival_starts_the_waiting_permits_clock(services):
    """README worked example 3: the licence approved Friday 13 Feb 2026 starts the food permit's 5 working days
    although nobody accepted it: 14 Feb (调休), 24, 25, 26, 27 Feb; accepting it on 25 Feb changes nothing."""
    with freeze_time("2026-02-13 10:00:00+08:00"):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.cases.review.approve_item(AMR, case_id, "business-licence")
    assert services.cases.load(case_id).items["food-permit"].due == date(2026, 2, 27)
    with freeze_time("2026-02-25 10:00:00+08:00"):
        services.cases.review.accept_item(FOOD, case_id, "food-permit")
    permit = services.cases.load(case_id).items["food-permit"]
    assert (permit.clock_start, permit.accepted_on, permit.due) == (date(2026, 2, 13), date(2026, 2, 25),
                                                                     date(2026, 2, 27))
