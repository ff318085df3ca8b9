"""Supervision: transferring items, reassigning the owner, escalations and their resolution."""

import pytest

from domain.case.aggregate import Case
from domain.shared.errors import (
    EscalationAlreadyResolved,
    EscalationNotFound,
    InvalidValue,
    ItemAlreadyDecided,
    ReasonRequired,
    UnknownItem,
)
from domain.shared.values import CaseStatus
from tests.conftest import AMR, INTAKE, SUPERVISOR
from tests.domain.case.cases import CLOCK, FOOD_PERMIT, LICENCE, in_review, open_case, refused


class TestTransferItem:
    def test_the_item_moves_to_the_other_department(self):
        case = in_review()
        case.collect_events()
        case.transfer_item(FOOD_PERMIT, "psb", SUPERVISOR, "涉及治安审批")
        assert case.items[FOOD_PERMIT].department == "psb"
        [event] = case.collect_events()
        assert isinstance(event, Case.ItemTransferred)
        assert (event.from_department, event.to_department) == ("amr-food", "psb")
        assert (event.actor, event.reason) == (SUPERVISOR, "涉及治安审批")

    def test_a_waiting_item_can_be_transferred(self):
        case = open_case()
        case.transfer_item(LICENCE, "amr-food", SUPERVISOR, "转办")
        assert case.items[LICENCE].department == "amr-food"

    def test_a_transfer_to_the_same_department_is_refused(self):
        case = in_review()
        with refused(case, InvalidValue):
            case.transfer_item(FOOD_PERMIT, "amr-food", SUPERVISOR, "转办")

    def test_a_decided_item_is_not_transferred(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        with refused(case, ItemAlreadyDecided):
            case.transfer_item(LICENCE, "psb", SUPERVISOR, "转办")

    def test_a_reason_is_required(self):
        case = in_review()
        with refused(case, ReasonRequired):
            case.transfer_item(FOOD_PERMIT, "psb", SUPERVISOR, "")

    def test_an_unknown_item_is_refused(self):
        case = in_review()
        with refused(case, UnknownItem):
            case.transfer_item("liquor-licence", "psb", SUPERVISOR, "转办")


class TestReassignOwner:
    def test_another_officer_becomes_the_owner(self):
        case = open_case()
        case.collect_events()
        case.reassign_owner("window2", SUPERVISOR, "原经办人调岗")
        assert case.owner == "window2"
        [event] = case.collect_events()
        assert isinstance(event, Case.OwnerReassigned)
        assert (event.owner, event.actor, event.reason) == ("window2", SUPERVISOR, "原经办人调岗")

    def test_the_current_owner_is_refused(self):
        case = open_case()
        with refused(case, InvalidValue):
            case.reassign_owner(INTAKE.user_id, SUPERVISOR, "重新指定")

    def test_a_reason_is_required(self):
        case = open_case()
        with refused(case, ReasonRequired):
            case.reassign_owner("window2", SUPERVISOR, " ")


class TestEscalate:
    def test_escalations_are_numbered_in_order(self):
        case = in_review()
        assert case.escalate(1, SUPERVISOR, "食品许可逾期") == 1
        assert case.escalate(3, SUPERVISOR, "提级督办") == 2
        assert [(e.number, e.level) for e in case.escalations] == [(1, 1), (2, 3)]

    def test_the_escalation_records_supervisor_and_reason(self):
        case = in_review()
        case.collect_events()
        case.escalate(2, SUPERVISOR, "食品许可逾期")
        [escalation] = case.escalations
        assert (escalation.supervisor, escalation.reason) == ("boss", "食品许可逾期")
        assert escalation.is_open is True
        [event] = case.collect_events()
        assert isinstance(event, Case.EscalationOpened)
        assert (event.number, event.level, event.actor) == (1, 2, SUPERVISOR)

    @pytest.mark.parametrize("level", [0, 4, -1, True, "2", 1.0])
    def test_the_level_is_a_whole_number_from_1_to_3(self, level):
        case = in_review()
        with refused(case, InvalidValue):
            case.escalate(level, SUPERVISOR, "督办")

    def test_a_reason_is_required(self):
        case = in_review()
        with refused(case, ReasonRequired):
            case.escalate(1, SUPERVISOR, "")


class TestResolveEscalation:
    def escalated(self):
        case = in_review()
        case.escalate(1, SUPERVISOR, "食品许可逾期")
        case.collect_events()
        return case

    def test_the_escalation_is_resolved_with_the_resolution(self):
        case = self.escalated()
        case.resolve_escalation(1, SUPERVISOR, "已催办，部门承诺三日内办结")
        [escalation] = case.escalations
        assert escalation.is_open is False
        assert escalation.resolved_by == "boss"
        assert escalation.resolution == "已催办，部门承诺三日内办结"
        [event] = case.collect_events()
        assert isinstance(event, Case.EscalationResolved)
        assert (event.number, event.actor) == (1, SUPERVISOR)

    @pytest.mark.parametrize("number", [0, 2, -1])
    def test_an_unknown_escalation_is_refused(self, number):
        case = self.escalated()
        with refused(case, EscalationNotFound):
            case.resolve_escalation(number, SUPERVISOR, "已处理")

    def test_an_escalation_is_resolved_once(self):
        case = self.escalated()
        case.resolve_escalation(1, SUPERVISOR, "已处理")
        with refused(case, EscalationAlreadyResolved):
            case.resolve_escalation(1, SUPERVISOR, "再次处理")

    def test_a_reason_is_required(self):
        case = self.escalated()
        with refused(case, ReasonRequired):
            case.resolve_escalation(1, SUPERVISOR, "")

    def test_an_escalation_can_be_resolved_after_the_case_was_withdrawn(self):
        case = self.escalated()
        case.withdraw(INTAKE, "申请人撤回")
        case.resolve_escalation(1, SUPERVISOR, "案件已撤回")
        assert case.escalations[0].is_open is False

    def test_an_escalation_can_be_resolved_after_the_case_completed(self):
        case = self.escalated()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.record_inspection(FOOD_PERMIT, "video", True, INTAKE)
        case.approve_item(FOOD_PERMIT, INTAKE, clock=CLOCK)
        assert case.status == CaseStatus.COMPLETED
        case.resolve_escalation(1, SUPERVISOR, "已办结")
        assert case.escalations[0].is_open is False
