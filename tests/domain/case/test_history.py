"""Rules that hold for any history of a case: replay rebuilds it; refusals change nothing."""

import copy
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.case.aggregate import Case
from domain.shared.errors import DomainError
from tests.conftest import AMR, FOOD, INTAKE, SUPERVISOR, weekdays
from tests.domain.case.cases import (
    CLOCK,
    DIGEST,
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    completed,
    in_review,
    issued_later_bundle,
    licence_issued,
    open_case,
)


def food_permit_approved() -> Case:
    """Licence issued, food permit inspected and approved, its output issued later than approval: one
    issue away from completion."""
    case = licence_issued(bundle=issued_later_bundle(FOOD_PERMIT))
    case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
    case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
    return case


def food_permit_approved_without_floor_plan() -> Case:
    """Accepted with the floor plan excused, both items approved: the food permit's certificate waits for
    the floor plan (one submission away from completion)."""
    case = open_case()
    case.submit_material("id-card", "id.pdf", DIGEST, INTAKE)
    case.accept_with_deficiency(["floor-plan"], MONDAY + timedelta(days=14), MONDAY, INTAKE)
    case.accept_item(LICENCE, MONDAY, weekdays, AMR)
    case.accept_item(FOOD_PERMIT, MONDAY, weekdays, FOOD)
    case.approve_item(LICENCE, AMR, clock=CLOCK)
    case.record_inspection(FOOD_PERMIT, "video", True, FOOD)
    case.approve_item(FOOD_PERMIT, FOOD, clock=CLOCK)
    return case


STARTS = st.sampled_from([open_case, in_review, licence_issued, food_permit_approved,
                          food_permit_approved_without_floor_plan, completed])

# Weighted towards what succeeds, so that histories reach approvals, issue and completion.
ITEMS = st.sampled_from([LICENCE, FOOD_PERMIT] * 4 + ["liquor-licence"])
MATERIALS = st.sampled_from(["id-card", "floor-plan", "passport"])
DAYS = st.integers(min_value=-2, max_value=10).map(lambda n: MONDAY + timedelta(days=n))
REASONS = st.sampled_from(["依法办理"] * 4 + [""])
RARELY = st.sampled_from([""] * 4 + ["依法办理"])  # for commands that close the case

COMMANDS = st.one_of(
    st.tuples(st.just("submit_material"), MATERIALS, st.just("f.pdf"),
              st.sampled_from([DIGEST, "x"]), st.just(INTAKE)),
    st.tuples(st.just("accept_with_deficiency"), st.lists(MATERIALS, max_size=2), DAYS,
              st.just(MONDAY), st.just(INTAKE)),
    st.tuples(st.just("accept_item"), ITEMS, DAYS, st.just(weekdays), st.just(AMR)),
    st.tuples(st.just("request_supplement"), ITEMS, st.lists(MATERIALS, max_size=1), DAYS,
              st.just(FOOD), REASONS),
    st.tuples(st.just("receive_supplement"), ITEMS, DAYS, st.just(weekdays), st.just(FOOD)),
    st.tuples(st.just("record_inspection"), ITEMS, st.sampled_from(["video", "onsite", "x"]),
              st.sampled_from([True, True, False]), st.just(FOOD)),
    st.tuples(st.just("approve_item"), ITEMS, st.just(AMR)),
    st.tuples(st.just("approve_on_commitment"), ITEMS, st.sampled_from(["", "承诺"]),
              st.just(FOOD)),
    st.tuples(st.just("revoke_commitment"), ITEMS, st.just(SUPERVISOR), REASONS),
    st.tuples(st.just("reject_item"), ITEMS, st.just(AMR), RARELY),
    st.tuples(st.just("issue_certificates"), ITEMS, st.just(AMR)),
    st.tuples(st.just("transfer_item"), ITEMS, st.sampled_from(["amr", "psb"]),
              st.just(SUPERVISOR), REASONS),
    st.tuples(st.just("reassign_owner"), st.sampled_from(["window1", "window2"]),
              st.just(SUPERVISOR), REASONS),
    st.tuples(st.just("escalate"), st.integers(0, 4), st.just(SUPERVISOR), REASONS),
    st.tuples(st.just("resolve_escalation"), st.integers(0, 3), st.just(SUPERVISOR), REASONS),
    st.tuples(st.just("withdraw"), st.just(INTAKE), RARELY),
    st.tuples(st.just("rate"), st.integers(0, 6), st.just("好"), st.just(INTAKE)),
)


def state(case: Case) -> dict:
    """Everything a case knows, as plain data."""
    return copy.deepcopy({
        "status": case.status, "owner": case.owner, "closed_at": case.closed_at,
        "items": {code: item.to_dict() for code, item in case.items.items()},
        "materials": case.materials, "material_versions": case.material_versions,
        "deficiencies": case.deficiencies,
        "escalations": [e.to_dict() for e in case.escalations], "rating": case.rating,
        "version": case.version,
    })


def replay(events) -> Case:
    """Rebuild a case from its events alone."""
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    return rebuilt


@settings(max_examples=150, deadline=None)
@given(STARTS, st.lists(COMMANDS, min_size=1, max_size=25))
def test_refused_commands_change_nothing_and_replay_rebuilds_the_case(start, commands):
    case = start()
    for name, *args in commands:
        before, pending = state(case), len(case.pending_events)
        try:
            getattr(case, name)(*args, **({"clock": CLOCK} if name.startswith("approve") else {}))
        except DomainError:
            assert state(case) == before
            assert len(case.pending_events) == pending
    assert state(replay(case.collect_events())) == state(case)


def test_a_completed_case_replays_to_the_same_state():
    case = completed()
    case.rate(5, "一次办好", INTAKE)
    rebuilt = replay(case.collect_events())
    assert state(rebuilt) == state(case)
    assert rebuilt.id == case.id

