"""Closing a case: withdrawal, nothing more after closing, and the applicant's rating."""

from datetime import date

import pytest

from domain.case.aggregate import Case
from domain.shared.errors import CaseClosed, CaseNotClosed, InvalidRating, ReasonRequired
from domain.shared.values import CaseStatus, ItemStatus
from tests.conftest import AMR, FOOD, INTAKE, SUPERVISOR, weekdays
from tests.domain.case.cases import (
    CLOCK,
    DIGEST,
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    completed,
    in_review,
    open_case,
    refused,
    submit,
)


class TestWithdraw:
    def test_the_case_is_withdrawn_with_the_reason(self):
        case = in_review()
        case.collect_events()
        case.withdraw(INTAKE, "申请人不再开店")
        assert case.status == CaseStatus.WITHDRAWN
        assert case.closed_at is not None
        [event] = case.collect_events()
        assert isinstance(event, Case.Withdrawn)
        assert (event.actor, event.reason) == (INTAKE, "申请人不再开店")

    def test_undecided_items_are_withdrawn_and_decided_ones_kept(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.withdraw(INTAKE, "申请人不再开店")
        assert case.items[LICENCE].status == ItemStatus.APPROVED
        assert case.items[FOOD_PERMIT].status == ItemStatus.WITHDRAWN

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_reason_is_required(self, reason):
        case = open_case()
        with refused(case, ReasonRequired):
            case.withdraw(INTAKE, reason)


COMMANDS_AFTER_CLOSING = {
    "submit_material": lambda c: c.submit_material("floor-plan", "plan.pdf", DIGEST, INTAKE),
    "accept_with_deficiency": lambda c: c.accept_with_deficiency(
        ["floor-plan"], date(2026, 3, 20), MONDAY, INTAKE),
    "accept_item": lambda c: c.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD),
    "request_supplement": lambda c: c.request_supplement(FOOD_PERMIT, [], MONDAY, FOOD, "补正"),
    "record_inspection": lambda c: c.record_inspection(FOOD_PERMIT, "video", True, FOOD),
    "approve_item": lambda c: c.approve_item(LICENCE, AMR, clock=CLOCK),
    "approve_on_commitment": lambda c: c.approve_on_commitment(FOOD_PERMIT, "承诺", FOOD, clock=CLOCK),
    "reject_item": lambda c: c.reject_item(LICENCE, AMR, "不予许可"),
    "issue_certificates": lambda c: c.issue_certificates(LICENCE, AMR),
    "withdraw": lambda c: c.withdraw(INTAKE, "再次撤回"),
    "transfer_item": lambda c: c.transfer_item(LICENCE, "psb", SUPERVISOR, "转办"),
    "reassign_owner": lambda c: c.reassign_owner("window2", SUPERVISOR, "换人"),
    "escalate": lambda c: c.escalate(1, SUPERVISOR, "督办"),
}


@pytest.mark.parametrize(
    "command", COMMANDS_AFTER_CLOSING.values(), ids=COMMANDS_AFTER_CLOSING.keys()
)
def test_nothing_is_done_to_a_withdrawn_case(command):
    case = open_case()
    submit(case, "id-card")
    case.withdraw(INTAKE, "申请人撤回")
    with refused(case, CaseClosed):
        command(case)


@pytest.mark.parametrize("command", ["approve_item", "withdraw", "escalate", "submit_material"])
def test_nothing_is_done_to_a_completed_case(command):
    case = completed()
    with refused(case, CaseClosed):
        COMMANDS_AFTER_CLOSING[command](case)


class TestRate:
    def test_the_rating_is_recorded_after_completion(self):
        case = completed()
        case.collect_events()
        case.rate(5, "一次办好", INTAKE)
        assert case.rating == {"score": 5, "comment": "一次办好"}
        [event] = case.collect_events()
        assert isinstance(event, Case.Rated)
        assert (event.score, event.comment, event.actor) == (5, "一次办好", INTAKE)

    def test_a_withdrawn_case_can_be_rated(self):
        case = open_case()
        case.withdraw(INTAKE, "申请人撤回")
        case.rate(3, "", INTAKE)
        assert case.rating == {"score": 3, "comment": ""}

    def test_an_open_case_is_not_rated(self):
        case = in_review()
        with refused(case, CaseNotClosed):
            case.rate(5, "很好", INTAKE)

    @pytest.mark.parametrize("score", [0, 6, -1, 4.5, "5", True, False, None])
    def test_only_a_whole_number_from_1_to_5_is_a_rating(self, score):
        case = completed()
        with refused(case, InvalidRating):
            case.rate(score, "", INTAKE)

    @pytest.mark.parametrize("score", [1, 5])
    def test_the_bounds_are_ratings(self, score):
        case = completed()
        case.rate(score, "", INTAKE)
        assert case.rating["score"] == score

    def test_a_case_is_rated_once(self):
        case = completed()
        case.rate(4, "不错", INTAKE)
        with refused(case, InvalidRating):
            case.rate(5, "改评", INTAKE)
        assert case.rating == {"score": 4, "comment": "不错"}
