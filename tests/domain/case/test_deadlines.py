"""Deadline supervision: warnings at 80 %, breaches, automatic escalation and its rising — once each."""

from __future__ import annotations

import json
from datetime import date, timedelta

from domain.case.aggregate import Case
from tests.conftest import AMR, SUPERVISOR, weekdays
from tests.domain.case.cases import CLOCK, MONDAY, in_review, open_case, submit

SYSTEM = SUPERVISOR


def types(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.collect_events()]


def food_accepted_monday() -> Case:
    """The food permit (5 working days) accepted Monday 2 March 2026: due Monday 9 March; the licence is
    decided, so the food permit's is the only clock running."""
    case = in_review()
    case.approve_item("business-licence", AMR, clock=CLOCK)
    case.collect_events()
    assert case.items["food-permit"].due == date(2026, 3, 9)
    return case


def test_nothing_is_recorded_while_less_than_80_percent_is_used():
    case = food_accepted_monday()
    assert case.check_deadlines(date(2026, 3, 5), weekdays, 3, SYSTEM) == 0  # 3 of 5 working days


def test_the_yellow_warning_is_recorded_once_at_80_percent():
    case = food_accepted_monday()
    case.check_deadlines(date(2026, 3, 6), weekdays, 3, SYSTEM)  # Friday: 4 of 5 used
    events = case.collect_events()
    warned = [e for e in events if isinstance(e, Case.DeadlineWarned)]
    assert [(e.item, e.used_days, e.allowed_days) for e in warned] == [("food-permit", 4, 5)]
    assert case.check_deadlines(date(2026, 3, 6), weekdays, 3, SYSTEM) == 0  # a second tick: nothing new


def test_a_breach_is_recorded_once_and_opens_a_level_1_escalation():
    case = food_accepted_monday()
    case.check_deadlines(date(2026, 3, 10), weekdays, 3, SYSTEM)  # Tuesday after the due Monday
    events = case.collect_events()
    assert [type(e).__name__ for e in events] == ["DeadlineBreached", "EscalationOpened"]
    opened = events[-1]
    assert (opened.level, opened.opened_on) == (1, date(2026, 3, 10)) and "food-permit" in opened.reason
    assert case.check_deadlines(date(2026, 3, 10), weekdays, 3, SYSTEM) == 0


def test_an_unresolved_escalation_rises_a_level_after_the_set_working_days_and_stops_at_3():
    case = food_accepted_monday()
    case.check_deadlines(date(2026, 3, 10), weekdays, 3, SYSTEM)
    case.collect_events()
    assert case.check_deadlines(date(2026, 3, 12), weekdays, 3, SYSTEM) == 0  # 2 working days on
    case.check_deadlines(date(2026, 3, 13), weekdays, 3, SYSTEM)  # 3 working days: up to level 2
    raised = case.collect_events()
    assert [(type(e).__name__, e.level, e.raised_on) for e in raised] == [
        ("EscalationRaised", 2, date(2026, 3, 13))]
    case.check_deadlines(date(2026, 3, 18), weekdays, 3, SYSTEM)  # 3 more working days: level 3
    case.check_deadlines(date(2026, 3, 30), weekdays, 3, SYSTEM)
    assert case.escalations[0].level == 3
    assert types(case) == ["EscalationRaised"]


def test_a_paused_or_decided_item_is_not_warned():
    case = food_accepted_monday()
    case.request_supplement("food-permit", [], MONDAY, AMR, "平面图不清晰")
    case.collect_events()
    assert case.check_deadlines(date(2026, 3, 20), weekdays, 3, SYSTEM) == 0


def test_a_closed_case_is_not_checked():
    case = food_accepted_monday()
    case.withdraw(AMR, "撤回")
    assert case.check_deadlines(date(2026, 4, 1), weekdays, 3, SYSTEM) == 0


def test_a_supervisor_urges_and_raises_by_hand():
    case = open_case()
    submit(case, "id-card")
    case.urge("business-licence", SUPERVISOR, "请加快办理")
    number = case.escalate(1, SUPERVISOR, "进度慢", MONDAY)
    assert case.raise_escalation(number, MONDAY + timedelta(days=1), SUPERVISOR, "提级督办") == 2
    assert case.items["business-licence"].urges == 1 and case.escalations[0].level == 2


def test_an_escalation_recorded_before_version_2_still_loads():
    """Stored v1 events had no opened_on: the upcaster fills it in (no automatic rising for them)."""
    state = {"originator_id": "00000000-0000-0000-0000-000000000001", "originator_version": 5,
             "timestamp": "2026-03-02T01:00:00+00:00", "actor": {}, "reason": "慢", "number": 1, "level": 1}
    Case.EscalationOpened.upcast_v1_v2(state)
    assert state["opened_on"] is None and json.dumps(state)
