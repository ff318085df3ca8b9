"""The petition read model: its rows after each step of the loop; rebuilt from scratch equals kept up to date."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from domain.petition.aggregate import Petition
from domain.petition.values import Enterprise
from domain.shared.errors import DomainError
from infrastructure.readmodels.tables import VIEW_TABLES
from tests.conftest import ADMIN, AMR, FOOD, INTAKE, SUPERVISOR, VALID_CODE, make_services, restaurant_file, weekdays

TABLES = ("rm_petitions", "rm_audit_log")
numbers = itertools.count(1)


def snapshot(services) -> dict[str, list[tuple]]:
    """The petition and audit rows, in a stable order."""
    with services.runner.engine.connect() as connection:
        return {name: sorted(tuple(str(v) for v in row) for row in connection.execute(select(VIEW_TABLES[name])))
                for name in TABLES}


def row(services, number: str) -> dict:
    services.runner.catch_up()
    page = services.petition_queries.petition_list(SUPERVISOR, per_page=200)
    return next(r for r in page["items"] if r["number"] == number)


def test_the_row_follows_the_loop_from_submission_to_closing(any_services):
    petitions = any_services.petitions
    with freeze_time("2026-03-02 09:00:00+08:00"):  # Monday
        number = petitions.submit(INTAKE, "泉城小馆", VALID_CODE, "园区停电", "三天两次停电", "hotline").number
        first = row(any_services, number)
        assert (first["status"], first["department"], first["credit_code"], first["version"]) == (
            "submitted", None, VALID_CODE, 1)
        petitions.route(SUPERVISOR, number, "amr", 1)
        assert (row(any_services, number)["due"], row(any_services, number)["status"]) == (date(2026, 3, 3), "routed")
        petitions.reroute(SUPERVISOR, number, "amr-food", "属食品许可")
    with freeze_time("2026-03-04 09:00:00+08:00"):
        any_services.sla.tick()
        late = row(any_services, number)
        assert (late["department"], late["level"], late["max_level"], late["overdue"]) == ("amr-food", 1, 1, True)
        petitions.answer(FOOD, number, "已协调")
        petitions.return_visit(INTAKE, number, 2, False, "仍停电")
        reopened = row(any_services, number)
        assert (reopened["status"], reopened["round"], reopened["level"], reopened["max_level"]) == ("routed", 2, 0, 1)
        assert (reopened["answers"], reopened["on_time"], reopened["rating"], reopened["satisfied"]) == (
            1, False, 2, False)
        assert reopened["due"] == date(2026, 3, 5)
        petitions.answer(FOOD, number, "已更换变压器")
        petitions.return_visit(INTAKE, number, 4, True, "解决了")
    closed = row(any_services, number)
    assert (closed["status"], closed["closed_on"], closed["answers"], closed["on_time"], closed["rating"]) == (
        "closed", date(2026, 3, 4), 2, False, 4)
    assert closed["version"] == petitions.load(number).version
    audit = any_services.queries.audit_log(ADMIN, case_id=str(Petition.create_id(number)), per_page=50).rows
    assert {r["aggregate"] for r in audit} == {"Petition"} and len(audit) == closed["version"]


OPERATIONS = st.sampled_from(["route", "reroute", "answer", "escalate", "good visit", "poor visit", "close", "tick"])


def _apply(petition: Petition, operation: str, today: date) -> None:
    commands = {
        "route": lambda: petition.route("amr", 2, today, weekdays, SUPERVISOR),
        "reroute": lambda: petition.reroute("psb" if petition.department == "amr" else "amr", SUPERVISOR, "转办"),
        "answer": lambda: petition.answer("答复", today, AMR),
        "escalate": lambda: petition.escalate(today, SUPERVISOR, "督办"),
        "good visit": lambda: petition.return_visit(5, "", True, today, weekdays, INTAKE),
        "poor visit": lambda: petition.return_visit(1, "差评", False, today, weekdays, INTAKE),
        "close": lambda: petition.close(today, SUPERVISOR, "关闭"),
        "tick": lambda: petition.check_deadlines(today, weekdays, 2, SUPERVISOR),
    }
    try:
        commands[operation]()
    except DomainError:
        pass  # a refused command records nothing: the history goes on


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(st.tuples(st.integers(0, 1), OPERATIONS, st.integers(0, 3)), min_size=5, max_size=30))
def test_rebuilt_from_scratch_equals_the_incremental_rows(sqlite_url, history):
    services = make_services(sqlite_url)
    services.runner.reset()
    services.catalogue.publish_file(restaurant_file(), ADMIN)
    today = date(2026, 3, 2)
    petitions = [Petition.submit(number=f"QH-P{next(numbers)}", enterprise=Enterprise("某企业"), subject="诉求",
                                 text="内容", channel="online", submitted_on=today, actor=INTAKE) for _ in (0, 1)]
    services.petitions.save(*petitions)
    for index, operation, days in history:
        today += timedelta(days=days)
        _apply(petitions[index], operation, today)
        services.petitions.save(petitions[index])
        services.runner.catch_up()
    incremental = snapshot(services)
    assert {p.number for p in petitions} <= {r[1] for r in incremental["rm_petitions"]}
    services.runner.reset()
    services.runner.catch_up()
    assert snapshot(services) == incremental
