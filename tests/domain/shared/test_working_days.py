"""Working-day arithmetic: due dates count working days from the day after acceptance."""

from datetime import date

import pytest

from domain.shared.working_days import add_working_days, extend_after_pause, working_days_between
from tests.conftest import weekdays
from tests.domain.case.cases import HOLIDAY, WORKING_SATURDAY, calendar

MONDAY = date(2026, 3, 2)
FRIDAY = date(2026, 3, 6)
SATURDAY = date(2026, 3, 7)


class TestAddWorkingDays:
    def test_counting_starts_the_day_after(self):
        assert add_working_days(MONDAY, 1, weekdays) == date(2026, 3, 3)

    def test_a_weekend_is_skipped(self):
        assert add_working_days(FRIDAY, 1, weekdays) == date(2026, 3, 9)

    def test_five_working_days_from_monday_end_next_monday(self):
        assert add_working_days(MONDAY, 5, weekdays) == date(2026, 3, 9)

    def test_a_holiday_is_skipped(self):
        assert calendar(HOLIDAY) is False
        assert add_working_days(date(2026, 4, 3), 1, calendar) == date(2026, 4, 7)

    def test_an_adjusted_working_saturday_counts(self):
        assert add_working_days(date(2026, 4, 10), 1, calendar) == WORKING_SATURDAY

    def test_holiday_and_working_saturday_together(self):
        # Fri 3 Apr + 5: Tue 7, Wed 8, Thu 9, Fri 10, Sat 11 (Mon 6 is a holiday).
        assert add_working_days(date(2026, 4, 3), 5, calendar) == WORKING_SATURDAY

    def test_a_start_on_a_non_working_day_counts_from_the_next_working_day(self):
        assert add_working_days(SATURDAY, 1, weekdays) == date(2026, 3, 9)

    def test_zero_days_is_the_start_itself(self):
        assert add_working_days(SATURDAY, 0, weekdays) == SATURDAY

    def test_negative_days_are_refused(self):
        with pytest.raises(ValueError):
            add_working_days(MONDAY, -1, weekdays)


class TestWorkingDaysBetween:
    def test_start_is_excluded_and_end_included(self):
        assert working_days_between(MONDAY, date(2026, 3, 3), weekdays) == 1

    def test_weekends_and_holidays_do_not_count_but_working_saturdays_do(self):
        # After Fri 3 Apr up to Mon 13 Apr: Tue-Fri (4), Sat 11 (1), Mon 13 (1).
        assert working_days_between(date(2026, 4, 3), date(2026, 4, 13), calendar) == 6

    def test_same_day_is_zero(self):
        assert working_days_between(MONDAY, MONDAY, weekdays) == 0

    def test_end_before_start_is_zero(self):
        assert working_days_between(FRIDAY, MONDAY, weekdays) == 0

    @pytest.mark.parametrize("days", range(0, 30))
    def test_counts_back_what_add_working_days_adds(self, days):
        start = date(2026, 4, 1)
        end = add_working_days(start, days, calendar)
        assert working_days_between(start, end, calendar) == days


class TestExtendAfterPause:
    def test_due_moves_by_the_working_days_the_clock_stood_still(self):
        # Paused Wed 4 Mar, resumed Fri 6 Mar: Thu and Fri are given back.
        due = date(2026, 3, 9)
        assert extend_after_pause(due, date(2026, 3, 4), FRIDAY, weekdays) == date(2026, 3, 11)

    def test_a_pause_resumed_the_same_day_changes_nothing(self):
        due = date(2026, 3, 9)
        assert extend_after_pause(due, date(2026, 3, 4), date(2026, 3, 4), weekdays) == due

    def test_a_pause_over_a_weekend_only_changes_nothing(self):
        due = date(2026, 3, 12)
        assert extend_after_pause(due, FRIDAY, date(2026, 3, 8), weekdays) == due

    def test_the_extension_skips_holidays(self):
        # Due Fri 3 Apr, paused one working day: the next working day is Tue 7 Apr.
        due, paused, resumed = date(2026, 4, 3), date(2026, 4, 1), date(2026, 4, 2)
        assert extend_after_pause(due, paused, resumed, calendar) == date(2026, 4, 7)
