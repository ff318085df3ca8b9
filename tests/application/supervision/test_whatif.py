"""The what-if replay's arithmetic: scaled limits rounded up, pauses added back as the real rule does."""

from __future__ import annotations

from datetime import date

from application.supervision.whatif import ItemRun, compare
from tests.conftest import weekdays


def run(**values):
    base = dict(bundle="b", department="d", time_limit_days=5, clock_from=date(2026, 3, 2),
                recorded_due=date(2026, 3, 9))
    return ItemRun(**{**base, **values})


def test_a_scaled_limit_is_rounded_up_and_never_below_one_day():
    assert run().due_under(0.5, weekdays) == date(2026, 3, 5)  # ceil(2.5) = 3 working days
    assert run(time_limit_days=1).due_under(0.1, weekdays) == date(2026, 3, 3)


def test_a_supplement_pause_is_added_back_under_the_policy_too():
    paused = run(pauses=[(date(2026, 3, 3), date(2026, 3, 5))])  # Wed and Thu stood still
    assert paused.due_under(0.5, weekdays) == date(2026, 3, 9)  # Thu 5 + 2 working days


def test_undecided_items_past_the_policys_due_date_count_as_breaches():
    tallies = compare([run()], 0.5, date(2026, 3, 6), weekdays)
    assert tallies["bundle:b"]["recorded"].breaches == 0 and tallies["bundle:b"]["what_if"].breaches == 1
    paused_now = run(paused_on=date(2026, 3, 4))
    assert compare([paused_now], 0.5, date(2026, 3, 6), weekdays)["bundle:b"]["what_if"].breaches == 0
