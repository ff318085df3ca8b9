"""Calendar overrides recorded by an admin take effect in every process, within a second."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from application.common.errors import NotAllowed
from domain.shared.errors import InvalidValue
from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, SUPERVISOR, make_services


def test_a_declared_local_holiday_is_skipped_by_deadlines(services):
    services.calendar.refresh_seconds = 0
    services.catalogue.declare_calendar_day(ADMIN, date(2026, 3, 3), False, "暴雪停工")
    with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")  # 1 day: Tuesday is now off
    assert services.cases.load(case_id).items["business-licence"].due == date(2026, 3, 4)


def test_declaring_a_year_complete_makes_its_deadlines_final(services):
    services.calendar.refresh_seconds = 0
    assert not services.calendar.knows(date(2027, 1, 4))
    services.catalogue.declare_calendar_day(ADMIN, date(2027, 1, 1), False, "元旦")
    services.catalogue.declare_calendar_year(ADMIN, 2027, "国办发明电〔2026〕某号")
    assert services.calendar.knows(date(2027, 1, 4)) and not services.calendar.is_workday(date(2027, 1, 1))


def test_another_process_sees_the_override(services):
    other = make_services(services.settings.database_url)
    other.calendar.refresh_seconds = 0
    assert other.calendar.is_workday(date(2026, 3, 3))
    services.catalogue.declare_calendar_day(ADMIN, date(2026, 3, 3), False, "暴雪停工")
    assert not other.calendar.is_workday(date(2026, 3, 3))


def test_only_admins_change_the_calendar_and_they_say_why(services):
    with pytest.raises(NotAllowed):
        services.catalogue.declare_calendar_day(SUPERVISOR, date(2026, 3, 3), False, "x")
    with pytest.raises(InvalidValue):
        services.catalogue.declare_calendar_day(ADMIN, date(2026, 3, 3), False, " ")
    with pytest.raises(InvalidValue):
        services.catalogue.declare_calendar_year(ADMIN, 1999, "x")
    assert services.catalogue.calendar_overrides()[0] == 0


def test_cycle_times_follow_a_holiday_declared_while_the_process_runs(services):
    services.calendar.refresh_seconds = 0

    def licence_cycle(day_accepted, day_decided):
        with freeze_time(f"{day_accepted} 09:00:00+08:00"):
            case_id = open_restaurant(services)
            submit_all(services, case_id)
            services.cases.review.accept_item(AMR, case_id, "business-licence")
        with freeze_time(f"{day_decided} 09:00:00+08:00"):
            services.cases.review.approve_item(AMR, case_id, "business-licence")
        services.runner.catch_up()
        (row,) = [r for r in services.queries.store.case_items(str(case_id)) if r["code"] == "business-licence"]
        return row["cycle_days"]

    assert licence_cycle("2026-03-02", "2026-03-04") == 2
    services.catalogue.declare_calendar_day(ADMIN, date(2026, 3, 3), False, "暴雪停工")
    assert licence_cycle("2026-03-02", "2026-03-04") == 1  # the same dates, now with a day off between
