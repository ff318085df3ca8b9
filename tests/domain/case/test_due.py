"""Clocks that follow prerequisites, and the case's due date (README "Deadline rule").

The restaurant bundle: ``business-licence`` (amr, 1 working day) and ``food-permit`` (amr-food, 5 working
days, waits for the licence). Calendar: Monday to Friday; MONDAY is 2 March 2026.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.case.aggregate import Case
from domain.case.due import ItemClock, projected_due
from domain.catalogue.definitions import BundleDef, ItemDef, MaterialDef
from domain.shared.working_days import WorkClock, add_working_days
from tests.conftest import AMR, FOOD, SUPERVISOR, weekdays
from tests.domain.case.cases import FOOD_PERMIT, LICENCE, MONDAY, open_case, submit

WEDNESDAY, THURSDAY = MONDAY + timedelta(days=2), MONDAY + timedelta(days=3)


def add(start: date, days: int) -> date:
    return add_working_days(start, days, weekdays)


def licence_approved_on(day: date, *, permit_accepted_on: date | None = None) -> Case:
    """Both materials in; the licence accepted on MONDAY and approved on ``day``."""
    case = open_case()
    submit(case, "id-card", "floor-plan")
    case.accept_item(LICENCE, MONDAY, weekdays, AMR)
    if permit_accepted_on is not None:
        case.accept_item(FOOD_PERMIT, permit_accepted_on, weekdays, FOOD)
    case.approve_item(LICENCE, AMR, clock=WorkClock(day, weekdays))
    return case


class TestClockStartedByPrerequisites:
    def test_approving_the_last_prerequisite_starts_the_waiting_items_clock(self):
        case = licence_approved_on(WEDNESDAY)
        started = [e for e in case.collect_events() if isinstance(e, Case.ItemClockStarted)]
        assert [(e.item, e.started_on, e.due, e.actor, e.reason) for e in started] == [
            (FOOD_PERMIT, WEDNESDAY, date(2026, 3, 11), AMR, "prerequisite 'business-licence' approved")]
        permit = case.items[FOOD_PERMIT]
        assert (permit.status, permit.accepted_on, permit.clock_start, permit.due) == (
            "waiting", None, WEDNESDAY, date(2026, 3, 11))

    def test_accepting_it_later_keeps_the_running_clock(self):
        case = licence_approved_on(WEDNESDAY)
        case.accept_item(FOOD_PERMIT, date(2026, 3, 6), weekdays, FOOD)  # Friday: two days gone already
        permit = case.items[FOOD_PERMIT]
        assert (permit.status, permit.accepted_on, permit.clock_start, permit.due) == (
            "in_review", date(2026, 3, 6), WEDNESDAY, date(2026, 3, 11))

    def test_an_item_accepted_before_its_prerequisite_was_approved_keeps_its_own_clock(self):
        case = licence_approved_on(WEDNESDAY, permit_accepted_on=MONDAY)
        assert not any(isinstance(e, Case.ItemClockStarted) for e in case.collect_events())
        assert (case.items[FOOD_PERMIT].clock_start, case.items[FOOD_PERMIT].due) == (MONDAY, date(2026, 3, 9))

    def test_an_item_with_two_prerequisites_starts_when_the_second_is_approved(self):
        bundle = BundleDef(code="two", name="两证", materials=(MaterialDef("id", "身份证明"),), items=(
            ItemDef("a", "甲", "amr", 2), ItemDef("b", "乙", "psb", 3),
            ItemDef("c", "丙", "city", 4, prerequisites=("a", "b"))))
        case = open_case(bundle)
        for code in ("a", "b"):
            case.accept_item(code, MONDAY, weekdays, SUPERVISOR)
        case.approve_item("a", SUPERVISOR, clock=WorkClock(MONDAY, weekdays))
        assert case.items["c"].due is None
        case.approve_item("b", SUPERVISOR, clock=WorkClock(THURSDAY, weekdays))
        assert (case.items["c"].clock_start, case.items["c"].due) == (THURSDAY, add(THURSDAY, 4))

    def test_approval_on_commitment_starts_the_clock_too(self):
        bundle = BundleDef(code="pair", name="两项", materials=(MaterialDef("id", "身份证明"),), items=(
            ItemDef("a", "甲", "amr", 2, commitment_allowed=True), ItemDef("b", "乙", "psb", 3, prerequisites=("a",))))
        case = open_case(bundle)
        case.accept_item("a", MONDAY, weekdays, SUPERVISOR)
        case.approve_on_commitment("a", "本人承诺", SUPERVISOR, clock=WorkClock(MONDAY, weekdays))
        assert case.items["b"].due == add(MONDAY, 3)

    def test_the_clock_start_is_provisional_in_a_year_the_calendar_does_not_know(self):
        case = open_case()
        submit(case, "id-card", "floor-plan")
        case.accept_item(LICENCE, MONDAY, weekdays, AMR)
        case.approve_item(LICENCE, AMR, clock=WorkClock(MONDAY, weekdays, knows=lambda d: d.year < 2026))
        assert case.items[FOOD_PERMIT].due_provisional is True

    def test_a_started_clock_on_a_waiting_item_is_warned_and_breached(self):
        case = licence_approved_on(MONDAY)  # permit due Monday 9 March, not accepted
        case.collect_events()
        case.check_deadlines(date(2026, 3, 6), weekdays, 3, SUPERVISOR)  # 4 of 5 working days used
        case.check_deadlines(date(2026, 3, 10), weekdays, 3, SUPERVISOR)
        kinds = [type(e).__name__ for e in case.collect_events()]
        assert kinds == ["DeadlineWarned", "DeadlineBreached", "EscalationOpened"]

    def test_a_waiting_item_whose_prerequisites_are_not_approved_is_not_checked(self):
        case = open_case()
        assert case.check_deadlines(date(2026, 6, 1), weekdays, 3, SUPERVISOR) == 0


def clock(code: str, status: str = "waiting", due: date | None = None, days: int = 5,
          prerequisites: tuple[str, ...] = ()) -> ItemClock:
    return ItemClock(code, status, due, days, prerequisites)


# The case's due date: a table a reviewer can read. Each row: items, as_of, expected due date.
M = MONDAY  # Monday 2 March 2026; add(M, 1) is Tuesday 3, add(M, 5) Monday 9
PROJECTIONS = [
    ("nothing accepted: the roadmap from as_of",
     [clock("a", days=1), clock("b", prerequisites=("a",))], M, add(add(M, 1), 5)),
    ("both accepted: the later recorded due date",
     [clock("a", "in_review", add(M, 1), 1), clock("b", "in_review", add(M, 5), prerequisites=("a",))], M,
     add(M, 5)),
    ("prerequisite in review: the dependant starts on its due date",
     [clock("a", "in_review", date(2026, 3, 4), 2), clock("b", prerequisites=("a",))], M,
     add(date(2026, 3, 4), 5)),
    ("prerequisite overdue: the dependant starts no earlier than as_of",
     [clock("a", "in_review", date(2026, 3, 4), 2), clock("b", prerequisites=("a",))], date(2026, 3, 16),
     add(date(2026, 3, 16), 5)),
    ("prerequisite approved, clock started: the recorded due date",
     [clock("a", "approved", add(M, 1), 1), clock("b", "waiting", add(M, 5), prerequisites=("a",))], M, add(M, 5)),
    ("a rejected item and what waited on it count for nothing",
     [clock("a", "rejected", add(M, 1), 1), clock("b", "withdrawn", prerequisites=("a",)),
      clock("c", "in_review", add(M, 2), 2)], M, add(M, 2)),
    ("the longest of two chains",
     [clock("a", days=1), clock("b", days=10), clock("c", days=2, prerequisites=("a", "b"))], M,
     add(add(M, 10), 2)),
    ("no items left", [clock("a", "withdrawn")], M, None),
]


@pytest.mark.parametrize(("items", "as_of", "expected"), [row[1:] for row in PROJECTIONS],
                         ids=[row[0] for row in PROJECTIONS])
def test_the_case_due_date_follows_prerequisites(items, as_of, expected):
    assert projected_due(items, as_of, add) == expected


def test_a_closed_case_counts_only_its_approved_items_deadlines():
    case = licence_approved_on(MONDAY, permit_accepted_on=MONDAY)  # licence due Tue 3, permit due Mon 9
    case.withdraw(FOOD, "申请人撤回")  # the permit, undecided, is withdrawn with the case
    assert case.due_as_of(date(2026, 6, 1), add) == date(2026, 3, 3)


def test_an_open_case_projects_its_unstarted_items():
    case = open_case()
    assert case.due is None  # nothing recorded yet
    assert case.due_as_of(MONDAY, add) == add(add(MONDAY, 1), 5)
