"""Working an item in parallel: accepting it, supplements, inspections, approval and its rules."""

from datetime import date

import pytest

from domain.case.aggregate import Case
from domain.shared.errors import (
    InspectionRequired,
    InvalidValue,
    ItemAlreadyDecided,
    MaterialsMissing,
    PrerequisiteNotMet,
    ReasonRequired,
    UnknownItem,
    UnknownMaterial,
    WrongItemStatus,
)
from domain.shared.values import CaseStatus, ItemStatus
from tests.conftest import AMR, FOOD, weekdays
from tests.domain.case.cases import (
    CLOCK,
    DIGEST,
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    WORKING_SATURDAY,
    calendar,
    in_review,
    open_case,
    refused,
    shop_in_review,
    submit,
)

WEDNESDAY, FRIDAY = date(2026, 3, 4), date(2026, 3, 6)


class TestAcceptItem:
    def test_the_item_goes_into_review_with_a_due_date(self):
        case = open_case()
        submit(case, "id-card")
        case.collect_events()
        case.accept_item(LICENCE, MONDAY, weekdays, AMR, "收件齐全")
        licence = case.items[LICENCE]
        assert (licence.status, licence.accepted_on) == (ItemStatus.IN_REVIEW, MONDAY)
        assert licence.due == date(2026, 3, 3)
        [event] = case.collect_events()
        assert isinstance(event, Case.ItemAccepted)
        assert (event.item, event.due) == (LICENCE, date(2026, 3, 3))
        assert (event.actor, event.reason) == (AMR, "收件齐全")

    def test_the_due_date_counts_working_days_of_the_calendar(self):
        # Five days from Fri 3 Apr: the Monday holiday is skipped, the adjusted Saturday counts.
        case = open_case()
        submit(case, "id-card", "floor-plan")
        case.accept_item(FOOD_PERMIT, date(2026, 4, 3), calendar, FOOD)
        assert case.items[FOOD_PERMIT].due == WORKING_SATURDAY

    def test_the_case_is_due_when_its_latest_item_is(self):
        assert in_review().due == date(2026, 3, 9)

    def test_an_item_without_its_materials_is_refused(self):
        case = open_case()
        with refused(case, MaterialsMissing):
            case.accept_item(LICENCE, MONDAY, weekdays, AMR)

    def test_an_item_missing_one_of_two_materials_is_refused(self):
        case = open_case()
        submit(case, "id-card")
        with refused(case, MaterialsMissing):
            case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)

    def test_an_item_in_review_cannot_be_accepted_again(self):
        case = in_review()
        with refused(case, WrongItemStatus):
            case.accept_item(LICENCE, MONDAY, weekdays, AMR)

    def test_an_unknown_item_is_refused(self):
        case = open_case()
        with refused(case, UnknownItem):
            case.accept_item("liquor-licence", MONDAY, weekdays, AMR)


class TestRequestSupplement:
    def test_the_item_waits_for_the_supplement(self):
        case = in_review()
        case.collect_events()
        case.request_supplement(FOOD_PERMIT, ["floor-plan"], WEDNESDAY, FOOD, "平面图不清晰")
        permit = case.items[FOOD_PERMIT]
        assert (permit.status, permit.paused_on) == (ItemStatus.SUPPLEMENT_REQUESTED, WEDNESDAY)
        [event] = case.collect_events()
        assert isinstance(event, Case.SupplementRequested)
        assert event.materials == ["floor-plan"]
        assert (event.actor, event.reason) == (FOOD, "平面图不清晰")

    def test_an_item_waiting_for_a_supplement_cannot_be_approved(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
        case.request_supplement(FOOD_PERMIT, [], WEDNESDAY, FOOD, "补充说明")
        with refused(case, WrongItemStatus):
            case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)

    @pytest.mark.parametrize("reason", ["", "  "])
    def test_a_reason_is_required(self, reason):
        case = in_review()
        with refused(case, ReasonRequired):
            case.request_supplement(FOOD_PERMIT, ["floor-plan"], WEDNESDAY, FOOD, reason)

    def test_an_undeclared_material_is_refused(self):
        case = in_review()
        with refused(case, UnknownMaterial):
            case.request_supplement(FOOD_PERMIT, ["passport"], WEDNESDAY, FOOD, "需要护照")

    def test_an_item_not_in_review_is_refused(self):
        case = open_case()
        with refused(case, WrongItemStatus):
            case.request_supplement(LICENCE, ["id-card"], MONDAY, AMR, "身份证模糊")


class TestReceiveSupplement:
    def requested(self):
        case = in_review()  # food permit due Mon 9 Mar
        case.request_supplement(FOOD_PERMIT, ["floor-plan"], WEDNESDAY, FOOD, "平面图不清晰")
        case.collect_events()
        return case

    def test_the_due_date_moves_by_the_paused_working_days(self):
        case = self.requested()
        case.receive_supplement(FOOD_PERMIT, FRIDAY, weekdays, FOOD, "已补正")
        permit = case.items[FOOD_PERMIT]
        assert (permit.status, permit.paused_on) == (ItemStatus.IN_REVIEW, None)
        assert permit.due == date(2026, 3, 11)
        [event] = case.collect_events()
        assert isinstance(event, Case.SupplementReceived)
        assert (event.due, event.actor, event.reason) == (date(2026, 3, 11), FOOD, "已补正")

    def test_a_supplement_the_same_day_keeps_the_due_date(self):
        case = self.requested()
        case.receive_supplement(FOOD_PERMIT, WEDNESDAY, weekdays, FOOD)
        assert case.items[FOOD_PERMIT].due == date(2026, 3, 9)

    def test_a_supplement_not_asked_for_is_refused(self):
        case = in_review()
        with refused(case, WrongItemStatus):
            case.receive_supplement(FOOD_PERMIT, FRIDAY, weekdays, FOOD)


class TestRecordInspection:
    def test_the_inspection_and_its_result_are_recorded(self):
        case = in_review()
        case.collect_events()
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD, "远程视频勘验")
        assert case.items[FOOD_PERMIT].inspection_passed is True
        [event] = case.collect_events()
        assert isinstance(event, Case.InspectionRecorded)
        assert (event.method, event.passed) == ("video", True)
        assert (event.actor, event.reason) == (FOOD, "远程视频勘验")

    def test_an_unknown_method_is_refused(self):
        case = in_review()
        with refused(case, InvalidValue):
            case.record_inspection(FOOD_PERMIT, "drone", True, FOOD)

    def test_an_item_not_in_review_is_refused(self):
        case = open_case()
        with refused(case, WrongItemStatus):
            case.record_inspection(FOOD_PERMIT, "video", True, FOOD)


class TestApproveItem:
    def test_the_item_is_approved_with_actor_and_reason(self):
        case = in_review()
        case.collect_events()
        case.approve_item(LICENCE, AMR, "材料齐全", clock=CLOCK)
        assert case.items[LICENCE].status == ItemStatus.APPROVED
        event, issued = case.collect_events()  # not complete: the food permit is undecided
        assert isinstance(event, Case.ItemApproved)
        assert (event.item, event.actor, event.reason) == (LICENCE, AMR, "材料齐全")
        assert event.materials == {"id-card": DIGEST}  # the version it was decided on
        assert isinstance(issued, Case.CertificatesIssued)
        assert (issued.item, issued.actor) == (LICENCE, AMR)
        assert case.status == CaseStatus.OPEN

    def test_food_permit_waits_for_business_licence(self):
        case = in_review()
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
        with refused(case, PrerequisiteNotMet):
            case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)

    def test_food_permit_needs_a_video_inspection(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        with refused(case, InspectionRequired):
            case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)

    def test_a_failed_inspection_blocks_approval_until_one_passes(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.record_inspection(FOOD_PERMIT, "video", False, FOOD, "后厨不合格")
        with refused(case, InspectionRequired):
            case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD, "整改后复查")
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        assert case.items[FOOD_PERMIT].status == ItemStatus.APPROVED

    def test_an_item_is_not_approved_twice(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        with refused(case, ItemAlreadyDecided):
            case.approve_item(LICENCE, AMR, clock=CLOCK)

    def test_a_rejected_item_cannot_be_approved(self):
        case = shop_in_review()
        case.reject_item("sign", AMR, "招牌位置不符合规划")
        with refused(case, ItemAlreadyDecided):
            case.approve_item("sign", AMR, clock=CLOCK)

    def test_an_item_not_yet_accepted_is_refused(self):
        case = open_case()
        with refused(case, WrongItemStatus):
            case.approve_item(LICENCE, AMR, clock=CLOCK)
