"""ZenRules: decisions checked (refused node types, broken expressions, malformed files) and evaluated."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest

from application.rules.engine import Evaluation, RuleEvaluationError, RulesEngine
from infrastructure.catalogue.files import sample_rules
from infrastructure.rules import ZenRules

SAMPLES = sample_rules()
POINTS = SAMPLES["foreign-talent-classification.json"]
LOW_RISK = SAMPLES["construction-low-risk.json"]
LAND_USE = SAMPLES["land-use-applicability.json"]


@pytest.fixture(scope="module")
def rules() -> ZenRules:
    return ZenRules()


def simple(node: dict[str, Any] | None = None) -> dict[str, Any]:
    """Request -> one node -> Response; by default a table giving y from x."""
    middle = node or {"id": "t", "name": "Table", "type": "decisionTableNode", "content": {
        "hitPolicy": "first", "inputs": [{"id": "c", "name": "x", "field": "x"}],
        "outputs": [{"id": "o", "name": "y", "field": "y"}],
        "rules": [{"_id": "big", "c": "> 10", "o": "'big'"}, {"_id": "small", "c": "", "o": "'small'"}]}}
    return {"nodes": [{"id": "in", "name": "Request", "type": "inputNode"}, middle,
                      {"id": "out", "name": "Response", "type": "outputNode"}],
            "edges": [{"id": "e1", "sourceId": "in", "targetId": middle["id"]},
                      {"id": "e2", "sourceId": middle["id"], "targetId": "out"}]}


def talent(**answers: Any) -> dict[str, Any]:
    return {"answers": answers, "applicant": {}, "materials_complete": True, "credit": {"listed": False, "lists": []}}


def test_zen_rules_is_a_rules_engine(rules):
    engine: RulesEngine = rules
    assert engine.problems(simple()) == []
    assert engine.evaluate(simple(), {"x": 11}) == Evaluation({"y": "big"}, ["big"])


def test_every_sample_decision_is_accepted(rules):
    assert rules.problems(POINTS) == []
    assert rules.problems(LOW_RISK) == []
    for kind, decision in LAND_USE["decisions"].items():
        assert rules.problems(decision) == [], kind


# The points table (积分要素计分赋值表): A is 85 or more, B 60-84, C below 60.
TOP = dict(salary_cny=450_000, degree="doctor", experience_years=12, age=30, work_months_per_year=9, hsk_level=0)
MIDDLE = dict(salary_cny=250_000, degree="bachelor", experience_years=2, age=30, work_months_per_year=9, hsk_level=1)


@pytest.mark.parametrize(("answers", "points", "klass"), [
    (TOP, 85, "A"),                                 # 20 + 20 + (5 + 10) + 15 + 15 + 0
    ({**TOP, "experience_years": 11}, 84, "B"),     # one year less: one point less
    (MIDDLE, 60, "B"),                              # 14 + 10 + 5 + 15 + 15 + 1
    ({**MIDDLE, "hsk_level": 0}, 59, "C"),
])
def test_points_table_classes_at_its_boundaries(rules, answers, points, klass):
    outputs = rules.evaluate(POINTS, talent(**answers)).outputs
    assert (outputs["points"], outputs["class"]) == (points, klass)
    assert outputs["auto_approve"] is (klass == "A")
    assert f"{points} 分" in outputs["findings"][0] and f"（{klass}类" in outputs["findings"][1]


@pytest.mark.parametrize(("field", "value", "points"), [
    ("salary_cny", 449_999, 17), ("salary_cny", 350_000, 17), ("salary_cny", 49_999, 0),
    ("degree", "master", 15), ("degree", "none", 0),
    ("experience_years", 1.9, 0), ("experience_years", 2, 5), ("experience_years", 17, 20),
    ("experience_years", 40, 20),
    ("age", 25, 10), ("age", 26, 15), ("age", 45, 15), ("age", 46, 10), ("age", 60, 5), ("age", 61, 0),
    ("hsk_level", 6, 5), ("hsk_level", 4, 4),
    ("work_months_per_year", 8, 10), ("work_months_per_year", 2, 0),
])
def test_each_factor_follows_the_table(rules, field, value, points):
    key = {"salary_cny": "salary", "degree": "degree", "experience_years": "experience", "age": "age",
           "hsk_level": "chinese", "work_months_per_year": "work_months"}[field]
    assert rules.evaluate(POINTS, talent(**{**TOP, field: value})).outputs["factors"][key] == points


def test_matched_rule_ids_are_reported_in_order(rules):
    evaluation = rules.evaluate(POINTS, talent(**TOP))
    assert evaluation.matched == ["salary-450k", "degree-doctor", "experience-2", "months-9", "age-26", "hsk-0"]
    assert rules.evaluate(simple(), {"x": 1}).matched == ["small"]


def test_collect_tables_report_every_matching_rule(rules):
    decision = simple()
    decision["nodes"][1]["content"]["hitPolicy"] = "collect"
    with pytest.raises(RuleEvaluationError, match="not an object"):
        rules.evaluate(decision, {"x": 11})  # a bare list is no output object
    decision["nodes"][1]["content"]["outputPath"] = "hits"
    evaluation = rules.evaluate(decision, {"x": 11})
    assert evaluation.outputs == {"hits": [{"y": "big"}, {"y": "small"}]}
    assert evaluation.matched == ["big", "small"]


LOW = {"answers": {"risk_level": "low", "floor_area_m2": 2000}, "applicant": {}, "materials_complete": True,
       "credit": {"listed": False, "lists": []}}


def test_low_risk_construction_is_approved_only_when_every_condition_holds(rules):
    outputs = rules.evaluate(LOW_RISK, LOW).outputs
    assert outputs["applies"] is True and outputs["auto_approve"] is True
    failing = {
        "credit": {**LOW, "credit": {"listed": True, "lists": ["serious-dishonesty"]}},
        "risk": {**LOW, "answers": {"risk_level": "medium", "floor_area_m2": 500}},
        "area": {**LOW, "answers": {"risk_level": "low", "floor_area_m2": 2000.5}},
        "materials": {**LOW, "materials_complete": False},
        "nothing": {},
    }
    for why, inputs in failing.items():
        outputs = rules.evaluate(LOW_RISK, inputs).outputs
        assert outputs["auto_approve"] is False, why
        assert outputs["findings"], why
    area = rules.evaluate(LOW_RISK, failing["area"])
    assert area.outputs["findings"] == ["建筑面积超过2000平方米，需人工审查 / over 2,000 m²: reviewed by a person"]
    assert "area-large" in area.matched
    assert "credit-listed" in rules.evaluate(LOW_RISK, failing["credit"]).matched


@pytest.mark.parametrize(("kind", "answers", "applies"), [
    ("hazardous-only", {"project_type": "manufacturing", "land_area_m2": 30_000, "hazardous": True}, True),
    ("hazardous-only", {"project_type": "manufacturing", "land_area_m2": 30_000, "hazardous": False}, False),
    ("soil-water", {"project_type": "warehouse", "land_area_m2": 4_999, "hazardous": False}, False),
    ("soil-water", {"project_type": "warehouse", "land_area_m2": 5_000, "hazardous": False}, True),
    ("energy", {"project_type": "manufacturing", "land_area_m2": 20_000, "hazardous": False}, True),
    ("energy", {"project_type": "research", "land_area_m2": 50_000, "hazardous": False}, False),
    ("environment", {"project_type": "warehouse", "land_area_m2": 10_000, "hazardous": False}, False),
    ("environment", {"project_type": "warehouse", "land_area_m2": 10_000, "hazardous": True}, True),
    ("pollutant", {"project_type": "research", "land_area_m2": 10_000, "hazardous": False}, False),
])
def test_land_use_applicability(rules, kind, answers, applies):
    outputs = rules.evaluate(LAND_USE["decisions"][kind], {"answers": answers}).outputs
    assert outputs["applies"] is applies and len(outputs["findings"]) == 1


def test_land_use_template_attaches_to_real_items():
    from infrastructure.catalogue.files import sample_catalogue
    bundle = next(b for b in sample_catalogue()["industrial-land-use.json"]["bundles"]
                  if b["code"] == "industrial-land-use")
    codes = {item["code"] for item in bundle["items"]}
    attached = [code for codes_ in LAND_USE["attach_to"].values() for code in codes_]
    assert set(LAND_USE["attach_to"]) == set(LAND_USE["decisions"])
    assert set(attached) <= codes and len(attached) == len(set(attached))


@pytest.mark.parametrize("node_type", ["functionNode", "customNode", "decisionNode", "weirdNode"])
def test_code_custom_and_unknown_nodes_are_refused_naming_the_node(rules, node_type):
    decision = simple({"id": "n-7", "name": "Sneaky", "type": node_type,
                       "content": {"source": "export const handler = async () => ({ pwned: true })"}})
    problems = rules.problems(decision)
    assert len(problems) == 1
    assert "'n-7'" in problems[0] and "'Sneaky'" in problems[0] and node_type in problems[0]
    with pytest.raises(RuleEvaluationError, match="n-7"):
        rules.evaluate(decision, {})  # never run, even if the caller skipped problems()


def test_a_code_node_among_good_ones_is_still_refused(rules):
    decision = copy.deepcopy(POINTS)
    decision["nodes"].append({"id": "js", "name": "Extra", "type": "functionNode", "content": {"source": "x"}})
    assert [p for p in rules.problems(decision) if "'js'" in p and "functionNode" in p]


@pytest.mark.parametrize("decision", [
    None, 42, "text", [], {}, {"nodes": "many", "edges": []}, {"nodes": [], "edges": "x"}, {"nodes": [1, "a", None]},
    {"nodes": [{"type": ["list"]}], "edges": []}, {"nodes": [{"id": {"x": 1}, "type": "inputNode"}], "edges": [{}]},
    {"nodes": [{"id": "in", "type": "inputNode"}, {"id": "t", "type": "decisionTableNode", "content": None},
               {"id": "out", "type": "outputNode"}], "edges": []},
    {"nodes": [{"id": "in", "type": "inputNode"}, {"id": "t", "type": "decisionTableNode",
                                                    "content": {"hitPolicy": "first", "inputs": [1], "outputs": {},
                                                                "rules": [None, {"_id": 3}]}},
               {"id": "out", "type": "outputNode"}], "edges": []},
    {"nodes": [{"id": "in", "type": "inputNode"},
               {"id": "e", "type": "expressionNode", "content": {"expressions": [5]}},
               {"id": "s", "type": "switchNode", "content": {"statements": "no"}}, {"id": "out", "type": "outputNode"}],
     "edges": []},
    {"nodes": [{"id": "in", "type": "inputNode"}, {"id": "out", "type": "outputNode", "name": object()}], "edges": []},
])
def test_malformed_decisions_give_problems_never_exceptions(rules, decision):
    problems = rules.problems(decision)
    assert problems and all(isinstance(p, str) and p for p in problems)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["nodes"].pop(0), "no inputNode"),
    (lambda d: d["nodes"].pop(), "no outputNode"),
    (lambda d: d["nodes"][1]["content"]["rules"][0].update(c=">> 10"), "'t' ('Table'): rule 'big', column 'c'"),
    (lambda d: d["nodes"][1]["content"]["rules"][0].update(o="'big' +"), "'t' ('Table'): rule 'big', column 'o'"),
    (lambda d: d["nodes"][1]["content"]["rules"][1].pop("_id"), "rule #1 has no _id"),
    (lambda d: d["nodes"][1]["content"].update(hitPolicy="unique"), "hitPolicy"),
    (lambda d: d["edges"].append({"id": "loop", "sourceId": "t", "targetId": "t"}), "cyclicGraph"),
    (lambda d: d["edges"].append({"id": "lost", "sourceId": "t", "targetId": "nowhere"}), "missingNode"),
])
def test_broken_decisions_are_refused_with_a_reason(rules, change, expected):
    decision = simple()
    change(decision)
    problems = rules.problems(decision)
    assert any(expected in p for p in problems), problems


def test_broken_expression_node_and_switch_are_named(rules):
    expression = simple({"id": "x", "name": "Sum", "type": "expressionNode",
                         "content": {"expressions": [{"id": "1", "key": "total", "value": "a + * b"}]}})
    assert any("'x' ('Sum'): expression 'total'" in p for p in rules.problems(expression))
    switch = simple({"id": "s", "name": "Route", "type": "switchNode",
                     "content": {"hitPolicy": "first", "statements": [{"id": "s1", "condition": "x >"}]}})
    assert any("'s' ('Route'): statement 's1'" in p for p in rules.problems(switch))


def test_an_input_the_decision_cannot_use_raises_rule_evaluation_error(rules):
    decision = simple({"id": "x", "name": "Compare", "type": "expressionNode",
                       "content": {"expressions": [{"id": "1", "key": "more", "value": "x > 3"}]}})
    assert rules.evaluate(decision, {"x": 4}).outputs == {"more": True}
    with pytest.raises(RuleEvaluationError, match="NodeError"):
        rules.evaluate(decision, {"x": None})


def test_the_cache_returns_the_same_results_and_is_bounded():
    rules = ZenRules(cache_size=2)
    first = rules.evaluate(POINTS, talent(**TOP))
    assert rules.cached() == 1
    assert rules.evaluate(copy.deepcopy(POINTS), talent(**TOP)) == first  # same digest: same compiled decision
    assert rules.compiled(POINTS) is rules.compiled(copy.deepcopy(POINTS))
    assert rules.cached() == 1
    rules.evaluate(LOW_RISK, LOW)
    rules.evaluate(simple(), {"x": 1})
    assert rules.cached() == 2  # the least recently used (POINTS) went
    assert rules.evaluate(POINTS, talent(**TOP)) == first


def test_evaluations_from_many_threads_agree():
    rules = ZenRules(cache_size=4)
    expected = {n: rules.evaluate(POINTS, talent(**{**TOP, "experience_years": n})) for n in range(0, 20)}
    rules = ZenRules(cache_size=4)
    failures: list[str] = []

    def work() -> None:
        for n in range(0, 20):
            if rules.evaluate(POINTS, talent(**{**TOP, "experience_years": n})) != expected[n]:
                failures.append(str(n))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and rules.cached() == 1
