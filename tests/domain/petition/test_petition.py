"""The Petition aggregate (诉求): every command's happy path, and each refusal leaves no event behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from domain.petition.aggregate import Petition
from domain.petition.values import Enterprise, PetitionChannel, PetitionStatus
from domain.shared.errors import (
    DomainError,
    EscalationAtHighestLevel,
    InvalidRating,
    InvalidValue,
    PetitionClosed,
    ReasonRequired,
    WrongPetitionStatus,
)
from tests.conftest import AMR, INTAKE, SUPERVISOR, VALID_CODE, weekdays

MONDAY = date(2026, 3, 2)
SYSTEM = SUPERVISOR


def submitted(number: str = "QH-1", **kwargs) -> Petition:
    """A hotline petition received on MONDAY."""
    fields = {"enterprise": Enterprise("泉城小馆餐饮有限公司", VALID_CODE), "subject": "园区停电",
              "text": "园区三天两次停电，冷库食材受损", "channel": PetitionChannel.HOTLINE, **kwargs}
    return Petition.submit(number=number, submitted_on=MONDAY, actor=INTAKE, **fields)


def routed(days: int = 3) -> Petition:
    """Routed to amr on MONDAY, due ``days`` working days later."""
    petition = submitted()
    petition.route("amr", days, MONDAY, weekdays, SUPERVISOR)
    return petition


def answered() -> Petition:
    petition = routed()
    petition.answer("已协调供电公司检修线路", date(2026, 3, 4), AMR)
    return petition


def last_event(petition: Petition):
    return petition.collect_events()[-1]


@contextmanager
def refused(petition: Petition, error: type[DomainError]) -> Iterator[None]:
    """Expect the block to raise ``error`` and to record no event."""
    before, version = list(petition.pending_events), petition.version
    with pytest.raises(error):
        yield
    assert petition.pending_events == before and petition.version == version


class TestSubmit:
    def test_the_petition_waits_unrouted_with_who_raised_what(self):
        petition = submitted(related_case="YJS20260302-ABCDEF", reason="12345 转来")
        assert petition.status == PetitionStatus.SUBMITTED and petition.department is None
        assert petition.enterprise == {"name": "泉城小馆餐饮有限公司", "credit_code": VALID_CODE}
        assert (petition.submitted_by, petition.submitted_on, petition.related_case) == (
            "window1", MONDAY, "YJS20260302-ABCDEF")
        [event] = petition.collect_events()
        assert isinstance(event, Petition.Submitted)
        assert (event.actor, event.reason, event.channel) == (INTAKE, "12345 转来", "hotline")

    def test_the_id_follows_from_the_number(self):
        assert submitted("QH-7").id == Petition.create_id("QH-7") != Petition.create_id("QH-8")

    def test_the_credit_code_is_optional(self):
        assert submitted(enterprise=Enterprise("某企业")).enterprise["credit_code"] is None

    @pytest.mark.parametrize("fields", [
        {"subject": " "}, {"text": ""}, {"subject": "x" * 201}, {"text": "x" * 2001}, {"text": "a\x00b"},
        {"enterprise": Enterprise("  ")}, {"related_case": ""}, {"reason": "\x07"},
    ])
    def test_blank_long_or_unstorable_text_is_refused(self, fields):
        with pytest.raises(InvalidValue):
            submitted(**fields)

    def test_an_unknown_channel_is_refused(self):
        with pytest.raises(InvalidValue):
            submitted(channel="carrier-pigeon")


class TestRoute:
    def test_the_due_date_counts_working_days_from_the_routing_day(self):
        petition = submitted()
        petition.collect_events()
        petition.route("amr", 5, MONDAY, weekdays, SUPERVISOR, "涉及市场监管")
        assert (petition.status, petition.department, petition.due) == (PetitionStatus.ROUTED, "amr", date(2026, 3, 9))
        event = last_event(petition)
        assert isinstance(event, Petition.Routed) and (event.time_limit_days, event.due_provisional) == (5, False)

    def test_a_due_date_in_a_year_the_calendar_does_not_know_is_provisional(self):
        petition = submitted()
        petition.route("amr", 5, MONDAY, weekdays, SUPERVISOR, knows=lambda day: day.year < 2026)
        assert petition.due_provisional is True

    @pytest.mark.parametrize("days", [0, 61, -1, True, 2.0, "5"])
    def test_the_time_limit_is_a_whole_number_of_days_from_1_to_60(self, days):
        petition = submitted()
        with refused(petition, InvalidValue):
            petition.route("amr", days, MONDAY, weekdays, SUPERVISOR)

    def test_a_routed_petition_is_rerouted_not_routed_again(self):
        petition = routed()
        with refused(petition, WrongPetitionStatus):
            petition.route("psb", 3, MONDAY, weekdays, SUPERVISOR)


class TestReroute:
    def test_the_department_changes_and_the_due_date_stays(self):
        petition = routed()
        due = petition.due
        petition.reroute("psb", SUPERVISOR, "属公安职责")
        assert (petition.department, petition.due) == ("psb", due)
        event = last_event(petition)
        assert isinstance(event, Petition.Rerouted) and (event.from_department, event.to_department) == ("amr", "psb")

    def test_the_same_department_is_refused(self):
        petition = routed()
        with refused(petition, InvalidValue):
            petition.reroute("amr", SUPERVISOR, "转办")

    def test_a_reason_is_required(self):
        petition = routed()
        with refused(petition, ReasonRequired):
            petition.reroute("psb", SUPERVISOR, " ")

    def test_an_unrouted_petition_is_refused(self):
        petition = submitted()
        with refused(petition, WrongPetitionStatus):
            petition.reroute("psb", SUPERVISOR, "转办")


class TestAnswer:
    def test_the_answer_is_recorded_and_on_time_by_its_due_date(self):
        petition = answered()
        assert petition.status == PetitionStatus.ANSWERED and petition.answer_text == "已协调供电公司检修线路"
        assert petition.answers[0]["on_time"] is True and petition.answers[0]["by"] == "li-amr"

    def test_a_late_answer_is_not_on_time(self):
        petition = routed(days=1)
        petition.answer("迟到的答复", date(2026, 3, 5), AMR)
        assert petition.answers[0]["on_time"] is False

    @pytest.mark.parametrize("text", ["", "  ", "x" * 2001, None])
    def test_an_answer_needs_text(self, text):
        petition = routed()
        with refused(petition, InvalidValue):
            petition.answer(text, MONDAY, AMR)

    def test_an_unrouted_petition_cannot_be_answered(self):
        petition = submitted()
        with refused(petition, WrongPetitionStatus):
            petition.answer("答复", MONDAY, AMR)

    def test_an_answered_petition_is_not_answered_twice(self):
        petition = answered()
        with refused(petition, WrongPetitionStatus):
            petition.answer("再答", MONDAY, AMR)


class TestEscalate:
    def test_each_escalation_takes_it_a_level_up_to_3(self):
        petition = routed()
        assert [petition.escalate(MONDAY, SUPERVISOR, "重大事项") for _ in range(3)] == [1, 2, 3]
        assert [e["level"] for e in petition.escalations] == [1, 2, 3]
        with refused(petition, EscalationAtHighestLevel):
            petition.escalate(MONDAY, SUPERVISOR, "再提级")

    def test_a_reason_is_required(self):
        petition = routed()
        with refused(petition, ReasonRequired):
            petition.escalate(MONDAY, SUPERVISOR, "")

    def test_an_answered_petition_is_not_escalated(self):
        petition = answered()
        with refused(petition, WrongPetitionStatus):
            petition.escalate(MONDAY, SUPERVISOR, "督办")


class TestCheckDeadlines:
    def test_a_late_petition_is_escalated_once_then_rises_after_n_working_days(self):
        petition = routed(days=1)  # due Tuesday 3 March
        assert petition.check_deadlines(date(2026, 3, 3), weekdays, 3, SYSTEM) == 0  # due today: not late
        assert petition.check_deadlines(date(2026, 3, 4), weekdays, 3, SYSTEM) == 1
        assert petition.check_deadlines(date(2026, 3, 4), weekdays, 3, SYSTEM) == 0  # twice: once
        assert petition.check_deadlines(date(2026, 3, 6), weekdays, 3, SYSTEM) == 0  # 2 working days on
        assert petition.check_deadlines(date(2026, 3, 9), weekdays, 3, SYSTEM) == 1  # Thu, Fri, Mon
        assert [(e["level"], e["escalated_on"]) for e in petition.escalations] == [
            (1, date(2026, 3, 4)), (2, date(2026, 3, 9))]
        assert petition.check_deadlines(date(2026, 3, 12), weekdays, 3, SYSTEM) == 1
        assert petition.check_deadlines(date(2026, 4, 30), weekdays, 3, SYSTEM) == 0  # level 3 is the top
        assert petition.level == 3

    def test_a_hand_escalation_before_the_due_date_is_not_escalated_again_when_late(self):
        petition = routed(days=1)
        petition.escalate(MONDAY, SUPERVISOR, "重大事项")
        assert petition.check_deadlines(date(2026, 3, 4), weekdays, 3, SYSTEM) == 0
        assert petition.check_deadlines(date(2026, 3, 5), weekdays, 3, SYSTEM) == 1  # 3 working days at level 1
        assert petition.level == 2

    def test_answered_and_closed_petitions_are_not_checked(self):
        petition = answered()
        assert petition.check_deadlines(date(2026, 12, 31), weekdays, 3, SYSTEM) == 0
        petition.close(MONDAY, SUPERVISOR, "企业撤回")
        assert petition.check_deadlines(date(2026, 12, 31), weekdays, 3, SYSTEM) == 0


class TestReturnVisit:
    def test_a_good_rating_closes_the_petition(self):
        petition = answered()
        petition.collect_events()
        assert petition.return_visit(5, "及时", True, date(2026, 3, 5), weekdays, INTAKE) is True
        assert petition.status == PetitionStatus.CLOSED and petition.closed_on == date(2026, 3, 5)
        visited, closed = petition.collect_events()
        assert isinstance(visited, Petition.ReturnVisited) and isinstance(closed, Petition.Closed)
        assert (visited.rating, visited.satisfied, visited.comment, visited.actor) == (5, True, "及时", INTAKE)

    def test_a_poor_rating_reopens_it_once_on_a_new_clock_then_the_second_visit_closes_it(self):
        petition = routed()
        petition.escalate(MONDAY, SUPERVISOR, "督办")
        petition.answer("已协调供电公司检修线路", date(2026, 3, 4), AMR)
        assert petition.return_visit(2, "仍停电", False, date(2026, 3, 5), weekdays, INTAKE) is False
        assert (petition.status, petition.round, petition.level) == (PetitionStatus.ROUTED, 2, 0)
        assert petition.due == date(2026, 3, 10)  # 3 working days from the visit
        petition.answer("已更换变压器", date(2026, 3, 9), AMR)
        assert petition.return_visit(1, "还是不行", False, date(2026, 3, 10), weekdays, INTAKE) is True
        assert petition.status == PetitionStatus.CLOSED
        assert [v["rating"] for v in petition.visits] == [2, 1] and len(petition.answers) == 2

    @pytest.mark.parametrize("rating", [0, 6, True, 4.5, "5", None])
    def test_the_rating_is_a_whole_number_from_1_to_5(self, rating):
        petition = answered()
        with refused(petition, InvalidRating):
            petition.return_visit(rating, "", True, MONDAY, weekdays, INTAKE)

    def test_satisfied_is_true_or_false(self):
        petition = answered()
        with refused(petition, InvalidValue):
            petition.return_visit(4, "", "yes", MONDAY, weekdays, INTAKE)

    def test_a_petition_is_visited_after_its_answer(self):
        petition = routed()
        with refused(petition, WrongPetitionStatus):
            petition.return_visit(5, "", True, MONDAY, weekdays, INTAKE)


class TestClose:
    @pytest.mark.parametrize("make", [submitted, routed, answered])
    def test_a_supervisor_closes_it_at_any_open_stage_with_a_reason(self, make):
        petition = make()
        petition.close(MONDAY, SUPERVISOR, "重复诉求")
        assert petition.status == PetitionStatus.CLOSED
        event = last_event(petition)
        assert isinstance(event, Petition.Closed) and event.reason == "重复诉求"

    def test_a_reason_is_required(self):
        petition = routed()
        with refused(petition, ReasonRequired):
            petition.close(MONDAY, SUPERVISOR, "")

    def test_nothing_more_happens_to_a_closed_petition(self):
        petition = answered()
        petition.close(MONDAY, SUPERVISOR, "企业无法联系")
        for command in (lambda: petition.route("psb", 3, MONDAY, weekdays, SUPERVISOR),
                        lambda: petition.reroute("psb", SUPERVISOR, "转办"),
                        lambda: petition.answer("答复", MONDAY, AMR),
                        lambda: petition.escalate(MONDAY, SUPERVISOR, "督办"),
                        lambda: petition.return_visit(5, "", True, MONDAY, weekdays, INTAKE),
                        lambda: petition.close(MONDAY, SUPERVISOR, "再关")):
            with refused(petition, PetitionClosed):
                command()


def test_a_petition_rebuilt_from_its_events_equals_the_live_one():
    petition = answered()
    petition.return_visit(1, "不满意", False, date(2026, 3, 5), weekdays, INTAKE)
    petition.check_deadlines(date(2026, 3, 20), weekdays, 3, SYSTEM)
    petition.reroute("psb", SUPERVISOR, "转办")
    rebuilt = None
    for event in petition.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert vars(rebuilt) == vars(petition)
