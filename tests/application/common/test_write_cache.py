"""Each process keeps the cases it saved; another process's writes must still win."""

from __future__ import annotations

import pytest

from domain.shared.errors import CaseClosed
from tests.application.helpers import SHA, open_restaurant, submit_all
from tests.conftest import AMR, FOOD, INTAKE, make_services


@pytest.fixture
def two_processes(any_services):
    return any_services, make_services(any_services.settings.database_url)


def test_a_stale_copy_does_not_refuse_what_the_current_state_allows(two_processes):
    first, second = two_processes
    case_id = open_restaurant(first)
    submit_all(first, case_id)
    first.cases.review.accept_item(FOOD, case_id, "food-permit")  # `first` now holds this version
    second.cases.review.accept_item(AMR, case_id, "business-licence")
    second.cases.review.approve_item(AMR, case_id, "business-licence")
    # `first`'s copy still says the licence waits; the current state says it is approved.
    first.cases.review.approve_on_commitment(FOOD, case_id, "food-permit", "本人承诺")
    assert first.cases.load(case_id).items["food-permit"].status == "approved"


def test_a_stale_copy_does_not_allow_what_the_current_state_forbids(two_processes):
    first, second = two_processes
    case_id = open_restaurant(first)
    second.cases.intake.withdraw(INTAKE, case_id, "申请人撤回")
    with pytest.raises(CaseClosed):
        first.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    assert first.cases.load(case_id).materials == {}


def test_a_stale_copy_loses_its_write_and_the_command_is_redone_on_fresh_state(two_processes):
    first, second = two_processes
    case_id = open_restaurant(first)
    second.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "plan.pdf", SHA)
    first.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    case = second.cases.load(case_id)
    assert set(case.materials) == {"id-card", "floor-plan"} and case.version == 3


def test_an_expected_version_is_checked_against_the_current_state(two_processes):
    first, second = two_processes
    case_id = open_restaurant(first)
    second.cases.intake.submit_material(INTAKE, case_id, "floor-plan", "plan.pdf", SHA)
    # the client read version 2 from `second`; `first` only holds version 1
    first.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA, expected_version=2)
    assert first.cases.load(case_id).version == 3
