"""Joint issuance: certificates are numbered per case, held, and released together on completion."""

from datetime import date

from domain.case.aggregate import Case
from domain.shared.errors import (
    CertificatesAlreadyIssued,
    MaterialsMissing,
    NothingToIssue,
    WrongItemStatus,
)
from domain.shared.values import CaseStatus, ItemStatus
from tests.conftest import AMR, FOOD, INTAKE, weekdays
from tests.domain.case.cases import (
    CLOCK,
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    completed,
    in_review,
    licence_issued,
    open_case,
    refused,
    shop_in_review,
    submit,
)


class TestIssueCertificates:
    def test_the_approved_item_gets_its_numbered_certificate_held(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.collect_events()
        issued = case.issue_certificates(LICENCE, AMR, "制证")
        expected = [
            {"number": "N-1-01-1", "type": "business-licence", "name": "营业执照", "status": "held"}
        ]
        assert issued == expected
        assert case.items[LICENCE].certificates == expected
        [event] = case.collect_events()
        assert isinstance(event, Case.CertificatesIssued)
        assert (event.item, event.certificates) == (LICENCE, expected)
        assert (event.actor, event.reason) == (AMR, "制证")
        assert case.status == CaseStatus.OPEN

    def test_an_item_in_review_has_nothing_issued(self):
        case = in_review()
        with refused(case, WrongItemStatus):
            case.issue_certificates(LICENCE, AMR)

    def test_a_rejected_item_has_nothing_issued(self):
        case = shop_in_review()
        case.reject_item("sign", AMR, "不符合规划")
        with refused(case, WrongItemStatus):
            case.issue_certificates("sign", AMR)

    def test_an_item_without_outputs_issues_nothing(self):
        case = shop_in_review()
        case.approve_item("sign", AMR, clock=CLOCK)
        with refused(case, NothingToIssue):
            case.issue_certificates("sign", AMR)

    def test_certificates_are_issued_once(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.issue_certificates(LICENCE, AMR)
        with refused(case, CertificatesAlreadyIssued):
            case.issue_certificates(LICENCE, AMR)

    def test_an_excused_material_must_arrive_before_issue(self):
        case = open_case()
        submit(case, "id-card")
        case.accept_with_deficiency(["floor-plan"], date(2026, 3, 16), MONDAY, INTAKE)
        case.accept_item(LICENCE, MONDAY, weekdays, AMR)
        case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.issue_certificates(LICENCE, AMR)  # the licence does not need the floor plan
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        with refused(case, MaterialsMissing):
            case.issue_certificates(FOOD_PERMIT, FOOD)
        submit(case, "floor-plan")
        case.issue_certificates(FOOD_PERMIT, FOOD)
        assert case.status == CaseStatus.COMPLETED

    def test_numbers_are_unique_and_derived_from_the_case_number(self):
        case = completed(number="2026-0042")
        numbers = [c["number"] for i in case.items.values() for c in i.certificates]
        assert numbers == ["2026-0042-01-1", "2026-0042-02-1"]
        other = completed(number="2026-0043")
        others = {c["number"] for i in other.items.values() for c in i.certificates}
        assert not set(numbers) & others

    def test_certificates_are_void_when_the_case_is_withdrawn_after_issue(self):
        case = licence_issued()
        case.withdraw(INTAKE, "申请人撤回")
        assert [c["status"] for c in case.items[LICENCE].certificates] == ["void"]

    def test_certificates_are_void_when_the_case_is_rejected_after_issue(self):
        case = licence_issued()
        case.reject_item(FOOD_PERMIT, FOOD, "场所不符合要求")
        assert case.items[LICENCE].status == ItemStatus.APPROVED
        assert [c["status"] for c in case.items[LICENCE].certificates] == ["void"]


class TestCompletion:
    def test_the_case_completes_when_every_item_is_decided_and_issued(self):
        case = licence_issued()
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        case.collect_events()
        case.issue_certificates(FOOD_PERMIT, FOOD)
        issued, done = case.collect_events()
        assert isinstance(issued, Case.CertificatesIssued)
        assert isinstance(done, Case.Completed)
        assert (done.actor, done.reason) == (FOOD, "every item is decided")
        assert case.status == CaseStatus.COMPLETED
        assert case.closed_at is not None

    def test_an_approved_item_without_its_certificate_keeps_the_case_open(self):
        case = licence_issued()
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        assert case.status == CaseStatus.OPEN

    def test_issued_certificates_are_held_until_the_case_completes(self):
        case = licence_issued()
        assert [c["status"] for c in case.items[LICENCE].certificates] == ["held"]

    def test_every_certificate_of_the_case_is_released_together(self):
        case = completed()
        statuses = {i.code: [c["status"] for c in i.certificates] for i in case.items.values()}
        assert statuses == {LICENCE: ["valid"], FOOD_PERMIT: ["valid"]}

    def test_an_approved_item_without_outputs_counts_as_finished(self):
        case = shop_in_review()
        case.approve_item("sign", AMR, clock=CLOCK)
        assert case.status == CaseStatus.OPEN
        case.approve_item("licence", AMR, clock=CLOCK)
        case.issue_certificates("licence", AMR)
        assert case.status == CaseStatus.COMPLETED
