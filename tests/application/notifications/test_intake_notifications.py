"""The online filing's pre-review events (``Case.IntakeAccepted``, ``Case.IntakeReturned``) are told to the
applicant: projected through the notifications' read model into a view session in memory."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from application.projections.base import Change, Row
from application.projections.notifications import NOTIFICATIONS, NotificationReadModel
from domain.case.aggregate import Case
from domain.shared.values import Actor, Role
from infrastructure.readmodels.tables import VIEW_TABLES
from tests.conftest import VALID_CODE

INTAKE = Actor("window1", Role.INTAKE)
SYSTEM = Actor("system:sla", Role.SUPERVISOR)
CASE_ID = uuid.uuid4()


class Rows:
    """A view session in memory."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[tuple, Row]] = {}

    def _key(self, table: str, row: Row) -> tuple:
        return tuple(row[c.name] for c in VIEW_TABLES[table].primary_key.columns)

    def get(self, table: str, key: tuple) -> Row | None:
        return self.tables.get(table, {}).get(key)

    def put(self, table: str, row: Row) -> None:
        self.tables.setdefault(table, {})[self._key(table, row)] = dict(row)

    insert = put
    append = put

    def update(self, table: str, key: tuple, **values: Any) -> Row:
        self.tables[table][key].update(values)
        return self.tables[table][key]

    def delete(self, table: str, key: tuple) -> None:
        self.tables.get(table, {}).pop(key, None)


def change(event: Any, position: int) -> Change:
    return Change("Cases", position, CASE_ID, position, type(event).__name__, event, str(CASE_ID))


def opened() -> Case.Opened:
    return Case.Opened(originator_id=CASE_ID, originator_version=1, timestamp=datetime(2026, 3, 2, tzinfo=UTC),
                       originator_topic="domain.case.aggregate:Case", number="YJS-1", bundle="restaurant-opening",
                       bundle_version=1, applicant={"name": "泉城小馆", "credit_code": VALID_CODE}, channel="online",
                       opened_on=date(2026, 3, 2), items=[{"code": "business-licence", "name": "营业执照"}],
                       materials=[{"key": "id-card", "name": "身份证明"}, {"key": "floor-plan", "name": "平面图"}],
                       answers={}, actor=INTAKE, reason="")


def project(*events: Any) -> list[Row]:
    model, view = NotificationReadModel(lambda code, version: ("开餐馆一件事", "Open a restaurant")), Rows()
    for position, event in enumerate((opened(), *events), start=1):
        model.process(change(event, position), view)
    return sorted(view.tables.get(NOTIFICATIONS, {}).values(), key=lambda r: r["position"])


def at(version: int) -> dict[str, Any]:
    return {"originator_id": CASE_ID, "originator_version": version, "timestamp": datetime(2026, 3, 3, tzinfo=UTC)}


def test_a_return_lists_every_missing_material_by_name_at_once():
    [returned] = project(Case.IntakeReturned(**at(2), missing=["id-card", "floor-plan"], on=date(2026, 3, 3),
                                                 actor=INTAKE, reason="请补齐"))
    assert (returned["kind"], returned["template"]) == ("returned", "returned")
    assert json.loads(returned["template_values"])["missing"] == ["身份证明", "平面图"]
    assert "身份证明、平面图" in returned["text_zh"] and "请补齐" in returned["text_zh"]


def test_an_acceptance_is_told_and_a_deemed_one_says_so():
    accepted, deemed = project(
        Case.IntakeAccepted(**at(2), deemed=False, on=date(2026, 3, 3), actor=INTAKE, reason=""),
        Case.IntakeAccepted(**at(3), deemed=True, on=date(2026, 3, 10), actor=SYSTEM, reason="5 working days"))
    assert (accepted["kind"], accepted["template"]) == ("accepted", "accepted")
    assert (deemed["kind"], deemed["template"]) == ("accepted", "accepted_deemed")
    assert "第三十二条" in deemed["text_zh"] and "art. 32" in deemed["text_en"]
    assert accepted["id"] != deemed["id"] and deemed["created_at"] == datetime(2026, 3, 3, tzinfo=UTC)
