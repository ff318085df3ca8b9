"""Who may do what: a role x command table, enforced whatever the client sends."""

from __future__ import annotations

from datetime import date

import pytest

from application.common.errors import NotAllowed
from domain.shared.values import Actor, Role
from tests.application.helpers import SHA, event_count, open_restaurant, submit_all
from tests.conftest import ADMIN, AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR

OTHER_INTAKE = Actor("window9", Role.INTAKE)

COMMANDS = {
    "submit_material": lambda s, a, c: s.cases.intake.submit_material(a, c, "id-card", "id.pdf", SHA),
    "accept_with_deficiency": lambda s, a, c: s.cases.intake.accept_with_deficiency(
        a, c, ["floor-plan"], date(2026, 12, 31)),
    "withdraw": lambda s, a, c: s.cases.intake.withdraw(a, c, "applicant withdrew"),
    "accept_item": lambda s, a, c: s.cases.review.accept_item(a, c, "business-licence"),
    "reject_item": lambda s, a, c: s.cases.review.reject_item(a, c, "business-licence", "no"),
    "escalate": lambda s, a, c: s.cases.supervision.escalate(a, c, "slow", level=1),
    "transfer_item": lambda s, a, c: s.cases.supervision.transfer_item(a, c, "business-licence", "psb", "wrong dept"),
}

ALLOWED = {
    "submit_material": {"intake"},
    "accept_with_deficiency": {"intake"},
    "withdraw": {"intake"},
    "accept_item": {"amr"},
    "reject_item": {"amr"},
    "escalate": {"supervisor"},
    "transfer_item": {"amr", "supervisor"},
}

ACTORS = {"intake": INTAKE, "amr": AMR, "food": FOOD, "supervisor": SUPERVISOR,
          "auditor": AUDITOR, "admin": ADMIN}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("who", sorted(ACTORS))
def test_each_role_may_do_only_its_own_commands(services, command, who):
    case_id = open_restaurant(services)
    services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", SHA)
    before = event_count(services, case_id)
    if who in ALLOWED[command]:
        COMMANDS[command](services, ACTORS[who], case_id)
        assert event_count(services, case_id) > before
    else:
        with pytest.raises(NotAllowed):
            COMMANDS[command](services, ACTORS[who], case_id)
        assert event_count(services, case_id) == before


def test_only_intake_opens_cases(services):
    for actor in (AMR, SUPERVISOR, AUDITOR, ADMIN):
        with pytest.raises(NotAllowed):
            open_restaurant(services) if actor is INTAKE else services.cases.intake.open_case(
                actor, "restaurant-opening", "某公司", "91110000600037341L", "window")
    assert services.cases.recorder.max_notification_id() is None


def test_a_reviewer_cannot_approve_another_departments_item(services):
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    services.cases.review.accept_item(AMR, case_id, "business-licence")
    before = event_count(services, case_id)
    with pytest.raises(NotAllowed, match="reviewers of 'amr'"):
        services.cases.review.approve_item(FOOD, case_id, "business-licence")
    assert event_count(services, case_id) == before


def test_after_a_transfer_the_new_department_reviews_the_item(services):
    psb = Actor("wu-psb", Role.REVIEWER, "psb")
    case_id = open_restaurant(services)
    submit_all(services, case_id)
    services.cases.supervision.transfer_item(SUPERVISOR, case_id, "business-licence", "psb", "belongs to PSB")
    with pytest.raises(NotAllowed):
        services.cases.review.accept_item(AMR, case_id, "business-licence")
    services.cases.review.accept_item(psb, case_id, "business-licence")
    assert services.cases.load(case_id).items["business-licence"].status == "in_review"


def test_reviewers_see_only_cases_with_an_item_of_their_department(services):
    outsider = Actor("wu-psb", Role.REVIEWER, "psb")
    case_id = open_restaurant(services)
    assert services.cases.reads.get_case(AMR, case_id).number
    assert services.cases.reads.get_case(AUDITOR, case_id).number
    with pytest.raises(NotAllowed):
        services.cases.reads.get_case(outsider, case_id)


def test_only_the_owner_or_a_supervisor_reassigns_the_owner(services):
    services.users.add_user(ADMIN, "window2", "long-enough-pw", "intake")
    case_id = open_restaurant(services)
    with pytest.raises(NotAllowed):
        services.cases.intake.reassign_owner(OTHER_INTAKE, case_id, "window2", "hand over")
    services.cases.intake.reassign_owner(INTAKE, case_id, "window2", "hand over")
    assert services.cases.load(case_id).owner == "window2"


def test_only_admins_see_how_far_the_read_models_are_behind(services):
    open_restaurant(services)
    lag = {(r["projection"], r["application"]): r["behind"] for r in services.queries.projection_lag(ADMIN)}
    assert lag[("cases", "Cases")] == 1 and lag[("audit", "Catalogue")] > 0
    services.runner.catch_up()
    assert all(r["behind"] == 0 for r in services.queries.projection_lag(ADMIN))
    for actor in (INTAKE, AMR, SUPERVISOR, AUDITOR):
        with pytest.raises(NotAllowed):
            services.queries.projection_lag(actor)
