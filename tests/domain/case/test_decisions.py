"""Decisions that settle a case: approval on commitment, its revocation, and rejection."""

import pytest

from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef, ItemDef
from domain.shared.errors import (
    CommitmentNotAllowed,
    InvalidValue,
    ItemAlreadyDecided,
    PrerequisiteNotMet,
    ReasonRequired,
    WrongItemStatus,
)
from domain.shared.values import CaseStatus, ItemStatus
from tests.conftest import AMR, FOOD, SUPERVISOR, weekdays
from tests.domain.case.cases import (
    CLOCK,
    DIGEST,
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    in_review,
    issued_later_bundle,
    licence_issued,
    open_case,
    refused,
    shop_in_review,
)

COMMITMENT = "本人承诺经营场所符合食品安全要求"


class TestApproveOnCommitment:
    def test_the_item_is_approved_at_once_without_inspection(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        case.collect_events()
        case.approve_on_commitment(FOOD_PERMIT, COMMITMENT, FOOD, "告知承诺", clock=CLOCK)
        permit = case.items[FOOD_PERMIT]
        assert (permit.status, permit.on_commitment) == (ItemStatus.APPROVED, True)
        event, issued, completed = case.collect_events()
        assert isinstance(event, Case.ItemApprovedOnCommitment)
        assert (event.commitment, event.actor, event.reason) == (COMMITMENT, FOOD, "告知承诺")
        assert event.materials == {"id-card": DIGEST, "floor-plan": DIGEST}
        assert isinstance(issued, Case.CertificatesIssued)
        assert (issued.item, issued.reason) == (FOOD_PERMIT, "issued on approval")
        assert isinstance(completed, Case.Completed)

    def test_business_licence_does_not_allow_commitment(self):
        case = in_review()
        with refused(case, CommitmentNotAllowed):
            case.approve_on_commitment(LICENCE, COMMITMENT, AMR, clock=CLOCK)

    @pytest.mark.parametrize("text", ["", "   "])
    def test_the_commitment_text_is_required(self, text):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        with refused(case, InvalidValue):
            case.approve_on_commitment(FOOD_PERMIT, text, FOOD, clock=CLOCK)

    def test_prerequisites_still_apply(self):
        case = in_review()
        with refused(case, PrerequisiteNotMet):
            case.approve_on_commitment(FOOD_PERMIT, COMMITMENT, FOOD, clock=CLOCK)

    def test_an_item_not_yet_accepted_is_refused(self):
        case = open_case()
        with refused(case, WrongItemStatus):
            case.approve_on_commitment(FOOD_PERMIT, COMMITMENT, FOOD, clock=CLOCK)


def approved_on_commitment(issued_later: bool = False):
    """Licence approved, food permit approved on commitment: both issued on approval, so the case is
    completed; unless ``issued_later`` (the food permit's output is issued by a separate step), when the
    food permit has no certificate yet and the case is still open."""
    case = licence_issued(bundle=issued_later_bundle(FOOD_PERMIT) if issued_later else None)
    case.approve_on_commitment(FOOD_PERMIT, COMMITMENT, FOOD, clock=CLOCK)
    return case


class TestRevokeCommitment:
    def test_revoking_an_essential_item_rejects_the_open_case(self):
        case = approved_on_commitment(issued_later=True)
        assert case.status == CaseStatus.OPEN
        case.collect_events()
        case.revoke_commitment(FOOD_PERMIT, SUPERVISOR, "核查发现承诺不实")
        permit = case.items[FOOD_PERMIT]
        assert (permit.status, permit.revoked) == (ItemStatus.REJECTED, True)
        assert case.status == CaseStatus.REJECTED
        revoked, rejected = case.collect_events()
        assert isinstance(revoked, Case.CommitmentRevoked)
        assert (revoked.item, revoked.actor) == (FOOD_PERMIT, SUPERVISOR)
        assert revoked.reason == "核查发现承诺不实"
        assert isinstance(rejected, Case.CaseRejected)
        assert case.items[LICENCE].certificates[0]["status"] == "void"

    def test_revocation_after_completion_revokes_the_certificate(self):
        case = approved_on_commitment()
        assert case.status == CaseStatus.COMPLETED
        case.collect_events()
        case.revoke_commitment(FOOD_PERMIT, SUPERVISOR, "核查发现承诺不实")
        assert [c["status"] for c in case.items[FOOD_PERMIT].certificates] == ["revoked"]
        assert [c["status"] for c in case.items[LICENCE].certificates] == ["valid"]
        assert case.items[FOOD_PERMIT].status == ItemStatus.REJECTED
        assert case.status == CaseStatus.COMPLETED
        [event] = case.collect_events()
        assert isinstance(event, Case.CommitmentRevoked)

    def test_an_approval_on_review_cannot_be_revoked(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        with refused(case, WrongItemStatus):
            case.revoke_commitment(LICENCE, SUPERVISOR, "核查")

    def test_an_undecided_item_has_nothing_to_revoke(self):
        case = in_review()
        with refused(case, WrongItemStatus):
            case.revoke_commitment(FOOD_PERMIT, SUPERVISOR, "核查")

    def test_a_commitment_is_revoked_only_once(self):
        case = approved_on_commitment()
        case.revoke_commitment(FOOD_PERMIT, SUPERVISOR, "核查发现承诺不实")
        with refused(case, WrongItemStatus):
            case.revoke_commitment(FOOD_PERMIT, SUPERVISOR, "再次核查")

    @pytest.mark.parametrize("reason", ["", " "])
    def test_a_reason_is_required(self, reason):
        case = approved_on_commitment()
        with refused(case, ReasonRequired):
            case.revoke_commitment(FOOD_PERMIT, SUPERVISOR, reason)


class TestRejectItem:
    def test_rejecting_an_essential_item_rejects_the_case(self):
        case = in_review()
        case.collect_events()
        case.reject_item(LICENCE, AMR, "名称与他人重复")
        rejected_item, rejected_case = case.collect_events()
        assert isinstance(rejected_item, Case.ItemRejected)
        assert (rejected_item.item, rejected_item.actor) == (LICENCE, AMR)
        assert rejected_item.reason == "名称与他人重复"
        assert rejected_item.materials == {"id-card": DIGEST}
        assert isinstance(rejected_case, Case.CaseRejected)
        assert LICENCE in rejected_case.reason
        assert case.status == CaseStatus.REJECTED
        assert case.closed_at is not None

    def test_the_case_rejection_withdraws_undecided_items(self):
        case = in_review()
        case.reject_item(LICENCE, AMR, "名称与他人重复")
        assert case.items[FOOD_PERMIT].status == ItemStatus.WITHDRAWN

    def test_an_item_can_be_rejected_before_review(self):
        case = open_case()
        case.reject_item(FOOD_PERMIT, FOOD, "不在许可范围")
        assert case.items[FOOD_PERMIT].status == ItemStatus.REJECTED

    def test_an_item_waiting_for_a_supplement_can_be_rejected(self):
        case = in_review()
        case.request_supplement(FOOD_PERMIT, ["floor-plan"], MONDAY, FOOD, "平面图不清晰")
        case.reject_item(FOOD_PERMIT, FOOD, "逾期未补正")
        assert case.items[FOOD_PERMIT].status == ItemStatus.REJECTED

    @pytest.mark.parametrize("reason", ["", "  "])
    def test_a_reason_is_required(self, reason):
        case = in_review()
        with refused(case, ReasonRequired):
            case.reject_item(LICENCE, AMR, reason)

    def test_an_approved_item_cannot_be_rejected(self):
        case = in_review()
        case.approve_item(LICENCE, AMR, clock=CLOCK)
        with refused(case, ItemAlreadyDecided):
            case.reject_item(LICENCE, AMR, "改变主意")

    def test_a_non_essential_rejection_leaves_the_case_open(self):
        case = shop_in_review()
        case.collect_events()
        case.reject_item("sign", AMR, "招牌位置不符合规划")
        [event] = case.collect_events()
        assert isinstance(event, Case.ItemRejected)
        assert case.status == CaseStatus.OPEN
        assert case.items["licence"].status == ItemStatus.IN_REVIEW

    def test_after_a_non_essential_rejection_the_case_still_completes(self):
        case = shop_in_review()
        case.reject_item("sign", AMR, "招牌位置不符合规划")
        case.approve_item("licence", AMR, clock=CLOCK)
        assert case.status == CaseStatus.COMPLETED
        assert case.items["sign"].status == ItemStatus.REJECTED
        assert case.items["licence"].certificates[0]["status"] == "valid"

    def test_rejecting_every_non_essential_item_rejects_the_case(self):
        bundle = BundleDef(code="signs", name="招牌一件事", items=(
            ItemDef("sign", "招牌备案", "city", 3, essential=False),
            ItemDef("ad", "广告备案", "city", 3, essential=False),
        ))
        case = open_case(bundle)
        case.accept_item("sign", MONDAY, weekdays, AMR)
        case.reject_item("sign", AMR, "不符合规划")
        assert case.status == CaseStatus.OPEN
        case.reject_item("ad", AMR, "不符合规划")
        assert case.status == CaseStatus.REJECTED
