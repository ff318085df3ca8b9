"""Time travel: a case as it stood at any instant or version equals the live case as it was then.

The property test drives random histories one command at a time, each at its own frozen instant, and keeps
the live case's state after every command. Afterwards the case read ``as_of`` any instant (at a command, or
between two) must equal the state kept for the last command at or before it, and the case read at each
version (snapshots every 50 events) must equal the state kept at that version.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.cases.views import CaseView, case_view
from application.common.errors import CaseNotFound
from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, AUDITOR, make_services
from tests.property_commands import SEQUENCES, START, apply, new_case, three_item_file

numbers = itertools.count(1)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def seen(case):
    """Everything the live case holds, as a read shows it (the view of a copy: later commands do not touch it)."""
    return case_view(case, None)


def read(view: CaseView) -> CaseView:
    """A read case, but its due date (which depends on the day it is read for, not on the state)."""
    return dataclasses.replace(view, due=None)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    services = make_services(f"sqlite:///{tmp_path_factory.mktemp('travel') / 'onething.sqlite3'}")
    services.catalogue.publish_file(three_item_file(), ADMIN)
    return services


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=SEQUENCES, probes=st.lists(st.integers(0, 10_000), min_size=1, max_size=8))
def test_the_state_as_of_an_instant_is_the_live_state_then(store, operations, probes):
    cases, kept = store.cases, []  # (instant, version, state) after each save
    moment = T0
    with freeze_time(moment) as clock:
        case = new_case(number=f"T-{next(numbers)}")
        cases.save(case)
        kept.append((moment, case.version, seen(case)))
        today = START
        for step, operation in enumerate(operations, start=1):
            moment = T0 + timedelta(minutes=10 * step)
            clock.move_to(moment)
            today = apply(case, operation, today)
            if case.pending_events:
                cases.save(case)
                kept.append((moment, case.version, seen(case)))
    end = moment
    for probe in probes:  # instants anywhere from the opening to a little after the last command
        instant = T0 + (end - T0 + timedelta(minutes=10)) * probe / 10_000
        expected = [s for at, _, s in kept if at <= instant][-1]
        assert read(cases.reads.case_as_of(AUDITOR, case.id, instant)) == expected
    for at, version, expected in kept:
        assert read(cases.reads.case_as_of(AUDITOR, case.id, at)) == expected  # at the very instant of a command
        assert read(cases.reads.get_case(AUDITOR, case.id, version)) == expected


def test_before_the_case_existed_there_is_nothing_to_see(services):
    with freeze_time("2026-03-02 09:00:00+08:00"):
        case_id = open_restaurant(services)
    with pytest.raises(CaseNotFound):
        services.cases.reads.case_as_of(AUDITOR, case_id, datetime(2026, 3, 2, 0, 59, tzinfo=UTC))


def test_a_past_state_comes_with_its_bundle_version_and_the_calendar_declared_by_then(services):
    with freeze_time("2026-03-02 09:00:00+08:00"):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
    with freeze_time("2026-03-03 09:00:00+08:00"):
        services.catalogue.declare_calendar_day(ADMIN, datetime(2026, 3, 6).date(), False, "本地停电")
        services.cases.review.accept_item(AMR, case_id, "business-licence")
    with freeze_time("2026-03-04 09:00:00+08:00"):
        services.catalogue.declare_calendar_day(ADMIN, datetime(2026, 3, 9).date(), False, "台风")
    before = services.cases.reads.case_as_of(AUDITOR, case_id, datetime(2026, 3, 2, 12, tzinfo=UTC))
    then = services.cases.reads.context_then(before, datetime(2026, 3, 3, 12, tzinfo=UTC))
    assert (then["bundle"]["code"], then["bundle"]["version"]) == ("restaurant-opening", 1)
    assert {i["code"]: i["time_limit_days"] for i in then["bundle"]["items"]} == {
        "business-licence": 1, "food-permit": 5}
    assert [(d["day"], d["workday"], d["reason"]) for d in then["calendar"]["overrides"]] == [
        ("2026-03-06", False, "本地停电")]  # the typhoon closure was declared later
