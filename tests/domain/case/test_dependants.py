"""What follows from a rejection: dependants withdrawn, essential losses closing the case."""

from __future__ import annotations

from domain.case.aggregate import Case
from domain.catalogue.definitions import BundleDef, ItemDef, MaterialDef, OutputDef
from domain.shared.errors import InvalidValue
from tests.conftest import AMR, weekdays
from tests.domain.case.cases import CLOCK, MONDAY, open_case, refused, submit

OUT = (OutputDef("filing", "备案"),)


def chain_bundle(scheme_essential: bool = False, connection_essential: bool = False) -> BundleDef:
    """A licence, an optional power scheme, and a connection that waits for the scheme."""
    return BundleDef(
        code="plant", name="工厂投产一件事", materials=(MaterialDef("id-card", "身份证明"),),
        items=(
            ItemDef("licence", "营业执照", "amr", 1, materials=("id-card",), outputs=OUT),
            ItemDef("power-scheme", "供电方案", "amr", 2, essential=scheme_essential, outputs=OUT),
            ItemDef("power-connection", "接电", "amr", 2, prerequisites=("power-scheme",),
                    essential=connection_essential, outputs=OUT),
            ItemDef("meter", "装表", "amr", 1, prerequisites=("power-connection",), essential=False,
                    outputs=OUT),
        ),
    )


def accepted(bundle: BundleDef):
    case = open_case(bundle, number="P-1")
    submit(case, "id-card")
    for code in ("licence", "power-scheme", "power-connection", "meter"):
        case.accept_item(code, MONDAY, weekdays, AMR)
    case.collect_events()
    return case


def test_rejecting_an_optional_prerequisite_withdraws_everything_that_waits_on_it():
    case = accepted(chain_bundle())
    case.reject_item("power-scheme", AMR, "供电容量不足")
    events = case.collect_events()
    assert [type(e) for e in events] == [Case.ItemRejected, Case.ItemWithdrawn, Case.ItemWithdrawn]
    assert [e.item for e in events[1:]] == ["power-connection", "meter"]
    assert "power-scheme" in events[1].reason
    assert case.status == "open"


def test_the_case_still_completes_after_optional_items_fell_away():
    case = accepted(chain_bundle())
    case.reject_item("power-scheme", AMR, "供电容量不足")
    case.approve_item("licence", AMR, clock=CLOCK)
    assert case.status == "completed"
    assert isinstance(case.collect_events()[-1], Case.Completed)


def test_an_essential_item_withdrawn_because_its_prerequisite_fell_rejects_the_case():
    case = accepted(chain_bundle(connection_essential=True))
    case.reject_item("power-scheme", AMR, "供电容量不足")
    events = case.collect_events()
    assert isinstance(events[-1], Case.CaseRejected)
    assert "power-connection" in events[-1].reason
    assert case.status == "rejected"


def test_an_essential_rejection_closes_the_case_without_a_withdrawal_per_item():
    case = accepted(chain_bundle(scheme_essential=True))
    case.reject_item("power-scheme", AMR, "不符合规划")
    assert [type(e) for e in case.collect_events()] == [Case.ItemRejected, Case.CaseRejected]
    assert {i.status for c, i in case.items.items() if c != "power-scheme"} == {"withdrawn"}


def test_an_item_that_needs_an_onsite_inspection_is_not_satisfied_by_a_video_one():
    bundle = BundleDef(code="b", name="b", items=(
        ItemDef("fire", "消防验收", "amr", 5, inspection="onsite"),))
    case = open_case(bundle, number="F-1")
    case.accept_item("fire", MONDAY, weekdays, AMR)
    with refused(case, InvalidValue):
        case.record_inspection("fire", "video", True, AMR)
    case.record_inspection("fire", "onsite", True, AMR)
    assert case.items["fire"].inspection_passed is True


def test_certificate_numbers_stay_unique_past_ninety_nine_items():
    items = tuple(ItemDef(f"i{n}", f"事项{n}", "amr", 1, outputs=OUT * (11 if n == 1 else 1))
                  for n in range(1, 112))
    case = open_case(BundleDef(code="big", name="big", items=items), number="B-1")
    for item in case.items:
        case.accept_item(item, MONDAY, weekdays, AMR)
        case.approve_item(item, AMR, clock=CLOCK)  # issues its certificates
    numbers = [c["number"] for i in case.items.values() for c in i.certificates]
    assert len(numbers) == len(set(numbers)) == 121
    assert case.status == "completed"


def test_revoking_a_commitment_revokes_the_approved_items_that_waited_on_it():
    bundle = BundleDef(code="c", name="c", items=(
        ItemDef("design", "设计方案", "amr", 2, commitment_allowed=True, essential=False, outputs=OUT),
        ItemDef("permit", "施工许可", "amr", 2, prerequisites=("design",), essential=False, outputs=OUT),
        ItemDef("licence", "营业执照", "amr", 1, outputs=OUT),
    ))
    case = open_case(bundle, number="R-1")
    for code in ("design", "permit", "licence"):
        case.accept_item(code, MONDAY, weekdays, AMR)
    case.approve_on_commitment("design", "本人承诺", AMR, clock=CLOCK)
    case.approve_item("permit", AMR, clock=CLOCK)
    case.approve_item("licence", AMR, clock=CLOCK)
    assert case.status == "completed"
    case.collect_events()
    case.revoke_commitment("design", AMR, "核查发现承诺不实")
    events = case.collect_events()
    assert [type(e).__name__ for e in events] == ["CommitmentRevoked", "ApprovalRevoked"]
    assert events[1].item == "permit" and "design" in events[1].reason
    assert [c["status"] for c in case.items["permit"].certificates] == ["revoked"]
    assert case.items["licence"].certificates[0]["status"] == "valid"
    assert case.status == "completed"  # a closed case keeps its status; its certificates tell the rest
