"""For any history, the case rebuilt from its events equals the live case."""

from __future__ import annotations

from hypothesis import given, settings

from tests.property_commands import SEQUENCES, START, apply, new_case, state


@settings(max_examples=300, deadline=None)
@given(SEQUENCES)
def test_a_case_rebuilt_from_its_events_equals_the_live_one(operations):
    case = new_case()
    events = list(case.collect_events())
    today = START
    for operation in operations:
        today = apply(case, operation, today)
        events += case.collect_events()
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert state(rebuilt) == state(case)
    assert [e.originator_version for e in events] == list(range(1, case.version + 1))
