"""PetitionApplication: who may do what, input checks, versions, and the SLA tick over petitions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from freezegun import freeze_time

from application.common.errors import AlreadyExists, InvalidInput, NotAllowed, PetitionNotFound, VersionConflict
from domain.shared.errors import WrongPetitionStatus
from domain.shared.values import Actor, Role
from tests.application.helpers import open_restaurant
from tests.conftest import ADMIN, AMR, AUDITOR, FOOD, INTAKE, SUPERVISOR, VALID_CODE
from web.services import Services

INTAKE2 = Actor("window2", Role.INTAKE)
ACTORS = {"intake": INTAKE, "amr": AMR, "food": FOOD, "supervisor": SUPERVISOR, "auditor": AUDITOR, "admin": ADMIN}


def submit(services: Services, who: Actor = INTAKE, **kwargs) -> str:
    """Submit a hotline petition; return its number."""
    fields = {"enterprise_name": "泉城小馆餐饮有限公司", "credit_code": VALID_CODE, "subject": "园区停电",
              "text": "园区三天两次停电", "channel": "hotline", **kwargs}
    return services.petitions.submit(who, **fields).number


def routed(services: Services, department: str = "amr", days: int = 3) -> str:
    number = submit(services)
    services.petitions.route(SUPERVISOR, number, department, days)
    return number


def answered(services: Services) -> str:
    number = routed(services)
    services.petitions.answer(AMR, number, "已协调供电公司")
    return number


def events(services: Services) -> int:
    return len(services.petitions.recorder.select_notifications(start=None, limit=10_000))


# command: (who may, prepare -> number, run(actor, number))
COMMANDS: dict[str, tuple[set[str], Callable, Callable]] = {
    "submit": ({"intake"}, lambda s: "", lambda s, a, n: submit(s, a)),
    "route": ({"supervisor"}, submit, lambda s, a, n: s.petitions.route(a, n, "amr", 3)),
    "reroute": ({"supervisor"}, routed, lambda s, a, n: s.petitions.reroute(a, n, "psb", "属公安职责")),
    "answer": ({"amr"}, routed, lambda s, a, n: s.petitions.answer(a, n, "已处理")),
    "escalate": ({"supervisor"}, routed, lambda s, a, n: s.petitions.escalate(a, n, "重大事项")),
    "return visit": ({"intake", "supervisor"}, answered,
                     lambda s, a, n: s.petitions.return_visit(a, n, 5, True, "满意")),
    "close": ({"supervisor"}, routed, lambda s, a, n: s.petitions.close_petition(a, n, "重复诉求")),
}


@pytest.mark.parametrize("who", list(ACTORS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_role_may_do_exactly_what_the_matrix_allows(services, command, who):
    allowed, prepare, run = COMMANDS[command]
    number = prepare(services)
    before = events(services)
    if who in allowed:
        run(services, ACTORS[who], number)
        assert events(services) > before
    else:
        with pytest.raises(NotAllowed):
            run(services, ACTORS[who], number)
        assert events(services) == before


class TestWhoReads:
    def test_staff_read_every_petition_and_a_reviewer_only_its_departments(self, services):
        number = submit(services)
        for actor in (INTAKE, INTAKE2, SUPERVISOR, AUDITOR, ADMIN):
            assert services.petitions.get_petition(actor, number).number == number
        with pytest.raises(NotAllowed):  # not routed yet: no reviewer sees it
            services.petitions.get_petition(AMR, number)
        services.petitions.route(SUPERVISOR, number, "amr", 3)
        assert services.petitions.get_petition(AMR, number).department == "amr"
        with pytest.raises(NotAllowed):
            services.petitions.get_petition(FOOD, number)

    def test_an_unknown_number_is_not_found(self, services):
        with pytest.raises(PetitionNotFound):
            services.petitions.get_petition(SUPERVISOR, "QH-NOPE")
        with pytest.raises(PetitionNotFound):
            services.petitions.route(SUPERVISOR, "QH-NOPE", "amr", 3)


class TestAnswering:
    def test_a_reviewer_answers_only_what_its_department_holds_now(self, services):
        number = routed(services)
        with pytest.raises(NotAllowed):
            services.petitions.answer(FOOD, number, "不归我们")
        services.petitions.reroute(SUPERVISOR, number, "amr-food", "属食品许可")
        with pytest.raises(NotAllowed):
            services.petitions.answer(AMR, number, "已处理")
        saved = services.petitions.answer(FOOD, number, "已处理")
        assert services.petitions.load(number).answers[0]["department"] == "amr-food" and saved.version == 4

    def test_a_refused_reviewer_learns_nothing_from_a_stale_version(self, services):
        number = routed(services)
        with pytest.raises(NotAllowed):
            services.petitions.answer(FOOD, number, "已处理", expected_version=1)

    def test_a_stale_version_is_a_conflict_and_writes_nothing(self, services):
        number = routed(services)
        before = events(services)
        with pytest.raises(VersionConflict) as conflict:
            services.petitions.answer(AMR, number, "已处理", expected_version=1)
        assert conflict.value.current_version == 2 and events(services) == before
        assert services.petitions.answer(AMR, number, "已处理", expected_version=2).version == 3


class TestInputs:
    def test_the_credit_code_is_optional_and_checked_when_given(self, services):
        assert services.petitions.load(submit(services, credit_code=None)).enterprise["credit_code"] is None
        assert services.petitions.load(submit(services, credit_code="")).enterprise["credit_code"] is None
        with pytest.raises(InvalidInput) as bad:
            submit(services, credit_code="91110000600037341X")
        assert "enterprise.credit_code" in bad.value.fields

    def test_the_channel_must_be_known(self, services):
        with pytest.raises(InvalidInput) as bad:
            submit(services, channel="fax")
        assert "channel" in bad.value.fields

    def test_a_related_case_must_exist(self, services):
        case_number = services.cases.load(open_restaurant(services)).number
        assert services.petitions.load(submit(services, related_case=case_number)).related_case == case_number
        with pytest.raises(InvalidInput) as bad:
            submit(services, related_case="YJS20990101-NOPE22")
        assert "related_case" in bad.value.fields

    def test_routing_needs_a_known_department(self, services):
        number = submit(services)
        with pytest.raises(InvalidInput):
            services.petitions.route(SUPERVISOR, number, "no-such-department", 3)
        with pytest.raises(InvalidInput):
            services.petitions.reroute(SUPERVISOR, routed(services), "nowhere", "转办")

    def test_a_given_number_is_used_once(self, services):
        submit(services, number="QH-FIXED-1")
        with pytest.raises(AlreadyExists):
            submit(services, number="QH-FIXED-1")

    def test_a_rule_of_the_petition_still_applies(self, services):
        with pytest.raises(WrongPetitionStatus):
            services.petitions.return_visit(INTAKE, routed(services), 5, True)


class TestTick:
    def test_a_late_petition_is_escalated_once_and_rises_after_the_national_day_holiday(self, services):
        with freeze_time("2025-09-29 09:00:00+08:00"):  # Monday; 1-8 October 2025 are the National Day holiday
            number = routed(services, days=3)
        petition = services.petitions.load(number)
        assert petition.due.isoformat() == "2025-10-10"  # Tue 30 Sep, Thu 9 Oct, Fri 10 Oct
        for day in ("2025-10-08", "2025-10-10"):  # in the holiday, and on the due date: not late
            with freeze_time(f"{day} 18:00:00+08:00"):
                assert services.sla.tick().events == 0
        with freeze_time("2025-10-11 09:00:00+08:00"):  # the adjusted working Saturday: late
            first, second = services.sla.tick(), services.sla.tick()
        assert (first.petitions_checked, first.events, second.events) == (1, 1, 0)
        with freeze_time("2025-10-14 09:00:00+08:00"):  # Mon 13, Tue 14: 2 working days at level 1
            assert services.sla.tick().events == 0
        with freeze_time("2025-10-15 09:00:00+08:00"):  # the 3rd: up to level 2, once
            assert services.sla.tick().events == 1
            assert services.sla.tick().events == 0
        escalations = services.petitions.load(number).escalations
        assert [(e["level"], e["escalated_on"].isoformat(), e["by"]) for e in escalations] == [
            (1, "2025-10-11", "system:sla"), (2, "2025-10-15", "system:sla")]

    def test_answered_petitions_are_not_checked(self, services):
        with freeze_time("2026-03-02 09:00:00+08:00"):
            answered(services)
            submit(services)  # not routed: no clock
        with freeze_time("2026-04-30 09:00:00+08:00"):
            assert services.sla.tick().petitions_checked == 0

    def test_a_poor_rating_sends_it_back_on_a_new_clock_that_the_tick_watches(self, services):
        with freeze_time("2026-03-02 09:00:00+08:00"):
            number = answered(services)
            assert services.petitions.return_visit(INTAKE, number, 2, False, "仍未解决").result is False
        with freeze_time("2026-03-06 09:00:00+08:00"):  # due Thursday 5 March
            report = services.sla.tick()
        assert (report.petitions_checked, report.events) == (1, 1)
        petition = services.petitions.load(number)
        assert (petition.round, petition.level, str(petition.status)) == (2, 1, "routed")
