"""The sample catalogue's rules, on cases: a class-A foreign expert's work permit approved at once, a small
warehouse's land-use roadmap and case without the items it does not need, a low-risk construction permit
approved by its rules as soon as its prerequisites are."""

from __future__ import annotations

from application.cases.intake import MaterialReceived
from application.demo.loader import TALENT_A, TALENT_B, demo_credit_code
from infrastructure.catalogue.files import sample_catalogue
from tests.conftest import ADMIN, INTAKE
from web.services import Services

SMALL_WAREHOUSE = {"project_type": "warehouse", "land_area_m2": 3000, "hazardous": False}
LARGE_HAZARDOUS = {"project_type": "manufacturing", "land_area_m2": 60000, "hazardous": True}


def publish(services: Services) -> None:
    for data in sample_catalogue().values():
        services.catalogue.publish_file(data, ADMIN)


def open_case(services: Services, bundle: str, answers: dict, serial: int = 1) -> str:
    definition, _ = services.catalogue.definition(bundle)
    materials = [MaterialReceived(m.key, f"{m.key}.pdf") for m in definition.materials]
    return str(services.cases.intake.open_case(INTAKE, bundle, "济南示例企业有限公司", demo_credit_code(serial),
                                               "window", materials=materials, answers=answers).id)


def test_the_land_use_roadmap_of_a_small_project_has_fewer_items_than_the_full_bundle(services: Services):
    publish(services)
    full = services.roadmaps.roadmap("industrial-land-use")
    small = services.roadmaps.roadmap("industrial-land-use", answers=SMALL_WAREHOUSE)
    large = services.roadmaps.roadmap("industrial-land-use", answers=LARGE_HAZARDOUS)
    assert len(full.items) == 53 and len(large.items) == 53
    left_out = {i.code for i in full.items} - {i.code for i in small.items}
    assert {"safety-conditions", "energy-review", "eia-approval", "pollutant-permit",
            "soil-water-conservation"} <= left_out
    assert all(p not in left_out for i in small.items for p in i.prerequisites)


def test_a_small_warehouse_case_leaves_out_the_items_it_does_not_need(services: Services):
    publish(services)
    case = services.cases.reads.get_case(INTAKE, open_case(services, "industrial-land-use", SMALL_WAREHOUSE))
    out = {code for code, item in case.items.items() if str(item.status) == "not_applicable"}
    assert "energy-review" in out and "fire-acceptance" in out and len(out) >= 8
    assert str(case.items["project-filing"].status) == "waiting"


def test_a_class_a_expert_is_approved_at_once_and_a_class_b_one_goes_to_people(services: Services):
    publish(services)
    a = services.cases.reads.get_case(INTAKE, open_case(services, "foreign-talent", TALENT_A, 1))
    b = services.cases.reads.get_case(INTAKE, open_case(services, "foreign-talent", TALENT_B, 2))
    assert str(a.items["work-permit"].status) == "approved" and a.items["work-permit"].certificates
    assert str(b.items["work-permit"].status) == "waiting" and b.items["work-permit"].findings


def test_a_low_risk_permit_is_approved_by_its_rules_when_its_prerequisites_are(services: Services):
    publish(services)
    case_id = open_case(services, "construction-permit-commitment", {"risk_level": "low", "floor_area_m2": 1800})
    assert str(services.cases.load(case_id).items["construction-permit"].status) == "waiting"
    for code in ("project-filing", "design-scheme-review", "works-planning-permit", "drawing-review"):
        case = services.cases.load(case_id)
        department = case.items[code].department
        services.users.add_user(ADMIN, f"r-{code}", "a-long-enough-passphrase-9", "reviewer", department) \
            if not services.users.exists(f"r-{code}") else None
        reviewer = services.users.user(f"r-{code}").as_actor()
        if str(case.items[code].status) == "waiting":
            services.cases.review.accept_item(reviewer, case_id, code)
        services.cases.review.approve_item(reviewer, case_id, code)
    case = services.cases.load(case_id)
    assert str(case.items["construction-permit"].status) == "approved" and str(case.status) == "completed"


def test_the_catalogue_carries_the_shipped_sample_decisions_unchanged():
    from infrastructure.catalogue.files import sample_rules

    rules = sample_rules()
    catalogue = sample_catalogue()
    items = {(b["code"], i["code"]): i.get("rules") for data in catalogue.values() for b in data["bundles"]
             for i in b["items"]}
    assert items[("foreign-talent", "work-permit")] == rules["foreign-talent-classification.json"]
    assert items[("construction-permit-commitment", "construction-permit")] == rules["construction-low-risk.json"]
    land = rules["land-use-applicability.json"]
    attached = {code: kind for kind, codes in land["attach_to"].items() for code in codes}
    assert {code for (bundle, code), r in items.items() if bundle == "industrial-land-use" and r} == set(attached)
    assert all(items[("industrial-land-use", code)] == land["decisions"][kind] for code, kind in attached.items())
