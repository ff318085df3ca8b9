"""The case list's due date follows every decision (clocks that follow prerequisites, the case's due date).

The case list's due date (``rm_cases.due``) is reckoned as of each event with the rule of
``domain.case.due``; the API reckons the same rule as of today. On the day of an event both must agree.
"""

from __future__ import annotations

import json
from datetime import date

from freezegun import freeze_time

from domain.shared.values import Actor, Role
from tests.application.helpers import SHA
from tests.conftest import ADMIN, AMR, FOOD, INTAKE, RESTAURANT_FILE, VALID_CODE

PSB = Actor("wang-psb", Role.REVIEWER, "psb")


def publish(services, code: str, items: list[dict], materials: list[dict] | None = None) -> None:
    """Publish a bundle ``code`` with ``items`` over the restaurant file's departments."""
    data = json.loads(json.dumps(RESTAURANT_FILE))
    bundle = data["bundles"][0]
    bundle.update(code=code, items=items)
    if materials is not None:
        bundle["materials"] = materials
    services.catalogue.publish_file(data, ADMIN)


def listed_due(services, case_id) -> date | None:
    services.runner.catch_up()
    return services.queries.store.case_row(str(case_id))["due"]


def api_due(services, case_id) -> date | None:
    return services.cases.reads.case_due(services.cases.load(case_id))


class TestTheCaseListFollowsEveryDecision:
    def test_a_revoked_commitment_no_longer_counts_in_the_listed_due_date_nor_in_on_time(self, services):
        items = json.loads(json.dumps(RESTAURANT_FILE))["bundles"][0]["items"]
        items[1]["essential"] = False  # a revoked permit leaves the case open
        items[0]["outputs"][0]["issued_on_approval"] = False  # the licence is issued by a separate step
        publish(services, "restaurant-optional-permit", items)
        with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
            case_id = services.cases.intake.open_case(INTAKE, "restaurant-optional-permit", "泉城小馆", VALID_CODE,
                                               "window").id
            for key in ("id-card", "floor-plan"):
                services.cases.intake.submit_material(INTAKE, case_id, key, f"{key}.pdf", SHA)
            services.cases.review.accept_item(AMR, case_id, "business-licence")  # due Tue 3 March
            services.cases.review.accept_item(FOOD, case_id, "food-permit")  # due Mon 9 March
            services.cases.review.approve_item(AMR, case_id, "business-licence")
            services.cases.review.approve_on_commitment(FOOD, case_id, "food-permit", "本人承诺符合条件")
            # rejected: counts for nothing
            services.cases.review.revoke_commitment(FOOD, case_id, "food-permit", "核查不符")
            assert api_due(services, case_id) == date(2026, 3, 3)
            assert listed_due(services, case_id) == date(2026, 3, 3)
        with freeze_time("2026-03-05 09:00:00+08:00"):  # the licence issued two days late: the case completes
            services.cases.review.issue_certificates(AMR, case_id, "business-licence")
            services.runner.catch_up()
            row = services.queries.store.case_row(str(case_id))
        assert (row["status"], row["due"], row["on_time"]) == ("completed", date(2026, 3, 3), False)

    def test_approving_a_prerequisite_early_brings_the_listed_due_date_forward(self, services):
        publish(services, "two-prerequisites", [
            {"code": "a", "name": "A", "department": "amr", "time_limit_days": 3, "materials": [],
             "prerequisites": [], "outputs": [{"type": "a", "name": "A"}]},
            {"code": "b", "name": "B", "department": "psb", "time_limit_days": 2, "materials": [],
             "prerequisites": [], "outputs": [{"type": "b", "name": "B"}]},
            {"code": "c", "name": "C", "department": "amr-food", "time_limit_days": 5, "materials": [],
             "prerequisites": ["a", "b"], "outputs": [{"type": "c", "name": "C"}]},
        ])
        with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
            case_id = services.cases.intake.open_case(INTAKE, "two-prerequisites", "泉城小馆", VALID_CODE,
                                               "window").id
            services.cases.review.accept_item(AMR, case_id, "a")  # due Thu 5 March
            services.cases.review.accept_item(PSB, case_id, "b")  # due Wed 4 March
            assert listed_due(services, case_id) == api_due(services, case_id) == date(2026, 3, 12)
        with freeze_time("2026-03-03 09:00:00+08:00"):  # a approved early: c now waits only for b (4 March)
            services.cases.review.approve_item(AMR, case_id, "a")
            assert api_due(services, case_id) == date(2026, 3, 11)
            assert listed_due(services, case_id) == date(2026, 3, 11)
