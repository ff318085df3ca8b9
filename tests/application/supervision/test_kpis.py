"""KPIs from a known history written with the real commands, the KPI helpers, and rebuilding the views.

The history (restaurant bundle of tests/conftest.py; November 2026 has no holidays):

* A (window) opened Mon 16; licence accepted and approved Mon 16 (due Tue 17); food permit accepted
  Mon 16 (due Mon 23), a supplement requested Mon 16 and received Tue 17 (due Tue 24); approved Wed 18:
  completed on time in 2 working days; rated 4.
* B (online) opened Mon 16; both items accepted Mon 16 (due Tue 17, Mon 23); on Tue 24 the licence is
  approved and the food permit approved on commitment: completed late in 6 working days; rated 2.
* C (window) opened Mon 16; licence accepted and rejected Mon 16: the case is rejected.
"""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from application.common.errors import NotAllowed
from application.supervision.kpis import nearest_rank, separate_filing
from tests.application.cases.test_queries_lists import SEAL_FILE
from tests.application.helpers import submit_all
from tests.conftest import ADMIN, AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR, VALID_CODE, restaurant_file

RESTAURANT = "restaurant-opening"


def open_case(services, number: str, channel: str = "window"):
    return services.cases.intake.open_case(INTAKE, RESTAURANT, "泉城小馆餐饮有限公司", VALID_CODE, channel,
                                    number=number).id


def build_history(services) -> dict:
    cases = services.cases
    with freeze_time("2026-11-16 09:00:00+08:00") as clock:
        a, b, c = open_case(services, "K-A"), open_case(services, "K-B", "online"), open_case(services, "K-C")
        for case_id in (a, b, c):
            submit_all(services, case_id)
            cases.review.accept_item(AMR, case_id, "business-licence")
        cases.review.approve_item(AMR, a, "business-licence")
        cases.review.accept_item(FOOD, a, "food-permit")
        cases.review.request_supplement(FOOD, a, "food-permit", "the floor plan lacks the kitchen", ["floor-plan"])
        cases.review.accept_item(FOOD, b, "food-permit")
        cases.review.reject_item(AMR, c, "business-licence", "the name is taken")

        clock.move_to("2026-11-17 09:00:00+08:00")
        cases.review.receive_supplement(FOOD, a, "food-permit")

        clock.move_to("2026-11-18 09:00:00+08:00")
        cases.review.record_inspection(FOOD, a, "food-permit", "video", True)
        cases.review.approve_item(FOOD, a, "food-permit")
        cases.intake.rate(INTAKE, a, 4, "quick")

        clock.move_to("2026-11-24 09:00:00+08:00")
        cases.review.approve_item(AMR, b, "business-licence")
        cases.review.approve_on_commitment(FOOD, b, "food-permit", "我承诺符合食品经营条件")
        cases.intake.rate(INTAKE, b, 2, "slow")
    services.runner.catch_up()
    return {"A": a, "B": b, "C": c}


@pytest.fixture
def history(any_services):
    build_history(any_services)
    return any_services


class TestBundleKpis:
    def test_counts_on_time_rate_cycle_times_supplements_commitments_and_ratings(self, history):
        figures = history.queries.kpis(SUPERVISOR)["bundles"][RESTAURANT]
        assert {k: v for k, v in figures.items() if k != "reductions"} == {
            "opened": 3, "completed": 2, "rejected": 1, "withdrawn": 0,
            "on_time_rate": 0.5,
            "cycle_days": {"median": 4, "p90": 6},
            "supplements": 1, "approvals_on_commitment": 1,
            "rating": {"count": 2, "average": 3.0},
            "materials_given": {"uploaded": 6, "reused": 0, "reduction": 0.0},  # 2 on paper per case, none reused
        }

    def test_reductions_compare_the_real_histories_with_filing_each_item_separately(self, history):
        # No declared baseline: trips = items = 2, steps = 3 x 2 = 6, materials = 1 + 2 = 3, days = 1 + 5 = 6.
        # Real: trips (2 for A at the window with a supplement, 0 for B online) 1; steps (3, 2) 2.5;
        # materials (2, 2) 2; days = median cycle 4.
        reductions = history.queries.kpis(AUDITOR)["bundles"][RESTAURANT]["reductions"]
        assert reductions == {
            "trips": {"separately": 2, "one_thing": 1, "reduction": 0.5},
            "steps": {"separately": 6, "one_thing": 2.5, "reduction": 0.5833},
            "materials": {"separately": 3, "one_thing": 2, "reduction": 0.3333},
            "days": {"separately": 6, "one_thing": 4, "reduction": 0.3333},
        }

    def test_a_declared_baseline_replaces_the_derived_separate_figures(self, history):
        declared = restaurant_file()
        declared["bundles"][0]["baseline"] = {"trips": 4, "steps": 10, "materials": 5, "days": 20}
        history.catalogue.publish_file(declared, ADMIN)
        history.runner.catch_up()
        reductions = history.queries.kpis(SUPERVISOR)["bundles"][RESTAURANT]["reductions"]
        assert {k: (v["separately"], v["one_thing"], v["reduction"]) for k, v in reductions.items()} == {
            "trips": (4, 1, 0.75), "steps": (10, 2.5, 0.75), "materials": (5, 2, 0.6), "days": (20, 4, 0.8)}

    def test_a_published_bundle_without_cases_has_empty_figures(self, history):
        history.catalogue.publish_file(SEAL_FILE, ADMIN)
        history.runner.catch_up()
        assert history.queries.kpis(SUPERVISOR)["bundles"]["seal-engraving"] == {
            "opened": 0, "completed": 0, "rejected": 0, "withdrawn": 0, "on_time_rate": None,
            "cycle_days": {"median": None, "p90": None}, "supplements": 0, "approvals_on_commitment": 0,
            "rating": {"count": 0, "average": None}, "reductions": {},
            "materials_given": {"uploaded": 0, "reused": 0, "reduction": None}}

    def test_cycle_times_count_working_days_not_calendar_days(self, services):
        with freeze_time("2026-11-20 09:00:00+08:00") as clock:  # a Friday
            case_id = open_case(services, "K-W")
            submit_all(services, case_id)
            services.cases.review.accept_item(AMR, case_id, "business-licence")  # due Mon 23
            services.cases.review.accept_item(FOOD, case_id, "food-permit")  # due Fri 27
            clock.move_to("2026-11-23 17:00:00+08:00")  # the Monday after
            services.cases.review.approve_item(AMR, case_id, "business-licence")
            services.cases.review.record_inspection(FOOD, case_id, "food-permit", "video", True)
            services.cases.review.approve_item(FOOD, case_id, "food-permit")
        services.runner.catch_up()
        kpis = services.queries.kpis(SUPERVISOR)
        assert kpis["bundles"][RESTAURANT]["cycle_days"] == {"median": 1, "p90": 1}
        assert kpis["bundles"][RESTAURANT]["on_time_rate"] == 1.0
        assert kpis["departments"]["amr"]["cycle_days"] == {"median": 1, "p90": 1}
        assert kpis["departments"]["amr"]["on_time_rate"] == 1.0


class TestDepartmentKpis:
    def test_the_licensing_department_decided_three_items_two_on_time(self, history):
        assert history.queries.kpis(SUPERVISOR)["departments"]["amr"] == {
            "cases": 3, "cases_completed": 2, "rating": {"count": 2, "average": 3},
            "items": 3, "approved": 2, "rejected": 1,
            "on_time_rate": 0.6667,  # A and C on Mon 16 (due Tue 17); B on Tue 24
            "cycle_days": {"median": 0, "p90": 6},  # 0, 0, 6
            "supplements": 0, "approvals_on_commitment": 0,
        }

    def test_the_food_department_decided_two_items_one_late_one_on_commitment(self, history):
        assert history.queries.kpis(SUPERVISOR)["departments"]["amr-food"] == {
            "cases": 3, "cases_completed": 2, "rating": {"count": 2, "average": 3},
            "items": 3, "approved": 2, "rejected": 0,
            "on_time_rate": 0.5,  # A on Wed 18 (due Tue 24 after the pause); B on Tue 24 (due Mon 23)
            "cycle_days": {"median": 4, "p90": 6},  # 2, 6
            "supplements": 1, "approvals_on_commitment": 1,
        }

    def test_only_departments_with_items_appear(self, history):
        assert set(history.queries.kpis(AUDITOR)["departments"]) == {"amr", "amr-food"}


class TestKpiAccess:
    @pytest.mark.parametrize("actor", [SUPERVISOR, AUDITOR], ids=str)
    def test_supervisors_and_auditors_read_the_kpis(self, services, actor):
        assert set(services.queries.kpis(actor)) == {"bundles", "departments"}

    @pytest.mark.parametrize("actor", [INTAKE, AMR, FOOD, ADMIN], ids=str)
    def test_intake_officers_reviewers_and_admins_may_not_read_the_kpis(self, services, actor):
        with pytest.raises(NotAllowed):
            services.queries.kpis(actor)


class TestNearestRank:
    def test_no_values_have_no_percentile(self):
        assert nearest_rank([], 0.9) is None

    def test_one_value_is_every_percentile(self):
        assert nearest_rank([7], 0.9) == 7 and nearest_rank([7], 0.5) == 7

    def test_the_ninetieth_percentile_of_ten_values_is_the_ninth(self):
        assert nearest_rank(list(range(1, 11)), 0.9) == 9

    def test_the_rank_rounds_up(self):
        assert nearest_rank([1, 2, 3], 0.9) == 3  # ceil(2.7) = 3
        assert nearest_rank(list(range(1, 12)), 0.9) == 10  # ceil(9.9) = 10
        assert nearest_rank([1, 2, 3, 4], 0.5) == 2  # ceil(2.0) = 2

    def test_the_values_need_not_be_sorted(self):
        assert nearest_rank([9, 1, 5, 3], 0.9) == 9
        assert nearest_rank([9, 1, 5, 3], 0.25) == 1

    def test_a_share_of_zero_gives_the_smallest(self):
        assert nearest_rank([4, 2, 8], 0.0) == 2


class TestSeparateFiling:
    def test_without_a_baseline_the_figures_derive_from_the_items(self):
        definition = restaurant_file()["bundles"][0]
        assert separate_filing(definition) == {"trips": 2, "steps": 6, "materials": 3, "days": 6}

    def test_a_declared_baseline_overrides_the_derived_figures(self):
        definition = {**restaurant_file()["bundles"][0], "baseline": {"trips": 5, "steps": 12, "materials": 9,
                                                                       "days": 30}}
        assert separate_filing(definition) == {"trips": 5, "steps": 12, "materials": 9, "days": 30}

    def test_a_partial_baseline_overrides_only_the_figures_it_declares(self):
        definition = {**restaurant_file()["bundles"][0], "baseline": {"trips": 5, "days": 30}}
        assert separate_filing(definition) == {"trips": 5, "steps": 6, "materials": 3, "days": 30}

    def test_an_empty_baseline_keeps_the_derived_figures(self):
        definition = {**restaurant_file()["bundles"][0], "baseline": {}}
        assert separate_filing(definition) == {"trips": 2, "steps": 6, "materials": 3, "days": 6}


class TestRebuild:
    @freeze_time("2026-11-25 09:00:00+08:00")
    def test_kpis_and_lists_are_the_same_after_rebuilding_the_views_from_the_events(self, history):
        services = history
        case_b = services.queries.case_list(INTAKE, number="K-B").rows[0]["case_id"]
        services.cases.supervision.escalate(SUPERVISOR, open_case(services, "K-D"), "waiting too long", level=3)
        services.cases.review.revoke_commitment(SUPERVISOR, case_b, "food-permit", "verification failed")
        services.runner.catch_up()

        def everything() -> dict:
            q = services.queries
            return {
                "kpis": q.kpis(AUDITOR),
                "cases": q.case_list(AUDITOR, per_page=100).rows,
                "amr": q.department_queue(SUPERVISOR, "amr"),
                "food": q.department_queue(SUPERVISOR, "amr-food"),
                "escalations": q.escalation_board(SUPERVISOR),
                "audit": q.audit_log(AUDITOR, per_page=500).rows,
                "certificates": [q.certificate(n) for n in ("K-A-01-1", "K-A-02-1", "K-B-01-1", "K-B-02-1")],
            }

        before = everything()
        services.runner.reset()
        assert services.queries.case_list(AUDITOR).total == 0  # the views really are gone
        services.runner.catch_up()
        after = everything()
        assert after == before
        assert [c["status"] for c in after["certificates"]] == ["valid", "valid", "valid", "revoked"]
        assert after["kpis"]["departments"]["amr-food"]["approved"] == 1  # B's permit fell
        assert len(after["escalations"]) == 1 and len(after["cases"]) == 4

    def test_a_rebuild_in_small_batches_gives_the_same_views_as_one_big_batch(self, history):
        services = history

        def everything() -> dict:
            q = services.queries
            return {"kpis": q.kpis(AUDITOR), "cases": q.case_list(AUDITOR, per_page=100).rows,
                    "audit": q.audit_log(AUDITOR, per_page=500).rows}

        before = everything()
        services.runner.reset()
        services.runner.batch_size = 2
        report = services.runner.catch_up()
        assert report.events == len(before["audit"])
        assert everything() == before
