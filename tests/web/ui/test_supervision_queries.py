"""The supervision area's read queries (application.supervision.queries over infrastructure.readmodels.supervision):
who may read them, and which items each list holds, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from application.common.errors import InvalidInput, NotAllowed
from application.supervision.queries import SupervisionQueries
from domain.shared.values import Actor, Role
from infrastructure.readmodels.supervision import SqlSupervisionReadModels
from tests.conftest import ADMIN
from tests.web.conftest import PASSWORD, USERS
from tests.web.ui.test_supervision import AMR, INTAKE, SUPERVISOR, open_case

AUDITOR = Actor("auditor", Role.AUDITOR)


@pytest.fixture
def staffed(any_services):
    """Services on each database with a user of every role (tests.web.conftest.USERS), projected."""
    for username, (role, department) in USERS.items():
        any_services.users.add_user(ADMIN, username, PASSWORD, role, department)
    any_services.runner.catch_up()
    return any_services


def queries(services) -> SupervisionQueries:
    return SupervisionQueries(SqlSupervisionReadModels(services.runner.engine), services.clock,
                              services.runner.wait_until, services.calendar.after)


def codes(page) -> list[tuple[str, str]]:
    return [(row["case_number"], row["code"]) for row in page.rows]


@pytest.mark.parametrize("actor", [AMR, INTAKE, ADMIN])
def test_only_supervisors_and_auditors_read_the_lists(staffed, actor):
    q = queries(staffed)
    for read in (q.overdue_items, q.due_soon_items, q.escalations, q.escalation_counts, q.department_load):
        with pytest.raises(NotAllowed):
            read(actor)


def test_auditors_read_the_lists_but_only_supervisors_the_staff_directory(staffed):
    q = queries(staffed)
    assert q.overdue_items(AUDITOR).total == 0 and q.escalation_counts(AUDITOR) == {"open": 0, "closed": 0}
    with pytest.raises(NotAllowed):
        q.staff(AUDITOR, Role.REVIEWER)
    assert [u["username"] for u in q.staff(SUPERVISOR, Role.REVIEWER, "amr")] == ["amr"]
    assert [u["username"] for u in q.staff(SUPERVISOR, Role.INTAKE)] == ["intake", "intake2"]


def test_the_board_has_two_states_only(staffed):
    with pytest.raises(InvalidInput):
        queries(staffed).escalations(SUPERVISOR, "everything")


def test_an_item_due_the_next_working_day_is_due_soon_without_any_tick(staffed):
    with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday: the licence (1 working day) is due on Tuesday
        open_case(staffed, "YJS-Q-1")
        staffed.runner.catch_up()
        q = queries(staffed)
        assert codes(q.due_soon_items(SUPERVISOR)) == [("YJS-Q-1", "business-licence")]
        assert q.overdue_items(SUPERVISOR).total == 0


def test_a_closed_case_leaves_the_lists_and_the_load(staffed):
    with freeze_time(datetime.now() - timedelta(days=40)):
        open_case(staffed, "YJS-Q-KEPT")
        gone = open_case(staffed, "YJS-Q-GONE")
    staffed.cases.intake.withdraw(INTAKE, gone, "the applicant withdrew")
    staffed.runner.catch_up()
    q = queries(staffed)
    assert codes(q.overdue_items(SUPERVISOR)) == [("YJS-Q-KEPT", "business-licence"), ("YJS-Q-KEPT", "food-permit")]
    assert q.department_load(SUPERVISOR) == {"amr": {"open": 1, "overdue": 1}, "amr-food": {"open": 1, "overdue": 1}}


def test_a_paused_item_is_neither_overdue_nor_due_soon_but_counts_as_load(staffed):
    with freeze_time(datetime.now() - timedelta(days=40)):
        case_id = open_case(staffed, "YJS-Q-PAUSED")
        staffed.cases.review.request_supplement(AMR, case_id, "business-licence", "a clearer copy")
    staffed.runner.catch_up()
    q = queries(staffed)
    assert codes(q.overdue_items(SUPERVISOR)) == [("YJS-Q-PAUSED", "food-permit")]
    assert q.department_load(SUPERVISOR)["amr"] == {"open": 1, "overdue": 0}
