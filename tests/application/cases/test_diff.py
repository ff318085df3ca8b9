"""What changed in a case between two of its states, as data and as lines in Chinese and English."""

from __future__ import annotations

import json
from datetime import date
from functools import reduce

import pytest
from freezegun import freeze_time

from application.cases.diff import ITEM_FIELDS, diff_cases, summarize_diff
from application.common.errors import CaseNotFound, InvalidInput, NotAllowed
from domain.case.aggregate import Case
from domain.shared.values import Actor, Role
from tests.application.helpers import complete_restaurant, open_restaurant, submit_all
from tests.conftest import AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR
from tests.domain.case.cases import (
    FOOD_PERMIT,
    LICENCE,
    MONDAY,
    completed,
    in_review,
    licence_issued,
    open_case,
    submit,
)

POLICE = Actor("wang-psb", Role.REVIEWER, "psb")  # a reviewer whose department has no item in the case
NO_CHANGE = {"status": None, "owner": None, "items": [], "materials": {"added": [], "changed": [], "removed": []},
             "deficiencies": {"added": [], "changed": [], "removed": []}, "escalations": [], "rating": None}


def versions(case: Case) -> dict[int, Case]:
    """The case as it stood at each of its versions, replayed from its pending events."""
    events = list(case.pending_events)
    return {n: reduce(lambda c, e: e.mutate(c), events[:n], None) for n in range(1, len(events) + 1)}


class TestDiffCases:
    def test_accepting_an_item_puts_it_in_review_with_its_clock_and_due_date(self):
        states = versions(in_review())  # 1 opened, 2–3 materials, 4 licence accepted, 5 food permit accepted
        diff = diff_cases(states[3], states[4])
        assert (diff["from_version"], diff["to_version"]) == (3, 4)
        assert diff["items"] == [{"code": LICENCE, "changes": {
            "status": {"from": "waiting", "to": "in_review"},
            "accepted_on": {"from": None, "to": "2026-03-02"},
            "clock_start": {"from": None, "to": "2026-03-02"},
            "due": {"from": None, "to": "2026-03-03"},
        }}]
        assert {**diff, "items": []} == {**NO_CHANGE, "from_version": 3, "to_version": 4}

    def test_the_summary_reads_each_change_in_both_languages(self):
        states = versions(in_review())
        summary = summarize_diff(diff_cases(states[3], states[5]))
        assert "事项「food-permit」状态：待受理 → 审查中" in summary["zh"]
        assert "item food-permit status: waiting → in review" in summary["en"]
        assert "事项「business-licence」办理时限：无 → 2026-03-03" in summary["zh"]
        assert "item food-permit due: none → 2026-03-09" in summary["en"]
        assert len(summary["zh"]) == len(summary["en"]) == 8

    def test_two_equal_states_differ_in_nothing(self):
        case = in_review()
        diff = diff_cases(case, case)
        assert diff == {**NO_CHANGE, "from_version": 5, "to_version": 5}
        assert summarize_diff(diff) == {"zh": [], "en": []}

    def test_submitted_materials_are_added_with_their_file(self):
        states = versions(in_review())
        materials = diff_cases(states[1], states[3])["materials"]
        assert [(m["key"], m["filename"], m["by"]) for m in materials["added"]] == [
            ("id-card", "id-card.pdf", "window1"), ("floor-plan", "floor-plan.pdf", "window1")]
        assert materials["changed"] == materials["removed"] == []
        assert "材料「id-card」已提交（id-card.pdf）" in summarize_diff(diff_cases(states[1], states[3]))["zh"]

    def test_a_deficiency_appears_and_goes_when_the_material_comes(self):
        case = open_case()
        submit(case, "id-card")
        case.accept_with_deficiency(["floor-plan"], date(2026, 3, 9), MONDAY, INTAKE)
        submit(case, "floor-plan")
        states = versions(case)
        assert diff_cases(states[2], states[3])["deficiencies"]["added"] == [{"key": "floor-plan", "due": "2026-03-09"}]
        later = diff_cases(states[3], states[4])
        assert later["deficiencies"]["removed"] == [{"key": "floor-plan", "due": "2026-03-09"}]
        assert [m["key"] for m in later["materials"]["added"]] == ["floor-plan"]
        assert summarize_diff(later)["en"] == ["material floor-plan submitted (floor-plan.pdf)",
                                               "missing material floor-plan supplied"]

    def test_completing_releases_the_held_certificates_and_closes_the_case(self):
        diff = diff_cases(licence_issued(), completed())
        assert diff["status"] == {"from": "open", "to": "completed"}
        certificates = next(i["changes"]["certificates"] for i in diff["items"] if i["code"] == LICENCE)
        assert [c["status"] for c in certificates["from"]] == ["held"]
        assert [c["status"] for c in certificates["to"]] == ["valid"]
        summary = summarize_diff(diff)
        assert summary["zh"][0] == "办件状态：办理中 → 已办结"
        assert "事项「business-licence」证照：N-1-01-1（待发放） → N-1-01-1（有效）" in summary["zh"]
        assert "item food-permit inspection passed: none → yes" in summary["en"]

    def test_escalations_appear_when_opened_and_change_when_raised_and_resolved(self):
        case = in_review()
        case.escalate(1, SUPERVISOR, "久拖不办", MONDAY)
        case.raise_escalation(1, date(2026, 3, 5), SUPERVISOR, "仍未办理")
        case.resolve_escalation(1, SUPERVISOR, "已办理")
        states = versions(case)
        opened = diff_cases(states[5], states[6])
        assert opened["escalations"] == [{"number": 1, "opened": {
            "number": 1, "level": 1, "reason": "久拖不办", "supervisor": "boss",
            "opened_at": states[6].modified_on.isoformat(),
            "resolved_at": None, "resolved_by": None, "resolution": None, "since": "2026-03-02"}}]
        assert summarize_diff(opened)["zh"] == ["第 1 号督办启动（1 级）"]
        raised = diff_cases(states[6], states[8])["escalations"][0]
        assert raised["changes"]["level"] == {"from": 1, "to": 2}
        assert raised["changes"]["since"] == {"from": "2026-03-02", "to": "2026-03-05"}
        assert raised["changes"]["resolution"] == {"from": None, "to": "已办理"}
        assert "escalation #1 level: 1 → 2" in summarize_diff(diff_cases(states[6], states[8]))["en"]

    def test_a_rating_an_owner_and_urges_and_the_same_diff_read_backwards(self):
        rated = completed()
        rated.rate(5, "很快", INTAKE)
        states = versions(rated)
        last = len(states)
        rating = diff_cases(states[last - 1], states[last])
        assert rating["rating"] == {"from": None, "to": {"score": 5, "comment": "很快"}}
        assert summarize_diff(rating)["zh"] == ["评价：无 → 5 分（很快）"]
        supervised = in_review()
        supervised.reassign_owner("window2", SUPERVISOR, "调岗")
        supervised.urge(FOOD_PERMIT, SUPERVISOR, "请尽快")
        states = versions(supervised)
        diff = diff_cases(states[5], states[7])
        assert diff["owner"] == {"from": "window1", "to": "window2"}
        assert diff["items"] == [{"code": FOOD_PERMIT, "changes": {"urges": {"from": 0, "to": 1}}}]
        assert summarize_diff(diff)["zh"] == ["首问负责人：window1 → window2", "事项「food-permit」催办次数：0 → 1"]
        back = diff_cases(states[7], states[5])  # read backwards, the same change is undone
        assert back["owner"] == {"from": "window2", "to": "window1"}
        assert back["items"][0]["changes"]["urges"] == {"from": 1, "to": 0}

    def test_a_diff_is_plain_json(self):
        states = versions(completed())
        diff = diff_cases(states[1], states[len(states)])
        assert json.loads(json.dumps(diff)) == diff
        assert {f for i in diff["items"] for f in i["changes"]} <= set(ITEM_FIELDS)

    def test_two_different_cases_are_not_compared(self):
        with pytest.raises(ValueError, match="two cases"):
            diff_cases(open_case(number="N-1"), open_case(number="N-2"))


@freeze_time("2026-03-02 10:00:00+08:00")  # a Monday: the licence's one working day ends on Tuesday
class TestCaseCoreDiff:
    def test_between_materials_and_acceptance_the_item_went_into_review(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        accepted = services.cases.review.accept_item(AMR, case_id, LICENCE).version
        diff = services.cases.reads.diff(INTAKE, case_id, 3, accepted)
        assert (diff["from_version"], diff["to_version"]) == (3, 4)
        changes = diff["items"][0]["changes"]
        assert diff["items"][0]["code"] == LICENCE
        assert changes["status"] == {"from": "waiting", "to": "in_review"}
        assert changes["due"] == {"from": None, "to": "2026-03-03"}
        assert "事项「business-licence」状态：待受理 → 审查中" in diff["summary"]["zh"]
        assert "item business-licence due: none → 2026-03-03" in diff["summary"]["en"]

    def test_an_opened_escalation_appears(self, services):
        case_id = open_restaurant(services)
        escalated = services.cases.supervision.escalate(SUPERVISOR, case_id, "久拖不办").version
        diff = services.cases.reads.diff(AUDITOR, case_id, 1, escalated)
        assert [(e["number"], e["opened"]["level"], e["opened"]["supervisor"]) for e in diff["escalations"]] == [
            (1, 1, "boss")]
        assert diff["summary"]["en"] == ["escalation #1 opened at level 1"]

    def test_a_whole_case_from_opening_to_completion(self, services):
        case_id = open_restaurant(services)
        complete_restaurant(services, case_id)
        now = services.cases.reads.get_case(FOOD, case_id).version
        diff = services.cases.reads.diff(FOOD, case_id, 1, now)
        assert diff["status"] == {"from": "open", "to": "completed"}
        assert {i["code"]: i["changes"]["status"]["to"] for i in diff["items"]} == {
            LICENCE: "approved", FOOD_PERMIT: "approved"}
        assert diff["summary"]["zh"][0] == "办件状态：办理中 → 已办结"

    def test_a_reviewer_who_may_not_see_the_case_may_not_diff_it(self, services):
        case_id = open_restaurant(services)
        submit_all(services, case_id)
        with pytest.raises(NotAllowed):
            services.cases.reads.get_case(POLICE, case_id)
        with pytest.raises(NotAllowed):
            services.cases.reads.diff(POLICE, case_id, 1, 3)
        with pytest.raises(NotAllowed):  # nor learn how far the case has come
            services.cases.reads.diff(POLICE, case_id, 1, 99)

    @pytest.mark.parametrize(("from_version", "to_version", "field"), [
        (3, 2, "from_version"), (1, 4, "to_version"), (0, 2, "from_version"), (1, True, "to_version"),
        ("1", 2, "from_version"), (1, None, "to_version"),
    ])
    def test_bad_versions_are_invalid_input(self, services, from_version, to_version, field):
        case_id = open_restaurant(services)
        submit_all(services, case_id)  # at version 3
        with pytest.raises(InvalidInput) as error:
            services.cases.reads.diff(INTAKE, case_id, from_version, to_version)
        assert field in error.value.fields

    def test_an_unknown_case_is_not_found(self, services):
        with pytest.raises(CaseNotFound):
            services.cases.reads.diff(INTAKE, "00000000-0000-0000-0000-000000000000", 1, 1)

    def test_the_same_version_twice_is_no_change(self, services):
        case_id = open_restaurant(services)
        diff = services.cases.reads.diff(INTAKE, case_id, 1, 1)
        assert {k: v for k, v in diff.items() if k not in ("from_version", "to_version", "summary")} == NO_CHANGE
        assert diff["summary"] == {"zh": [], "en": []}
