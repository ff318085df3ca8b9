"""Rules and instant approval (秒批): answers checked against the questions, every evaluation recorded once, what
the rules allow approved by system:rules in the same request, never for a credit-listed enterprise; items the
rules leave out hold nothing up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.catalogue.application import CreditEntry
from application.common.errors import InvalidInput
from domain.case.aggregate import Case
from domain.shared.errors import InvalidBundle, InvalidValue
from tests.conftest import ADMIN, INTAKE, VALID_CODE, restaurant_file
from web.services import Services

DECIDE = {"nodes": [
    {"id": "in", "type": "inputNode", "name": "facts"},
    {"id": "ex", "type": "expressionNode", "name": "decide", "content": {"expressions": [
        {"id": "e1", "key": "auto_approve", "value": "answers.seats <= 50 and materials_complete and not credit.listed"},
        {"id": "e2", "key": "findings",
         "value": "answers.seats > 50 ? ['座位超过50个，需人工审查 / over 50 seats: a person reviews'] : []"}]}},
    {"id": "out", "type": "outputNode", "name": "result"}],
    "edges": [{"id": "a", "sourceId": "in", "targetId": "ex"}, {"id": "b", "sourceId": "ex", "targetId": "out"}]}
SEAL_APPLIES = {"nodes": [
    {"id": "in", "type": "inputNode", "name": "facts"},
    {"id": "ex", "type": "expressionNode", "name": "applies", "content": {"expressions": [
        {"id": "e1", "key": "applies", "value": "answers.wants_seal"}]}},
    {"id": "out", "type": "outputNode", "name": "result"}],
    "edges": [{"id": "a", "sourceId": "in", "targetId": "ex"}, {"id": "b", "sourceId": "ex", "targetId": "out"}]}


def instant_bundle(services: Services, seal: bool = False) -> None:
    """The restaurant bundle with questions, both items decided by rules and allowed on commitment (and
    optionally a seal item its rules may leave out)."""
    data = restaurant_file()
    bundle = data["bundles"][0]
    bundle["questions"] = [{"key": "seats", "label": "座位数", "label_en": "Seats", "type": "number"},
                           {"key": "wants_seal", "label": "是否刻章", "type": "boolean", "required": False}]
    for item in bundle["items"]:
        item["commitment_allowed"], item["rules"] = True, DECIDE
        item.pop("inspection", None)
    if seal:
        bundle["items"].append({"code": "seal", "name": "公章刻制", "department": "psb", "time_limit_days": 1,
                                "materials": [], "prerequisites": ["business-licence"], "essential": False,
                                "outputs": [{"type": "seal-filing", "name": "印章备案"}], "rules": SEAL_APPLIES})
    services.catalogue.publish_file(data, ADMIN)


def open_with(services: Services, answers: dict, materials: bool = True) -> str:
    from application.cases.intake import MaterialReceived

    received = [MaterialReceived(key, f"{key}.pdf") for key in ("id-card", "floor-plan")] if materials else []
    saved = services.cases.intake.open_case(INTAKE, "restaurant-opening", "泉城小馆餐饮有限公司", VALID_CODE,
                                            "window", materials=received, answers=answers)
    return str(saved.id)


def events(services: Services, case_id: str) -> list:
    return list(services.cases.repository.event_store.get(case_id))


def test_a_case_its_rules_allow_completes_in_the_opening_request_with_a_genuine_licence(services: Services):
    instant_bundle(services)
    case_id = open_with(services, {"seats": 30})
    case = services.cases.reads.get_case(INTAKE, case_id)
    assert str(case.status) == "completed"
    assert {code: str(item.status) for code, item in case.items.items()} == {
        "business-licence": "approved", "food-permit": "approved"}
    approvals = [e for e in events(services, case_id) if isinstance(e, Case.ItemApprovedOnCommitment)]
    assert [(e.item, e.actor.user_id) for e in approvals] == [("business-licence", "system:rules"),
                                                              ("food-permit", "system:rules")]
    services.runner.catch_up()
    number = case.items["business-licence"].certificates[0].number
    assert services.licences.public_check(number)["genuine"] is True


def test_a_credit_listed_enterprise_is_never_approved_automatically(services: Services):
    instant_bundle(services)
    today = services.clock.today()
    services.catalogue.record_credit_entries(ADMIN, [CreditEntry(VALID_CODE, "serious-dishonesty",
                                                                 today - timedelta(days=1), today, "法院")])
    case_id = open_with(services, {"seats": 30})
    case = services.cases.reads.get_case(INTAKE, case_id)
    assert {str(item.status) for item in case.items.values()} == {"waiting"}
    evaluated = [e for e in events(services, case_id) if isinstance(e, Case.RulesEvaluated)]
    assert evaluated and all(e.inputs["credit"] == {"listed": True, "lists": ["serious-dishonesty"]}
                             for e in evaluated)


def test_an_entry_of_the_past_does_not_fail_the_credit_check(services: Services):
    instant_bundle(services)
    today = services.clock.today()
    services.catalogue.record_credit_entries(ADMIN, [CreditEntry(VALID_CODE, "serious-dishonesty",
                                                                 today - timedelta(days=30),
                                                                 today - timedelta(days=1), "法院")])
    assert str(services.cases.reads.get_case(INTAKE, open_with(services, {"seats": 30})).status) == "completed"


def test_what_the_rules_do_not_allow_goes_to_people_with_the_findings(services: Services):
    instant_bundle(services)
    case = services.cases.reads.get_case(INTAKE, open_with(services, {"seats": 80}))
    assert str(case.status) == "open"
    assert case.items["food-permit"].findings == ("座位超过50个，需人工审查 / over 50 seats: a person reviews",)


def test_every_evaluation_is_recorded_once_with_its_rule_set_and_replays_never_evaluate(services: Services):
    instant_bundle(services)
    case_id = open_with(services, {"seats": 80}, materials=False)
    first = [e for e in events(services, case_id) if isinstance(e, Case.RulesEvaluated)]
    assert sorted(e.item for e in first) == ["business-licence", "food-permit"]
    assert all(len(e.rule_set) == 64 and e.bundle_version == 2 and e.actor.user_id == "system:rules" for e in first)
    services.cases.intake.submit_material(INTAKE, case_id, "id-card", "id.pdf", "ab" * 32)
    after = [e for e in events(services, case_id) if isinstance(e, Case.RulesEvaluated)]
    assert len(after) == len(first) + 1  # the business licence's materials are complete now; the permit's not
    services.cases.intake.withdraw(INTAKE, case_id, "the applicant withdrew")
    services.cases.rules.engine = None  # type: ignore[assignment]  # a replay must not need the engine
    assert services.cases.load(case_id).version == events(services, case_id)[-1].originator_version


def test_an_item_the_rules_leave_out_is_not_applicable_and_the_case_completes_without_it(services: Services):
    instant_bundle(services, seal=True)
    case = services.cases.reads.get_case(INTAKE, open_with(services, {"seats": 30, "wants_seal": False}))
    assert str(case.items["seal"].status) == "not_applicable" and str(case.status) == "completed"


@pytest.mark.parametrize("answers, field", [({}, "answers.seats"), ({"seats": "30"}, "answers.seats"),
                                            ({"seats": 30, "colour": "red"}, "answers.colour"),
                                            ({"seats": True}, "answers.seats")])
def test_answers_are_checked_against_the_questions_and_nothing_is_recorded(services: Services, answers, field):
    instant_bundle(services)
    before = services.runner.total_events()
    with pytest.raises(InvalidValue) as refused:
        open_with(services, answers)
    assert refused.value.field == field and services.runner.total_events() == before


def test_a_decision_with_a_code_node_is_refused_at_load_naming_bundle_item_and_node(services: Services):
    data = restaurant_file()
    data["bundles"][0]["items"][0]["rules"] = {
        "nodes": [{"id": "in", "type": "inputNode", "name": "in"},
                  {"id": "fn", "type": "functionNode", "name": "run code", "content": {"source": "export default () => 1"}},
                  {"id": "out", "type": "outputNode", "name": "out"}],
        "edges": [{"id": "a", "sourceId": "in", "targetId": "fn"}, {"id": "b", "sourceId": "fn", "targetId": "out"}]}
    before = services.catalogue.definition("restaurant-opening")[1]
    with pytest.raises((InvalidBundle, InvalidInput)) as refused:
        services.catalogue.publish_file(data, ADMIN)
    message = str(refused.value)
    assert "restaurant-opening" in message and "items[business-licence].rules" in message and "'fn'" in message
    assert services.catalogue.definition("restaurant-opening")[1] == before


NOTHING_APPLIES = {"nodes": [
    {"id": "in", "type": "inputNode", "name": "facts"},
    {"id": "ex", "type": "expressionNode", "name": "applies", "content": {"expressions": [
        {"id": "e1", "key": "applies", "value": "answers.seats > 0"}]}},
    {"id": "out", "type": "outputNode", "name": "result"}],
    "edges": [{"id": "a", "sourceId": "in", "targetId": "ex"}, {"id": "b", "sourceId": "ex", "targetId": "out"}]}


def test_a_case_that_needs_no_item_is_completed_not_rejected_and_its_roadmap_is_empty(services: Services):
    data = restaurant_file()
    data["bundles"][0]["questions"] = [{"key": "seats", "label": "座位数", "type": "number"}]
    for item in data["bundles"][0]["items"]:
        item["rules"] = NOTHING_APPLIES
    services.catalogue.publish_file(data, ADMIN)
    case = services.cases.reads.get_case(INTAKE, open_with(services, {"seats": 0}))
    assert str(case.status) == "completed"
    assert {str(i.status) for i in case.items.values()} == {"not_applicable"}
    roadmap = services.roadmaps.roadmap("restaurant-opening", answers={"seats": 0})
    assert roadmap.items == () and roadmap.critical_path == ()


@pytest.mark.parametrize("value", [10**30, 2**53 + 1, -(2**54), "2024-W01-1", "20240101"])
def test_answers_a_decision_cannot_take_are_refused(services: Services, value):
    data = restaurant_file()
    data["bundles"][0]["questions"] = [{"key": "seats", "label": "座位数", "type": "number", "required": False},
                                       {"key": "day", "label": "开业日期", "type": "date", "required": False}]
    services.catalogue.publish_file(data, ADMIN)
    key = "day" if isinstance(value, str) else "seats"
    with pytest.raises(InvalidValue):
        open_with(services, {key: value})


def test_the_applicant_sees_what_the_rules_found_in_the_progress_lookup(services: Services):
    instant_bundle(services)
    case = services.cases.reads.get_case(INTAKE, open_with(services, {"seats": 80}))
    services.runner.catch_up()
    progress = services.queries.case_progress(case.number, VALID_CODE)
    assert progress is not None
    assert ["座位超过50个，需人工审查 / over 50 seats: a person reviews"] in [i["findings"] for i in progress["items"]]


def test_a_bad_credit_code_is_named_by_its_entry_and_nothing_is_recorded(services: Services):
    today = services.clock.today()
    good = CreditEntry(VALID_CODE, "serious-dishonesty", today, today)
    with pytest.raises(InvalidInput) as refused:
        services.catalogue.record_credit_entries(ADMIN, [good, CreditEntry("91110000600037341X", "x", today, today)])
    assert "entries.1.credit_code" in refused.value.fields
    assert services.catalogue.credit_of(VALID_CODE, today)["listed"] is False
