"""SQL over the petition read model. No access rules here: ``application.petitions.queries`` decides."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, case, func, select

from application.common.page import Page
from infrastructure.readmodels.tables import petitions

Row = dict[str, Any]


class SqlPetitionReadModels:
    """Reads rm_petitions."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @staticmethod
    def _late(today: date) -> Any:
        return and_(petitions.c.status == "routed", petitions.c.due.is_not(None), petitions.c.due < today)

    def petition_list(self, *, today: date, status: str = "", department: str = "", overdue: bool | None = None,
                      page: int = 1, per_page: int = 20) -> Page:
        """Petitions matching every given filter, the earliest due first (unrouted and settled ones last)."""
        late = self._late(today)
        query = select(petitions, case((late, True), else_=False).label("overdue"))
        if status:
            query = query.where(petitions.c.status == status)
        if department:
            query = query.where(petitions.c.department == department)
        if overdue is not None:
            query = query.where(late if overdue else ~late)
        order = (petitions.c.status.in_(("routed", "submitted")).desc(), petitions.c.due.is_(None),
                 petitions.c.due, petitions.c.submitted_at, petitions.c.number)
        with self.engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            rows = connection.execute(query.order_by(*order).limit(per_page).offset((page - 1) * per_page))
            return Page([dict(r) for r in rows.mappings()], total, page, per_page)

    def petition_counts(self, *, today: date, department: str = "") -> dict[str, int]:
        """How many petitions are in each status, and how many are overdue (within ``department`` if given)."""
        query = select(petitions.c.status, func.count()).group_by(petitions.c.status)
        late = select(func.count()).where(self._late(today))
        if department:
            query, late = query.where(petitions.c.department == department), late.where(
                petitions.c.department == department)
        with self.engine.connect() as connection:
            counts = {status: count for status, count in connection.execute(query)}
            counts["overdue"] = connection.execute(late).scalar_one()
        return counts

    def petition_kpi_rows(self) -> list[Row]:
        """The petition columns the figures are computed from."""
        query = select(petitions.c.department, petitions.c.status, petitions.c.answers, petitions.c.on_time,
                       petitions.c.rating, petitions.c.satisfied, petitions.c.max_level, petitions.c.round)
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings()]

    def petitions_to_check(self) -> list[str]:
        """Petitions waiting for an answer (their clock runs): what the SLA tick looks at."""
        query = select(petitions.c.petition_id).where(petitions.c.status == "routed").order_by(petitions.c.petition_id)
        with self.engine.connect() as connection:
            return [row.petition_id for row in connection.execute(query)]
