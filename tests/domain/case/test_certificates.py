"""Joint issuance: approval issues the certificates at once (else the issue step, or the arrival of an excused
material); they are numbered per case, held, and released together on completion."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef
from domain.shared.errors import (
    CertificatesAlreadyIssued,
    MaterialsMissing,
    NothingToIssue,
    WrongItemStatus,
)
from domain.shared.values import CaseStatus, ItemStatus
from tests.conftest import AMR, FOOD, INTAKE, restaurant_bundle, weekdays
from tests.domain.case.cases import (
    CLOCK,
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    completed,
    in_review,
    issued_later_bundle,
    licence_issued,
    open_case,
    refused,
    shop_in_review,
    submit,
)

ISSUED_ON_MONDAY = {"issued_on": "2026-03-02", "valid_from": "2026-03-02", "valid_to": None}


def issued_later_in_review(*codes: str) -> Case:
    """A restaurant case in review whose items ``codes`` have outputs issued later than approval."""
    case = open_case(issued_later_bundle(*codes))
    submit(case, "id-card", "floor-plan")
    case.accept_item(LICENCE, MONDAY, weekdays, AMR)
    case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)
    return case


def excused_floor_plan(bundle: BundleDef | None = None) -> Case:
    """A restaurant case accepted without the (excusable) floor plan, the licence approved, the food permit's
    inspection passed."""
    case = open_case(bundle)
    submit(case, "id-card")
    case.accept_with_deficiency(["floor-plan"], date(2026, 3, 16), MONDAY, INTAKE)
    case.accept_item(LICENCE, MONDAY, weekdays, AMR)
    case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)
    case.approve_item(LICENCE, AMR, clock=CLOCK)  # the licence does not need the floor plan
    case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
    return case


class TestIssueOnApproval:
    def test_approval_issues_the_numbered_certificate_at_once_held(self):
        case = in_review()
        case.collect_events()
        case.approve_item(LICENCE, AMR, "同意", clock=CLOCK)
        expected = [{"number": "N-1-01-1", "type": "business-licence", "name": "营业执照", "status": "held",
                     **ISSUED_ON_MONDAY}]
        assert case.items[LICENCE].certificates == expected
        approved, issued = case.collect_events()
        assert isinstance(approved, Case.ItemApproved)
        assert isinstance(issued, Case.CertificatesIssued)
        assert (issued.item, issued.certificates) == (LICENCE, expected)
        assert (issued.actor, issued.reason) == (AMR, "issued on approval")
        assert case.status == CaseStatus.OPEN

    def test_approval_on_commitment_issues_the_certificate_at_once(self):
        case = licence_issued()
        case.collect_events()
        case.approve_on_commitment(FOOD_PERMIT, "本人承诺……", FOOD, clock=CLOCK)
        approved, issued, done = case.collect_events()
        assert isinstance(approved, Case.ItemApprovedOnCommitment)
        assert isinstance(issued, Case.CertificatesIssued)
        assert (issued.item, issued.reason) == (FOOD_PERMIT, "issued on approval")
        assert [c["number"] for c in issued.certificates] == ["N-1-02-1"]
        assert isinstance(done, Case.Completed)

    def test_a_certificate_is_valid_for_the_years_its_output_gives(self):
        restaurant = restaurant_bundle()
        licence, food_permit = restaurant.items
        outputs = tuple(replace(o, valid_years=5) for o in licence.outputs)
        bundle = replace(restaurant, items=(replace(licence, outputs=outputs), food_permit))
        case = open_case(bundle)
        submit(case, "id-card")
        case.accept_item(LICENCE, MONDAY, weekdays, AMR)
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        [certificate] = case.items[LICENCE].certificates
        assert (certificate["issued_on"], certificate["valid_from"], certificate["valid_to"]) == (
            "2026-03-02", "2026-03-02", "2031-03-01")

    def test_an_item_in_review_has_nothing_issued(self):
        case = in_review()
        with refused(case, WrongItemStatus):
            case.issue_certificates(LICENCE, AMR)
        assert case.items[LICENCE].certificates == []

    def test_a_rejected_item_has_nothing_issued(self):
        case = shop_in_review()
        case.reject_item("sign", AMR, "不符合规划")
        with refused(case, WrongItemStatus):
            case.issue_certificates("sign", AMR)

    def test_an_item_without_outputs_issues_nothing(self):
        case = shop_in_review()
        case.collect_events()
        case.approve_item("sign", AMR, clock=CLOCK)
        assert not any(isinstance(e, Case.CertificatesIssued) for e in case.collect_events())
        with refused(case, NothingToIssue):
            case.issue_certificates("sign", AMR)

    def test_certificates_issued_on_approval_are_not_issued_again(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        with refused(case, CertificatesAlreadyIssued):
            case.issue_certificates(LICENCE, AMR)

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


class TestIssuedLater:
    """An output marked ``issued_on_approval: false`` needs the separate issue step."""

    def test_approval_issues_nothing_and_the_issue_step_issues_the_held_certificate(self):
        case = issued_later_in_review(LICENCE)
        case.collect_events()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        assert [type(e) for e in case.collect_events()] == [Case.ItemApproved]
        assert case.items[LICENCE].certificates == []
        issued = case.issue_certificates(LICENCE, AMR, "制证", today=MONDAY)
        expected = [{"number": "N-1-01-1", "type": "business-licence", "name": "营业执照", "status": "held",
                     **ISSUED_ON_MONDAY}]
        assert issued == expected
        assert case.items[LICENCE].certificates == expected
        [event] = case.collect_events()
        assert isinstance(event, Case.CertificatesIssued)
        assert (event.item, event.certificates) == (LICENCE, expected)
        assert (event.actor, event.reason) == (AMR, "制证")
        assert case.status == CaseStatus.OPEN

    def test_certificates_are_issued_once(self):
        case = issued_later_in_review(LICENCE)
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.issue_certificates(LICENCE, AMR)
        with refused(case, CertificatesAlreadyIssued):
            case.issue_certificates(LICENCE, AMR)

    def test_an_item_issued_later_keeps_the_case_open_until_its_issue(self):
        case = issued_later_in_review(FOOD_PERMIT)
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        assert case.items[FOOD_PERMIT].certificates == []
        assert case.status == CaseStatus.OPEN
        case.collect_events()
        released = case.issue_certificates(FOOD_PERMIT, FOOD)
        issued, done = case.collect_events()
        assert isinstance(issued, Case.CertificatesIssued)
        assert isinstance(done, Case.Completed)
        assert (done.actor, done.reason) == (FOOD, "every item is decided")
        assert [c["status"] for c in released] == ["valid"]  # released: the case completed
        assert case.status == CaseStatus.COMPLETED


class TestExcusedMaterial:
    """A material only excused (accepted with deficiency) delays the certificates until it is submitted."""

    def test_approval_issues_nothing_while_a_needed_material_is_only_excused(self):
        case = excused_floor_plan()
        assert [c["status"] for c in case.items[LICENCE].certificates] == ["held"]  # needs no floor plan
        case.collect_events()
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        assert [type(e) for e in case.collect_events()] == [Case.ItemApproved]
        assert case.items[FOOD_PERMIT].certificates == []
        assert case.status == CaseStatus.OPEN
        with refused(case, MaterialsMissing):
            case.issue_certificates(FOOD_PERMIT, FOOD)

    def test_the_certificates_are_issued_when_the_material_arrives_and_the_case_completes(self):
        case = excused_floor_plan()
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        case.collect_events()
        case.submit_material("floor-plan", "floor-plan.pdf", "cd" * 32, INTAKE, today=date(2026, 3, 4))
        submitted, issued, done = case.collect_events()
        assert isinstance(submitted, Case.MaterialSubmitted)
        assert isinstance(issued, Case.CertificatesIssued)
        assert (issued.item, issued.actor, issued.reason) == (
            FOOD_PERMIT, INTAKE, "the material it waited for arrived")
        assert [(c["number"], c["issued_on"]) for c in issued.certificates] == [("N-1-02-1", "2026-03-04")]
        assert isinstance(done, Case.Completed)
        assert case.status == CaseStatus.COMPLETED
        statuses = {i.code: [c["status"] for c in i.certificates] for i in case.items.values()}
        assert statuses == {LICENCE: ["valid"], FOOD_PERMIT: ["valid"]}

    def test_the_material_arriving_before_the_approval_lets_approval_issue(self):
        case = excused_floor_plan()
        case.collect_events()
        submit(case, "floor-plan")
        assert [type(e) for e in case.collect_events()] == [Case.MaterialSubmitted]
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        assert [type(e) for e in case.collect_events()] == [
            Case.ItemApproved, Case.CertificatesIssued, Case.Completed]

    def test_an_output_issued_later_still_needs_the_issue_step_after_the_material_arrives(self):
        case = excused_floor_plan(issued_later_bundle(FOOD_PERMIT))
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        with refused(case, MaterialsMissing):
            case.issue_certificates(FOOD_PERMIT, FOOD)
        case.collect_events()
        submit(case, "floor-plan")
        assert [type(e) for e in case.collect_events()] == [Case.MaterialSubmitted]
        assert case.status == CaseStatus.OPEN
        case.issue_certificates(FOOD_PERMIT, FOOD)
        assert case.status == CaseStatus.COMPLETED


class TestCompletion:
    def test_the_case_completes_in_the_approval_that_finishes_every_item(self):
        case = licence_issued()
        case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
        case.collect_events()
        case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
        approved, issued, done = case.collect_events()
        assert isinstance(approved, Case.ItemApproved)
        assert isinstance(issued, Case.CertificatesIssued)
        assert isinstance(done, Case.Completed)
        assert (done.actor, done.reason) == (FOOD, "every item is decided")
        assert case.status == CaseStatus.COMPLETED
        assert case.closed_at is not None

    def test_an_approved_item_keeps_the_case_open_while_another_is_undecided(self):
        case = licence_issued()
        assert case.items[LICENCE].finished
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
        assert case.status == CaseStatus.COMPLETED
