"""Every case event reads as one sentence in Chinese and in English."""

from __future__ import annotations

import inspect
from datetime import date

import pytest

from application.audit.event_text import FALLBACK, TEMPLATES, describe, describe_history, names_in, who
from application.cases.reads import _history_entry
from domain.case.aggregate import Case
from domain.shared.recorded import Recorded
from domain.shared.values import Actor, Role
from tests.application.helpers import open_restaurant, submit_all
from tests.conftest import AMR, FOOD, INTAKE, SUPERVISOR, weekdays
from tests.domain.case.cases import FOOD_PERMIT, LICENCE, MONDAY, completed, in_review, open_case, submit

SYSTEM = Actor("system:sla", Role.SUPERVISOR)
DEPARTMENTS = {"amr": "市场监管局", "amr-food": {"zh": "食品经营许可科", "en": "food licensing"}}
SAMPLES = {"date": date(2026, 3, 3), "str": "x", "int": 2, "bool": True, "list": [],
           "dict": {"name": "x"}}  # the one dict field is an applicant


def case_event_classes() -> list[type]:
    """Every event class of a case: the Recorded subclasses nested in Case that no other one extends."""
    classes = [c for _, c in inspect.getmembers(Case, inspect.isclass)
               if issubclass(c, Recorded) and c.__qualname__.startswith("Case.")]
    return [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]


def sample_data(cls: type) -> dict:
    """Data with every field the event class declares (beyond actor and reason), of its declared type."""
    fields = {}
    for base in reversed(cls.__mro__):
        if base.__qualname__.startswith("Case."):
            fields.update(base.__dict__.get("__annotations__", {}))
    return {name: SAMPLES[kind.split(" |")[0].split("[")[0]] for name, kind in fields.items()}


def history_of(case) -> list[dict]:
    return [_history_entry(e) for e in case.collect_events()]


class TestEveryEventHasItsSentence:
    def test_the_event_classes_are_found(self):
        names = {c.__name__ for c in case_event_classes()}
        assert {"Opened", "ItemAccepted", "Rated", "EscalationRaised"} <= names
        assert "ItemEvent" not in names  # a base class: its subclasses are the events

    @pytest.mark.parametrize("cls", case_event_classes(), ids=lambda c: c.__name__)
    def test_each_event_class_has_a_template_in_both_languages(self, cls):
        zh, en = TEMPLATES[cls.__name__]
        assert zh and en

    @pytest.mark.parametrize("cls", case_event_classes(), ids=lambda c: c.__name__)
    def test_each_template_reads_every_field_it_names_from_the_event(self, cls):
        text = describe(cls.__name__, {**sample_data(cls), "item": "food-permit"}, AMR)
        assert "?" not in text["zh"] and "?" not in text["en"]
        assert text["zh"].startswith("amr 审查员 li-amr ") and text["en"].startswith("Reviewer li-amr (amr) ")
        assert "{" not in text["zh"] + text["en"]

    def test_every_template_is_for_a_case_event(self):
        assert set(TEMPLATES) == {c.__name__ for c in case_event_classes()}


class TestSentences:
    def test_an_accepted_item_reads_with_names_department_and_due_date(self):
        data = {"item": LICENCE, "accepted_on": MONDAY, "due": date(2026, 3, 3), "due_provisional": False}
        text = describe("ItemAccepted", data, AMR, names={LICENCE: "营业执照"}, departments=DEPARTMENTS)
        assert text == {"zh": "市场监管局 审查员 li-amr 受理了事项「营业执照」，办理时限至 2026-03-03",
                        "en": "Reviewer li-amr (amr) accepted item business-licence; due 2026-03-03"}

    def test_without_maps_codes_stand_for_names_and_departments(self):
        data = {"item": LICENCE, "accepted_on": "2026-03-02", "due": "2026-03-03", "due_provisional": True}
        text = describe("ItemAccepted", data, AMR.to_dict())
        assert text["zh"] == "amr 审查员 li-amr 受理了事项「business-licence」，办理时限至 2026-03-03（暂定）"
        assert text["en"] == "Reviewer li-amr (amr) accepted item business-licence; due 2026-03-03 (provisional)"

    def test_a_department_map_may_name_a_department_in_both_languages(self):
        data = {"item": FOOD_PERMIT, "from_department": "amr-food", "to_department": "psb"}
        text = describe("ItemTransferred", data, SUPERVISOR, departments=DEPARTMENTS)
        assert text["zh"] == "督办人员 boss 将事项「food-permit」从 食品经营许可科 转办至 psb"
        assert text["en"] == "Supervisor boss transferred item food-permit from food licensing to psb"

    @pytest.mark.parametrize(("actor", "zh", "en"), [
        (INTAKE, "受理人员 window1", "intake officer window1"),
        (AMR, "amr 审查员 li-amr", "reviewer li-amr (amr)"),
        (SUPERVISOR, "督办人员 boss", "supervisor boss"),
        (SYSTEM, "系统", "the system"),
        ({"user_id": "system:petitions", "role": "admin"}, "系统", "the system"),
        ({"user_id": "someone", "role": "no-such-role"}, "someone", "someone"),
    ])
    def test_actors_are_named_by_their_role_words(self, actor, zh, en):
        assert (who(actor, "zh"), who(actor, "en")) == (zh, en)

    def test_an_unknown_event_type_still_reads(self):
        assert describe("Frobnicated", {"x": 1}, INTAKE) == {"zh": "受理人员 window1 记录了事件 Frobnicated",
                                                             "en": "Intake officer window1 recorded Frobnicated"}
        assert FALLBACK not in TEMPLATES.values()

    def test_deadline_events_of_the_system_read_as_the_system(self):
        case = in_review()
        case.collect_events()
        case.check_deadlines(date(2026, 3, 6), weekdays, raise_after=3, actor=SYSTEM)
        texts = {e["type"]: describe(e["type"], e["data"], e["actor"]) for e in history_of(case)}
        assert texts["DeadlineBreached"]["zh"] == "系统 标记事项「business-licence」已超期（办理时限为 2026-03-03）"
        assert texts["DeadlineWarned"]["en"] == ("The system warned that item food-permit has used 4 of 5 working "
                                                 "days; due 2026-03-09")
        assert texts["EscalationOpened"]["zh"] == "系统 对办件启动了第 1 号督办（1 级）"

    def test_an_inspection_and_a_rating_read_their_values(self):
        assert describe("InspectionRecorded", {"item": FOOD_PERMIT, "method": "onsite", "passed": False}, FOOD)["zh"] \
            == "amr-food 审查员 zhang-food 对事项「food-permit」进行了现场勘验：未通过"
        rated = describe("Rated", {"score": 5, "comment": "很快"}, INTAKE)
        assert rated == {"zh": "受理人员 window1 评价了服务：5 分，评语「很快」",
                         "en": "Intake officer window1 rated the service 5 of 5: “很快”"}


class TestHistory:
    def test_a_whole_history_names_items_and_materials_as_the_case_was_opened(self):
        texts = describe_history(history_of(completed()), departments=DEPARTMENTS)
        assert texts[0]["zh"].startswith("受理人员 window1 开办了办件 N-1（一件事「restaurant-opening」第 1 版")
        assert texts[0]["zh"].endswith("含 2 个事项：营业执照、食品经营许可")
        assert texts[0]["en"].endswith("with 2 items: business-licence, food-permit")
        assert texts[1]["zh"] == "受理人员 window1 提交了材料「身份证明」第 1 版" \
                                 "（id-card.pdf，纸质留存，SHA-256 abababababab…）"
        assert texts[1]["en"] == "Intake officer window1 submitted version 1 of material id-card " \
                                 "(id-card.pdf, paper on file, SHA-256 abababababab…)"
        assert texts[5]["en"] == "Reviewer li-amr (amr) approved item business-licence"
        assert texts[6]["en"] == "Reviewer li-amr (amr) issued certificate N-1-01-1 (business-licence) " \
                                 "for item business-licence"
        assert texts[-2]["en"] == "Reviewer zhang-food (food licensing) issued certificate N-1-02-1 (food-permit) " \
                                  "for item food-permit"  # on its approval, which completes the case
        assert texts[-1]["zh"] == "食品经营许可科 审查员 zhang-food 办结了办件，全部证照同时发放"

    def test_names_come_from_the_opened_event(self):
        opened = history_of(open_case())[0]["data"]
        assert names_in(opened) == {LICENCE: "营业执照", FOOD_PERMIT: "食品经营许可",
                                    "id-card": "身份证明", "floor-plan": "经营场所平面图"}

    def test_supplements_deficiencies_and_supervision_read_well(self):
        case = open_case()
        submit(case, "id-card")
        case.accept_with_deficiency(["floor-plan"], date(2026, 3, 9), MONDAY, INTAKE)
        case.accept_item(LICENCE, MONDAY, weekdays, AMR)
        case.request_supplement(LICENCE, ["id-card"], MONDAY, AMR, "复印件不清晰")
        case.escalate(2, SUPERVISOR, "久拖不办", MONDAY)
        texts = [t["zh"] for t in describe_history(history_of(case))]
        assert texts[2] == "受理人员 window1 容缺受理了办件，缺少材料：经营场所平面图，须于 2026-03-09 前补齐"
        assert texts[4] == "amr 审查员 li-amr 要求补正事项「营业执照」的材料：身份证明，自 2026-03-02 起暂停计时"
        assert texts[5] == "督办人员 boss 对办件启动了第 1 号督办（2 级）"
        assert not any("复印件不清晰" in t or "久拖不办" in t for t in texts)  # reasons are shown beside

    def test_the_history_of_the_application_reads_in_both_languages(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        services.cases.review.reject_item(AMR, case_id, LICENCE, "经营范围不符")
        texts = describe_history(services.cases.reads.history(INTAKE, case_id))
        assert [t["en"] for t in texts[-2:]] == ["Reviewer li-amr (amr) rejected item business-licence",
                                                 "Reviewer li-amr (amr) rejected the case"]
        assert [t["zh"] for t in texts[-2:]] == ["amr 审查员 li-amr 驳回了事项「营业执照」",
                                                 "amr 审查员 li-amr 驳回了办件"]
        assert not any("经营范围不符" in t["zh"] + t["en"] for t in texts)
