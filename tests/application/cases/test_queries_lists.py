"""Read models through the real commands: the case list, department queues and read-your-writes.

Everything is written with ``services.cases.*`` and read with ``services.queries.*``, on SQLite and
PostgreSQL (``any_services``); time is frozen wherever a date matters.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from freezegun import freeze_time

from application.common.errors import NotAllowed
from domain.shared.values import Actor, Role
from tests.application.helpers import complete_restaurant, submit_all
from tests.conftest import ADMIN, AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR, VALID_CODE

MONDAY = "2026-11-16 09:00:00+08:00"
PSB = Actor("wang-psb", Role.REVIEWER, "psb")
SECOND_CODE, THIRD_CODE = "91440300715267260N", "91370100328415620U"
A, B, C, D = (f"YJS20261116-{x * 6}" for x in "ABCD")

SEAL_FILE = {"bundles": [{
    "code": "seal-engraving", "name": "刻章一件事", "lead_department": "psb",
    "stages": [{"code": "s1", "name": "刻章"}],
    "materials": [{"key": "licence-copy", "name": "营业执照副本"}],
    "items": [{"code": "seal", "name": "公章刻制备案", "department": "psb", "stage": "s1",
               "time_limit_days": 1, "materials": ["licence-copy"],
               "outputs": [{"type": "seal-record", "name": "印章备案"}]}],
}]}


def open_case(services: Any, number: str, name: str = "泉城小馆餐饮有限公司", code: str = VALID_CODE,
              bundle: str = "restaurant-opening") -> Any:
    """Open a case at the window with a known number; return what the command saved."""
    return services.cases.intake.open_case(INTAKE, bundle, name, code, "window", number=number)


def numbers(page: Any) -> list[str]:
    return [row["number"] for row in page.rows]


def queued(queue: dict) -> list[tuple[str, str, date | None, bool]]:
    return [(i["case_number"], i["status"], i["due"], i["overdue"]) for i in queue["items"]]


@pytest.fixture
def listed(any_services):
    """Four cases opened a minute apart on Monday: A, B (completed), C (restaurant) and D (a psb seal)."""
    services = any_services
    services.catalogue.publish_file(SEAL_FILE, ADMIN)
    with freeze_time(MONDAY) as clock:
        open_case(services, A)
        clock.tick(60)
        b = open_case(services, B, "明湖茶餐厅有限公司", SECOND_CODE).id
        complete_restaurant(services, b)
        clock.tick(60)
        open_case(services, C, "泉城烧烤有限公司", THIRD_CODE)
        clock.tick(60)
        open_case(services, D, "明湖刻章有限公司", SECOND_CODE, bundle="seal-engraving")
    services.runner.catch_up()
    return services


class TestCaseListFilters:
    def test_a_row_shows_number_bundle_applicant_owner_status_opening_due_and_overdue(self, listed):
        with freeze_time(MONDAY):
            (row,) = listed.queries.case_list(INTAKE, number=A).rows
        assert {k: row[k] for k in ("number", "bundle", "applicant_name", "credit_code", "owner", "status",
                                    "opened_on", "due", "overdue")} == {
            "number": A, "bundle": "restaurant-opening", "applicant_name": "泉城小馆餐饮有限公司",
            "credit_code": VALID_CODE, "owner": "window1", "status": "open", "opened_on": date(2026, 11, 16),
            "due": date(2026, 11, 24), "overdue": False}  # nothing accepted: licence Tue 17, then food 5 days

    def test_text_search_matches_the_applicant_name(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, text="泉城")) == [C, A]
        assert numbers(listed.queries.case_list(INTAKE, text="明湖")) == [D, B]

    def test_text_search_matches_part_of_the_case_number(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, text="BBBB")) == [B]
        assert numbers(listed.queries.case_list(INTAKE, text="YJS20261116")) == [D, C, B, A]

    def test_text_search_matches_part_of_the_credit_code(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, text="9144030071")) == [D, B]
        assert numbers(listed.queries.case_list(INTAKE, text="nothing-like-this")) == []

    def test_text_search_ignores_letter_case_on_every_database(self, listed):
        # SQLite's LIKE ignores ASCII case, PostgreSQL's does not: the same search must find the same cases.
        assert numbers(listed.queries.case_list(INTAKE, text="yjs20261116-bbb")) == [B]
        assert numbers(listed.queries.case_list(INTAKE, text="715267260n")) == [D, B]

    def test_the_number_filter_is_exact(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, number=C)) == [C]
        assert numbers(listed.queries.case_list(INTAKE, number="CCCC")) == []

    def test_the_credit_code_filter_is_exact(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, credit_code=SECOND_CODE)) == [D, B]
        assert numbers(listed.queries.case_list(INTAKE, credit_code=VALID_CODE)) == [A]

    def test_the_bundle_filter_keeps_one_bundle(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, bundle="seal-engraving")) == [D]
        assert numbers(listed.queries.case_list(INTAKE, bundle="restaurant-opening")) == [C, B, A]

    def test_the_status_filter_keeps_one_status(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, status="completed")) == [B]
        assert numbers(listed.queries.case_list(INTAKE, status="open")) == [D, C, A]
        assert numbers(listed.queries.case_list(INTAKE, status="rejected")) == []

    def test_the_department_filter_keeps_cases_with_an_item_of_that_department(self, listed):
        assert numbers(listed.queries.case_list(SUPERVISOR, department="psb")) == [D]
        assert numbers(listed.queries.case_list(SUPERVISOR, department="amr-food")) == [C, B, A]

    def test_filters_combine(self, listed):
        assert numbers(listed.queries.case_list(INTAKE, text="明湖", bundle="restaurant-opening")) == [B]
        assert numbers(listed.queries.case_list(INTAKE, credit_code=SECOND_CODE, status="open")) == [D]


class TestCaseListPages:
    def test_pages_count_every_match_and_list_the_newest_first(self, listed):
        first = listed.queries.case_list(AUDITOR, per_page=3)
        second = listed.queries.case_list(AUDITOR, per_page=3, page=2)
        assert (first.total, first.page, first.per_page, numbers(first)) == (4, 1, 3, [D, C, B])
        assert (second.total, second.page, numbers(second)) == (4, 2, [A])

    def test_a_page_of_two_holds_the_third_and_fourth_newest(self, listed):
        page = listed.queries.case_list(SUPERVISOR, per_page=2, page=2)
        assert (page.total, numbers(page)) == (4, [B, A])

    def test_a_page_past_the_end_is_empty_but_keeps_the_total(self, listed):
        page = listed.queries.case_list(INTAKE, per_page=2, page=5)
        assert (page.total, page.rows) == (4, [])

    def test_the_total_counts_the_filtered_cases_only(self, listed):
        page = listed.queries.case_list(INTAKE, bundle="restaurant-opening", per_page=1, page=2)
        assert (page.total, numbers(page)) == (3, [B])


class TestCaseListOverdue:
    def test_a_case_is_overdue_exactly_while_open_with_its_due_date_before_today(self, any_services):
        services = any_services
        with freeze_time(MONDAY) as clock:
            late = open_case(services, A).id
            open_case(services, B)  # nothing accepted: projected from opening, licence Tue 17 + food 5 days
            submit_all(services, late)
            services.cases.review.accept_item(AMR, late, "business-licence")  # due Tue 17
            saved = services.cases.review.accept_item(FOOD, late, "food-permit")  # due Mon 23

            clock.move_to("2026-11-23 18:00:00+08:00")  # the due date itself: not late yet
            rows = {r["number"]: r for r in services.queries.case_list(INTAKE, after=saved).rows}
            assert (rows[A]["due"], rows[A]["overdue"]) == (date(2026, 11, 23), False)
            assert (rows[B]["due"], rows[B]["overdue"]) == (date(2026, 11, 24), False)

            clock.move_to("2026-11-24 09:00:00+08:00")  # B's projected due date itself: not late yet
            rows = {r["number"]: r for r in services.queries.case_list(INTAKE).rows}
            assert (rows[A]["overdue"], rows[B]["overdue"]) == (True, False)
            assert numbers(services.queries.case_list(INTAKE, overdue=True)) == [A]
            assert numbers(services.queries.case_list(INTAKE, overdue=False)) == [B]

            services.cases.review.approve_item(AMR, late, "business-licence")
            services.cases.review.record_inspection(FOOD, late, "food-permit", "video", True)
            saved = services.cases.review.approve_item(FOOD, late, "food-permit")  # issues: completes, late
            (row,) = services.queries.case_list(INTAKE, number=A, after=saved).rows
            assert (row["status"], row["due"], row["overdue"]) == ("completed", date(2026, 11, 23), False)
            assert numbers(services.queries.case_list(INTAKE, overdue=True)) == []


class TestCaseListVisibility:
    def test_a_reviewer_of_psb_sees_none_of_the_restaurant_cases(self, listed):
        assert numbers(listed.queries.case_list(PSB)) == [D]

    @pytest.mark.parametrize("reviewer", [AMR, FOOD], ids=["amr", "amr-food"])
    def test_a_reviewer_of_a_restaurant_department_sees_the_restaurant_cases_only(self, listed, reviewer):
        assert numbers(listed.queries.case_list(reviewer)) == [C, B, A]

    def test_a_reviewer_cannot_widen_the_list_by_naming_another_department(self, listed):
        assert numbers(listed.queries.case_list(AMR, department="psb")) == [C, B, A]
        assert numbers(listed.queries.case_list(PSB, department="amr")) == [D]

    @pytest.mark.parametrize("actor", [INTAKE, SUPERVISOR, AUDITOR, ADMIN], ids=str)
    def test_intake_supervisors_auditors_and_admins_see_every_case(self, listed, actor):
        assert numbers(listed.queries.case_list(actor)) == [D, C, B, A]

    def test_a_transferred_item_moves_the_case_into_the_new_departments_list(self, listed):
        case_id = listed.queries.case_list(INTAKE, number=A).rows[0]["case_id"]
        saved = listed.cases.supervision.transfer_item(SUPERVISOR, case_id, "business-licence", "psb", "seal first")
        assert numbers(listed.queries.case_list(PSB, after=saved)) == [D, A]
        assert numbers(listed.queries.case_list(AMR)) == [C, B]


@pytest.fixture
def queue_cases(any_services):
    """Restaurant cases, each a minute apart on Monday 16, seen on Wednesday 18 at 09:00.

    Q1 licence accepted Mon (due Tue 17); Q2 accepted Tue (due Wed 18); Q3 nothing submitted
    (licence waiting, no due date); Q4 licence approved on Monday; Q5 accepted Tue, then a
    supplement requested; Q6 withdrawn.
    """
    services, ids = any_services, {}
    with freeze_time(MONDAY) as clock:
        for n in range(1, 7):
            ids[n] = open_case(services, f"YJS20261116-Q{n}").id
            clock.tick(60)
        for n in (1, 2, 4, 5, 6):
            submit_all(services, ids[n])
        services.cases.review.accept_item(AMR, ids[1], "business-licence")
        services.cases.review.accept_item(AMR, ids[4], "business-licence")
        services.cases.review.approve_item(AMR, ids[4], "business-licence")
        services.cases.intake.withdraw(INTAKE, ids[6], "the applicant changed plans")
        clock.move_to("2026-11-17 09:00:00+08:00")
        services.cases.review.accept_item(AMR, ids[2], "business-licence")
        services.cases.review.accept_item(AMR, ids[5], "business-licence")
        services.cases.review.request_supplement(AMR, ids[5], "business-licence", "the id card is unreadable")
    services.runner.catch_up()
    return services, ids


WEDNESDAY = "2026-11-18 09:00:00+08:00"


class TestDepartmentQueue:
    @freeze_time(WEDNESDAY)
    def test_the_queue_holds_open_items_of_the_department_oldest_deadline_first_undue_last(self, queue_cases):
        services, _ = queue_cases
        queue = services.queries.department_queue(AMR, "amr")
        assert queue["department"] == "amr"
        assert queued(queue) == [
            ("YJS20261116-Q1", "in_review", date(2026, 11, 17), True),
            ("YJS20261116-Q2", "in_review", date(2026, 11, 18), False),
            ("YJS20261116-Q5", "supplement_requested", date(2026, 11, 18), False),
            ("YJS20261116-Q3", "waiting", None, False),
        ]
        assert {i["code"] for i in queue["items"]} == {"business-licence"}
        assert {i["department"] for i in queue["items"]} == {"amr"}

    @freeze_time(WEDNESDAY)
    def test_queue_items_carry_the_case_applicant_owner_and_item(self, queue_cases):
        services, ids = queue_cases
        first = services.queries.department_queue(AMR, "amr")["items"][0]
        assert {k: first[k] for k in ("case_id", "case_number", "code", "name", "applicant_name", "owner",
                                      "accepted_on", "time_limit_days")} == {
            "case_id": str(ids[1]), "case_number": "YJS20261116-Q1", "code": "business-licence",
            "name": "营业执照", "applicant_name": "泉城小馆餐饮有限公司", "owner": "window1",
            "accepted_on": date(2026, 11, 16), "time_limit_days": 1}

    @freeze_time(WEDNESDAY)
    def test_the_queue_counts_the_departments_items_per_status(self, queue_cases):
        services, _ = queue_cases
        assert services.queries.department_queue(AMR, "amr")["counts"] == {
            "in_review": 2, "supplement_requested": 1, "waiting": 1, "approved": 1, "withdrawn": 1}
        assert services.queries.department_queue(FOOD, "amr-food")["counts"] == {"waiting": 5, "withdrawn": 1}

    @freeze_time(WEDNESDAY)
    def test_items_of_a_withdrawn_case_and_approved_items_are_not_queued(self, queue_cases):
        services, _ = queue_cases
        food = services.queries.department_queue(FOOD, "amr-food")
        # Q4's licence was approved on Monday: the permit's clock runs (5 working days) before acceptance
        assert queued(food) == [("YJS20261116-Q4", "waiting", date(2026, 11, 23), False)] + [
            (f"YJS20261116-Q{n}", "waiting", None, False) for n in (1, 2, 3, 5)]
        amr = [i["case_number"] for i in services.queries.department_queue(AMR, "amr")["items"]]
        assert "YJS20261116-Q4" not in amr and "YJS20261116-Q6" not in amr

    def test_an_approved_item_disappears_from_the_queue(self, queue_cases):
        services, ids = queue_cases
        with freeze_time(WEDNESDAY):
            services.cases.review.approve_item(AMR, ids[1], "business-licence")
            services.runner.catch_up()
            queue = services.queries.department_queue(AMR, "amr")
        assert [i["case_number"] for i in queue["items"]] == [
            "YJS20261116-Q2", "YJS20261116-Q5", "YJS20261116-Q3"]
        assert queue["counts"]["approved"] == 2 and queue["counts"]["in_review"] == 1

    @freeze_time(WEDNESDAY)
    def test_a_department_with_nothing_waiting_has_an_empty_queue(self, queue_cases):
        services, _ = queue_cases
        assert services.queries.department_queue(PSB, "psb") == {"department": "psb", "items": [], "counts": {}}

    @freeze_time(WEDNESDAY)
    def test_a_supervisor_may_see_any_departments_queue(self, queue_cases):
        services, _ = queue_cases
        assert len(services.queries.department_queue(SUPERVISOR, "amr")["items"]) == 4
        assert len(services.queries.department_queue(SUPERVISOR, "amr-food")["items"]) == 5

    @pytest.mark.parametrize("actor", [FOOD, PSB, INTAKE], ids=str)
    def test_reviewers_of_another_department_and_intake_officers_may_not_see_the_queue(self, queue_cases, actor):
        services, _ = queue_cases
        with pytest.raises(NotAllowed):
            services.queries.department_queue(actor, "amr")


class TestReadYourWrites:
    def test_a_query_given_the_saved_command_sees_the_approval_without_an_explicit_catch_up(self, any_services):
        services = any_services
        case_id = open_case(services, A).id
        submit_all(services, case_id)
        services.cases.review.accept_item(AMR, case_id, "business-licence")
        services.runner.catch_up()
        assert [i["case_number"] for i in services.queries.department_queue(AMR, "amr")["items"]] == [A]

        saved = services.cases.review.approve_item(AMR, case_id, "business-licence")
        stale = services.queries.department_queue(AMR, "amr")  # nobody caught up: the view lags
        fresh = services.queries.department_queue(AMR, "amr", after=saved)
        assert [i["case_number"] for i in stale["items"]] == [A]
        assert fresh["items"] == [] and fresh["counts"] == {"approved": 1}

    def test_the_case_list_catches_up_to_a_command_it_is_given(self, any_services):
        services = any_services
        saved = open_case(services, A)
        assert services.queries.case_list(INTAKE).total == 0
        assert numbers(services.queries.case_list(INTAKE, after=saved)) == [A]
        saved = services.cases.intake.withdraw(INTAKE, saved.id, "changed plans")
        assert services.queries.case_list(INTAKE, after=saved).rows[0]["status"] == "withdrawn"
