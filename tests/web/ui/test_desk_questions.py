"""The desk asks the bundle's questions, each by its type; the answers go with the opening, and a case the rules
allow completes at once (秒批); the case page shows what the rules found."""

from __future__ import annotations

import re

from tests.application.rules.test_instant_approval import instant_bundle
from tests.conftest import INTAKE, VALID_CODE

OPEN = "/desk/bundles/restaurant-opening/open"


def form(**fields: str) -> dict[str, str]:
    return {"applicant_name": "泉城小馆餐饮有限公司", "credit_code": VALID_CODE, "channel": "window",
            "received-id-card": "on", "filename-id-card": "身份证.pdf", "received-floor-plan": "on",
            "filename-floor-plan": "平面图.pdf", "reason": "", **fields}


def case_of(ui, response):
    assert response.status_code == 303, response.get_data(as_text=True)
    case_id = re.fullmatch(r"/desk/cases/([0-9a-f-]+)/receipt", response.headers["Location"]).group(1)
    return ui.services.cases.reads.get_case(INTAKE, case_id)


def test_the_desk_renders_each_question_by_its_type(ui):
    instant_bundle(ui.services)
    ui.login_as("intake")
    page = ui.client.get(OPEN).get_data(as_text=True)
    assert 'name="answer-seats"' in page and 'type="number"' in page
    assert '<select id="field-answer-wants_seal"' in page and "座位数" in page


def test_answers_that_allow_it_complete_the_case_at_the_desk(ui):
    instant_bundle(ui.services)
    ui.login_as("intake")
    case = case_of(ui, ui.post(OPEN, form(**{"answer-seats": "30", "answer-wants_seal": "no"}),
                               content_type="multipart/form-data"))
    assert case.answers == {"seats": 30, "wants_seal": False} and str(case.status) == "completed"


def test_a_wrong_answer_is_shown_by_its_field_and_nothing_is_recorded(ui):
    instant_bundle(ui.services)
    ui.login_as("intake")
    before = ui.services.runner.total_events()
    refused = ui.post(OPEN, form(**{"answer-seats": "many"}), content_type="multipart/form-data")
    assert refused.status_code == 422 and "请输入数字" in refused.get_data(as_text=True)
    missing = ui.post(OPEN, form(), content_type="multipart/form-data")
    assert missing.status_code == 422 and "请回答此问题" in missing.get_data(as_text=True)
    assert ui.services.runner.total_events() == before


def test_the_case_page_shows_what_the_rules_found(ui):
    instant_bundle(ui.services)
    ui.login_as("intake")
    case = case_of(ui, ui.post(OPEN, form(**{"answer-seats": "80"}), content_type="multipart/form-data"))
    page = ui.client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'class="findings"' in page and "座位超过50个" in page


def test_choices_and_answers_are_shown_in_words_and_the_credit_check_on_the_case_page(ui):
    from datetime import timedelta

    from application.catalogue.application import CreditEntry
    from tests.conftest import ADMIN
    from tests.application.rules.test_sample_rules import publish

    publish(ui.services)
    ui.login_as("intake")
    page = ui.client.get("/desk/bundles/industrial-land-use/open").get_data(as_text=True)
    assert '<option value="warehouse">仓储物流</option>' in page
    today = ui.services.clock.today()
    ui.services.catalogue.record_credit_entries(ADMIN, [CreditEntry(VALID_CODE, "serious-dishonesty",
                                                                    today, today + timedelta(days=30), "法院")])
    instant_bundle(ui.services)
    case = case_of(ui, ui.post(OPEN, form(**{"answer-seats": "30", "answer-wants_seal": "yes"}),
                               content_type="multipart/form-data"))
    assert str(case.status) == "open"  # listed: nothing approved automatically
    shown = ui.client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "座位数：30" in shown and "是否刻章：是" in shown and "列入：serious-dishonesty" in shown


def test_a_number_with_a_comma_or_a_compact_date_is_refused_at_the_desk(ui):
    instant_bundle(ui.services)
    ui.login_as("intake")
    assert ui.post(OPEN, form(**{"answer-seats": "1,5"}), content_type="multipart/form-data").status_code == 422


def test_the_desk_roadmap_of_a_small_warehouse_leaves_out_what_it_does_not_need(ui):
    from tests.application.rules.test_sample_rules import publish

    publish(ui.services)
    ui.login_as("intake")
    full = ui.client.get("/desk/bundles/industrial-land-use").get_data(as_text=True)
    small = ui.client.get("/desk/bundles/industrial-land-use?answer-project_type=warehouse"
                          "&answer-land_area_m2=3000&answer-hazardous=no")
    assert small.status_code == 200
    text = small.get_data(as_text=True)
    expected = len(ui.services.roadmaps.roadmap("industrial-land-use", answers={
        "project_type": "warehouse", "land_area_m2": 3000, "hazardous": False}).items)
    assert expected < 53 and f"本项目需要本事项包 53 项中的 {expected} 项" in text
    assert "本项目需要本事项包" not in full
