"""Helpers for application tests: open a case and walk it forward."""

from __future__ import annotations

from typing import Any

from tests.conftest import ADMIN, AMR, FOOD, INTAKE, VALID_CODE, restaurant_file
from web.services import Services

SHA = "ab" * 32


def open_restaurant(services: Services, **kwargs: Any) -> Any:
    """Open a restaurant case at the window and return its id."""
    saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆餐饮有限公司",
                                     VALID_CODE, "window", **kwargs)
    return saved.id


def submit_all(services: Services, case_id: Any) -> None:
    """Submit every material of the restaurant bundle."""
    for key in ("id-card", "floor-plan"):
        services.cases.intake.submit_material(INTAKE, case_id, key, f"{key}.pdf", SHA)


def event_count(services: Services, case_id: Any) -> int:
    """How many events the case has in the store."""
    return len(services.cases.recorder.select_events(case_id))


def complete_restaurant(services: Services, case_id: Any) -> None:
    """Walk an opened restaurant case to completion."""
    submit_all(services, case_id)
    cases = services.cases
    cases.review.accept_item(AMR, case_id, "business-licence")
    cases.review.approve_item(AMR, case_id, "business-licence")  # issues its certificate, held
    cases.review.accept_item(FOOD, case_id, "food-permit")
    cases.review.record_inspection(FOOD, case_id, "food-permit", "video", True)
    cases.review.approve_item(FOOD, case_id, "food-permit")  # issues its certificate: the case completes


def issued_later_file(*codes: str) -> dict:
    """The restaurant bundle file with the outputs of the items ``codes`` marked ``issued_on_approval: false``
    (issued by the separate issue step, not on approval)."""
    data = restaurant_file()
    for item in data["bundles"][0]["items"]:
        if item["code"] in codes:
            for output in item["outputs"]:
                output["issued_on_approval"] = False
    return data


def publish_issued_later(services: Services, *codes: str) -> None:
    """Publish the next version of the restaurant bundle, whose items ``codes`` issue after approval."""
    services.catalogue.publish_file(issued_later_file(*codes), ADMIN)
