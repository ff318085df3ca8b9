"""Putting an item on one reviewer's desk: only they (or a supervisor) act on it then."""

from __future__ import annotations

import pytest

from application.common.errors import InvalidInput, NotAllowed
from domain.shared.values import Actor, Role
from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, SUPERVISOR

AMR_2 = Actor("zhao-amr", Role.REVIEWER, "amr")


@pytest.fixture
def case_id(services):
    for actor in (AMR, AMR_2):
        services.users.add_user(ADMIN, actor.user_id, "long-enough-pw", "reviewer", actor.department)
    services.users.add_user(ADMIN, "wu-psb", "long-enough-pw", "reviewer", "psb")
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    return case_id


def test_an_assigned_item_is_acted_on_by_its_assignee_only(services, case_id):
    services.cases.supervision.assign_item(SUPERVISOR, case_id, "business-licence", AMR_2.user_id, "熟悉此类业务")
    with pytest.raises(NotAllowed, match="zhao-amr"):
        services.cases.review.accept_item(AMR, case_id, "business-licence")
    services.cases.review.accept_item(AMR_2, case_id, "business-licence")
    services.runner.catch_up()
    (row,) = [r for r in services.queries.store.case_items(str(case_id)) if r["code"] == "business-licence"]
    assert row["assignee"] == "zhao-amr" and row["status"] == "in_review"


def test_only_a_reviewer_of_the_items_department_can_be_assigned(services, case_id):
    with pytest.raises(InvalidInput, match="no reviewer of 'amr'"):
        services.cases.supervision.assign_item(SUPERVISOR, case_id, "business-licence", "wu-psb", "x")
    with pytest.raises(InvalidInput):
        services.cases.supervision.assign_item(SUPERVISOR, case_id, "business-licence", "nobody", "x")
    with pytest.raises(NotAllowed):
        services.cases.supervision.assign_item(AMR, case_id, "business-licence", AMR_2.user_id, "x")
    assert services.cases.load(case_id).version == 3


def test_a_transfer_clears_the_assignment(services, case_id):
    services.cases.supervision.assign_item(SUPERVISOR, case_id, "business-licence", AMR_2.user_id, "x")
    services.cases.supervision.transfer_item(SUPERVISOR, case_id, "business-licence", "psb", "属公安")
    assert services.cases.load(case_id).items["business-licence"].assignee is None
