"""Through the real store (SQLite and PostgreSQL): what was saved loads back exactly."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from tests.conftest import ADMIN, make_services
from tests.property_commands import SEQUENCES, START, apply, new_case, state, three_item_file

numbers = itertools.count(1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=SEQUENCES)
def test_a_saved_case_loads_back_equal_to_the_live_one(database_url, operations):
    services = make_services(database_url)
    services.catalogue.publish_file(three_item_file(), ADMIN)
    case = new_case(number=f"P-{next(numbers)}")
    services.cases.save(case)
    today = START
    for operation in operations:
        today = apply(case, operation, today)
        services.cases.save(case)  # one transaction per command, as the application does
    loaded = make_services(database_url).cases.load(case.id)
    assert state(loaded) == state(case)
